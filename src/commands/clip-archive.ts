/**
 * The clips table behind the bot: every finished clip is recorded (kind, parent, guild, channel) and then the
 * id of the message that carries it; the clip buttons find clips there; every press becomes a feedback event;
 * "for me" picks the style of a /compose that names none; and the retention policy runs at start and hourly.
 * `src/main.ts` builds one and hands its parts to `createBot` (the tests' harness does the same).
 */
import type { ClipLookup, FeedbackEvent, FeedbackSink } from '../bot/collaborators.ts';
import type { ClipStore } from '../db/clip-store.ts';
import type { FinishedJob, InferenceService } from '../inference/inference-service.ts';
import { isRadioSegment } from '../inference/job-request.ts';
import { parseStyle } from '../music/styles.ts';
import { topStyle } from '../taste/taste-profile.ts';
import type { TasteReader } from '../taste/taste-reader.ts';
import type { DefaultStyle } from './compose.ts';

export const RETENTION_EVERY_MS = 60 * 60 * 1000;

export interface ClipArchiveOptions {
  readonly service: Pick<InferenceService, 'on' | 'off'>;
  readonly store: Pick<
    ClipStore,
    'recordClip' | 'attachMessage' | 'get' | 'recordFeedback' | 'applyRetention' | 'sweepPendingDeletions'
  >;
  readonly taste: Pick<TasteReader, 'forMe' | 'events'>;
  readonly log: (line: string) => void;
  /** How often the retention policy runs after its run at start; default a day. */
  readonly retentionEveryMs?: number | undefined;
}

export interface ClipArchive {
  /** The bot's clip lookup: the clips table. */
  readonly clips: ClipLookup;
  /** Records every press as the presser's feedback event. */
  readonly feedback: FeedbackSink;
  /** Notes the message that carries a clip. */
  readonly onClipPosted: (clipId: string, messageId: string) => void;
  /** "For me": the style of a /compose that names none, with the line that says why. */
  readonly defaultStyle: (userId: string, guildId: string | null) => DefaultStyle;
  /** Deletes the folders a crash left listed, applies the retention policy, then again every day. */
  start(): Promise<void>;
  /** Stops recording and the daily timer. Idempotent. */
  stop(): void;
}

/** Starts recording finished clips at once (so none is missed); `start()` does the file housekeeping. */
export function createClipArchive(options: ClipArchiveOptions): ClipArchive {
  const { service, store, taste, log } = options;
  let timer: NodeJS.Timeout | undefined;

  const onFinished = (finished: FinishedJob): void => {
    const { job } = finished;
    const recorded = store.recordClip({
      job,
      meta: finished.meta,
      files: finished.files,
      // The job's request names the clip it was made from (variation, extension, new track, radio segment).
      parentId: parentClipIdOf(job.request),
      // A radio segment (rendered to join the next one) is a 'radio' clip, whatever made it.
      kind: isRadioSegment(job.request) ? 'radio' : undefined,
    });
    if (!recorded.ok) log(`clip ${job.id} was not recorded: ${recorded.error.message}`);
  };
  service.on('finished', onFinished);

  const retention = async (): Promise<void> => {
    try {
      const report = await store.applyRetention();
      if (report.clips + report.orphans + report.foldersPending > 0) {
        log(
          `retention: files of ${report.clips} old clip(s) and ${report.orphans} orphaned folder(s) deleted` +
            (report.foldersPending > 0 ? `; ${report.foldersPending} folder(s) left for the next run` : ''),
        );
      }
    } catch (error) {
      log(`retention failed: ${describe(error)}`);
    }
  };

  return {
    clips: { find: (clipId) => store.get(clipId) },
    feedback: {
      onFeedback(event: FeedbackEvent) {
        const recorded = store.recordFeedback({
          userId: event.userId,
          guildId: event.guildId,
          clipId: event.clipId,
          kind: event.kind,
          value: event.kind === 'radio-listen' ? event.value : undefined,
        });
        if (!recorded.ok) throw new Error(recorded.error.message);
      },
    },
    onClipPosted(clipId, messageId) {
      if (!store.attachMessage(clipId, messageId))
        log(`clip ${clipId} is not recorded, so message ${messageId} is not noted`);
    },
    defaultStyle(userId, guildId) {
      const mix = taste.forMe(userId, guildId);
      const parts = describeMix(mix.style);
      switch (mix.source) {
        case 'you':
          return { style: mix.style, note: `🎯 For you: ${parts} — because ${because(taste, userId, mix.style)}.` };
        case 'people-here':
          return {
            style: mix.style,
            note: `🎯 For you: ${parts} — because people here like it (you have no 👍 yet).`,
          };
        case 'default':
          return {
            style: mix.style,
            note: `No style given, so ${parts}. Press 👍 on clips you like and this becomes your own mix.`,
          };
      }
    },
    async start() {
      try {
        const swept = await store.sweepPendingDeletions();
        if (swept.deleted > 0) log(`deleted ${swept.deleted} clip folder(s) left by an interrupted deletion`);
      } catch (error) {
        log(`could not sweep pending deletions: ${describe(error)}`);
      }
      await retention();
      if (timer === undefined) {
        timer = setInterval(() => void retention(), options.retentionEveryMs ?? RETENTION_EVERY_MS);
        timer.unref();
      }
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      service.off('finished', onFinished);
    },
  };
}

/** "jazz 60%, lofi 40%", or just "jazz". */
function describeMix(style: string): string {
  const parsed = parseStyle(style);
  if (!parsed.ok) return style;
  const { parts } = parsed.value;
  if (parts.length === 1) return parts[0]?.style ?? style;
  return parts.map((part) => `${part.style} ${Math.round(part.weight * 100)}%`).join(', ');
}

/** "you liked 3 jazz and 2 lofi clips", counting the person's likes of each style in the mix. */
function because(taste: Pick<TasteReader, 'events'>, userId: string, style: string): string {
  const parsed = parseStyle(style);
  const styles = parsed.ok ? parsed.value.parts.map((part) => part.style) : [];
  const likes = new Map<string, number>();
  for (const event of taste.events(userId)) {
    if (event.kind !== 'like') continue;
    const top = topStyle(event.styleMix);
    if (top !== undefined) likes.set(top, (likes.get(top) ?? 0) + 1);
  }
  const counted = styles
    .filter((name) => (likes.get(name) ?? 0) > 0)
    .map((name) => ({ name, n: likes.get(name) ?? 0 }));
  if (counted.length === 0) return 'of the clips you played and built on';
  const total = counted.reduce((sum, { n }) => sum + n, 0);
  const listed = counted.map(({ name, n }) => `${n} ${name}`);
  const joined = listed.length === 1 ? listed.join('') : `${listed.slice(0, -1).join(', ')} and ${listed.at(-1) ?? ''}`;
  return `you liked ${joined} ${total === 1 ? 'clip' : 'clips'}`;
}

function parentClipIdOf(request: unknown): string | null {
  if (typeof request !== 'object' || request === null) return null;
  const id = (request as { parentClipId?: unknown }).parentClipId;
  return typeof id === 'string' && id !== '' ? id : null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
