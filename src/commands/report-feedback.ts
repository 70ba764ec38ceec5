/**
 * Sends one feedback event to the sink without making the caller wait or fail: the taste engine's trouble is
 * logged, never shown to the person who pressed or typed.
 */
import type { FeedbackEvent, FeedbackSink } from '../bot/collaborators.ts';

export function reportFeedback(
  sink: FeedbackSink | undefined,
  event: FeedbackEvent,
  log: (line: string) => void,
): void {
  if (sink === undefined) return;
  Promise.resolve()
    .then(() => sink.onFeedback(event))
    .catch((error: unknown) => {
      log(
        `feedback ${event.kind} on clip ${event.clipId} by ${event.userId} was not recorded: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
}
