/**
 * The endless radio: the first segment is composed in the asked style, and every later one is an extension of
 * the one before (an ExtensionJobRequest of its ClipMeta), so the music flows on. Segments are spliced into one Ogg
 * Opus stream (OggOpusChain) that the guild player plays as one resource: no gap, no idle between segments.
 *
 * The next segment is submitted while the buffered audio still lasts at least one segment plus `leadMs`, so it
 * is ready before the current one ends as long as composing a segment takes less than that (about 1 s for 20 s).
 * 👍 / 👎 steer what comes next: a segment with more 👍 than 👎 becomes the anchor; after a segment with more 👎,
 * the next submission returns to the anchor's line (an extension of the liked segment), or, with no anchor, starts
 * a fresh idea in the same style, tempo and key. Votes are also emitted for the taste profile.
 *
 * A segment the queue refuses for now (the server's share or the whole queue is full; the bot's queue does not count
 * segments towards their owner's own cap, a queue built without that option may refuse them for it too) is not a
 * failure: the radio asks again when the queue says a place frees up, and gives up only when the queue has refused
 * it for `maxWaitMs` without a break.
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';

import type { ClipMeta } from '../inference/clip-meta.ts';
import type { CancelledJob, FailedJob, FinishedJob, InferenceService } from '../inference/inference-service.ts';
import type { ComposeJobRequest, JobRequest } from '../inference/job-request.ts';
import { OggOpusChain } from './ogg-opus-chain.ts';
import type { VoiceUser } from './voice-clip.ts';

export type RadioVote = 'up' | 'down';

export interface RadioSegment {
  readonly index: number;
  readonly jobId: string;
  readonly title: string;
  readonly meta: ClipMeta;
  /** Its Ogg Opus file. */
  readonly oggPath: string;
  /** Where it starts in the radio's stream, ms. */
  readonly startMs: number;
  readonly durationMs: number;
  /** How it was made: the first composition, an extension of segment `from`, or a fresh start after a 👎. */
  /** When its job was submitted (Date.now()). */
  readonly submittedAt: number;
  readonly origin: { kind: 'compose' } | { kind: 'extension'; from: number } | { kind: 'fresh' };
  readonly votes: Map<string, RadioVote>;
}

export type RadioStopReason = 'stopped' | 'failed';

export type RadioState =
  | { readonly status: 'starting'; readonly since: number }
  | { readonly status: 'on-air'; readonly since: number }
  | { readonly status: 'stopped'; readonly since: number; readonly reason: RadioStopReason; readonly error?: string };

export interface RadioVoteEvent {
  readonly segment: RadioSegment;
  readonly userId: string;
  readonly vote: RadioVote;
}

interface RadioEvents {
  stateChange: [oldState: RadioState, newState: RadioState];
  segment: [segment: RadioSegment];
  vote: [event: RadioVoteEvent];
  error: [error: Error];
}

export interface RadioOptions {
  readonly service: Pick<InferenceService, 'submit' | 'cancel' | 'on' | 'off'>;
  /** The first segment's request; its lengthSeconds is every segment's length. */
  readonly first: ComposeJobRequest;
  /** What the now-playing text calls the station ("lofi", "for ada"). */
  readonly label: string;
  /** Whose jobs these are (queue caps and fairness count them as theirs). */
  readonly owner: VoiceUser;
  readonly guildId: string;
  readonly channelId: string | null;
  /** Extra buffered audio, beyond one segment, below which the next segment is submitted; default 10 s. */
  readonly leadMs?: number | undefined;
  /** Failed segments in a row before the radio stops; default 3. */
  readonly maxFailures?: number | undefined;
  /** How long the queue may refuse segments, without a break, before the radio stops; default 2 minutes. */
  readonly maxWaitMs?: number | undefined;
  /** How often the radio looks at the buffer; default 250 ms. */
  readonly tickMs?: number | undefined;
  readonly seed?: (() => number) | undefined;
  readonly readClip?: ((path: string) => Promise<Uint8Array>) | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

const KEPT_SEGMENTS = 50;
/** How the error of a radio stopped by the queue's refusals begins. */
export const QUEUE_REFUSED = 'the queue refused segments';
/** The longest the radio waits before asking the queue again after a refusal, whatever the queue's estimate. */
const MAX_RETRY_MS = 5000;

interface PendingJob {
  readonly jobId: string;
  readonly submittedAt: number;
  readonly origin: RadioSegment['origin'];
}

export class RadioStation extends EventEmitter<RadioEvents> {
  readonly label: string;
  readonly owner: VoiceUser;
  readonly segmentMs: number;
  /** The segments made, oldest first (the latest 50). */
  readonly segments: RadioSegment[] = [];
  #state: RadioState = { status: 'starting', since: Date.now() };
  #chain = new OggOpusChain();
  #pending: PendingJob | null = null;
  #failures = 0;
  /** While the queue refuses segments: when it first did, and when to ask again (Date.now()). */
  #refused: { readonly since: number; retryAt: number } | null = null;
  #anchor: RadioSegment | null = null;
  #steerAway: RadioSegment | null = null;
  #position: () => number = () => 0;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  /** Segments made so far (indexes keep counting when old segments are let go). */
  #made = 0;
  readonly #options: RadioOptions;
  readonly #leadMs: number;
  readonly #seed: () => number;
  readonly #readClip: (path: string) => Promise<Uint8Array>;
  readonly #log: (line: string) => void;

  constructor(options: RadioOptions) {
    super();
    this.#options = options;
    this.label = options.label;
    this.owner = options.owner;
    this.segmentMs = options.first.lengthSeconds * 1000;
    this.#leadMs = options.leadMs ?? 10_000;
    this.#seed = options.seed ?? (() => randomInt(0, 2 ** 32 - 1));
    this.#readClip = options.readClip ?? ((path) => readFile(path));
    this.#log = options.log ?? (() => undefined);
  }

  get state(): RadioState {
    return this.#state;
  }

  /** The Ogg Opus stream to play (one resource for the whole radio). */
  get stream(): Readable {
    return this.#chain.stream;
  }

  /** Where playback is in the radio's stream, ms (the player's position). */
  get positionMs(): number {
    return this.#position();
  }

  /** Audio made so far, ms. */
  get bufferedUntilMs(): number {
    return this.#chain.durationMs;
  }

  /** The segment being heard at the player's position. */
  get current(): RadioSegment | undefined {
    const position = this.#position();
    return this.segments.findLast((segment) => segment.startMs <= position) ?? this.segments[0];
  }

  /** Submits the first segment and starts watching the buffer. `position` is the player's playback position, ms. */
  start(position?: () => number): void {
    if (this.#started || this.#state.status === 'stopped') return;
    this.#started = true;
    if (position !== undefined) this.#position = position;
    this.#options.service.on('finished', this.#onFinished);
    this.#options.service.on('failed', this.#onFailed);
    this.#options.service.on('cancelled', this.#onCancelled);
    this.#timer = setInterval(() => {
      this.#schedule();
    }, this.#options.tickMs ?? 250);
    this.#timer.unref();
    this.#submit({ ...this.#options.first }, { kind: 'compose' });
  }

  /** The player tells where playback is (its resource's playbackDuration). */
  attach(position: () => number): void {
    this.#position = position;
  }

  /** A listener's 👍 or 👎 on what is playing now; undefined when nothing has played yet. */
  vote(userId: string, vote: RadioVote): RadioSegment | undefined {
    const segment = this.current;
    if (segment === undefined || this.#state.status === 'stopped') return undefined;
    segment.votes.set(userId, vote);
    let net = 0;
    for (const value of segment.votes.values()) net += value === 'up' ? 1 : -1;
    if (net > 0) {
      this.#anchor = segment;
      if (this.#steerAway === segment) this.#steerAway = null;
    } else if (net < 0) {
      this.#steerAway = segment;
      if (this.#anchor === segment) this.#anchor = null;
    }
    this.emit('vote', { segment, userId, vote });
    return segment;
  }

  /** Stops composing; the stream ends after what was already made (the player stops it sooner on /stop). */
  stop(reason: RadioStopReason = 'stopped', error?: string): void {
    if (this.#state.status === 'stopped') return;
    clearInterval(this.#timer);
    this.#options.service.off('finished', this.#onFinished);
    this.#options.service.off('failed', this.#onFailed);
    this.#options.service.off('cancelled', this.#onCancelled);
    const pending = this.#pending;
    this.#pending = null;
    if (pending !== null) this.#options.service.cancel(pending.jobId, this.owner.id);
    this.#chain.end();
    this.#setState({ status: 'stopped', since: Date.now(), reason, ...(error === undefined ? {} : { error }) });
  }

  #setState(state: RadioState): void {
    const old = this.#state;
    this.#state = state;
    this.emit('stateChange', old, state);
  }

  #schedule(): void {
    if (this.#state.status === 'stopped' || this.#pending !== null) return;
    if (this.#refused !== null && Date.now() < this.#refused.retryAt) return;
    if (this.#state.status === 'starting') {
      // The first segment failed: try again with another seed.
      this.#submit({ ...this.#options.first, seed: this.#seed() }, { kind: 'compose' });
      return;
    }
    const ahead = this.#chain.durationMs - this.#position();
    if (ahead >= this.segmentMs + this.#leadMs) return;
    const { request, origin } = this.#nextRequest();
    this.#submit(request, origin);
  }

  #nextRequest(): { request: JobRequest; origin: RadioSegment['origin'] } {
    const last = this.segments.at(-1);
    if (last === undefined)
      return { request: { ...this.#options.first, seed: this.#seed() }, origin: { kind: 'compose' } };
    const seconds = this.segmentMs / 1000;
    const away = this.#steerAway;
    let from = last;
    if (away !== null) {
      this.#steerAway = null;
      const anchor = this.#anchor;
      if (anchor === null || anchor === last) {
        const fresh: ComposeJobRequest = {
          ...this.#options.first,
          seed: this.#seed(),
          tempo: last.meta.resolved.tempo,
          key: last.meta.resolved.keyName,
        };
        return { request: fresh, origin: { kind: 'fresh' } };
      }
      from = anchor;
    }
    return {
      request: {
        kind: 'extension',
        parent: from.meta,
        parentClipId: from.jobId,
        seed: this.#seed(),
        lengthSeconds: seconds,
        seamless: true,
      },
      origin: { kind: 'extension', from: from.index },
    };
  }

  #submit(request: JobRequest, origin: RadioSegment['origin']): void {
    const submitted = this.#options.service.submit({
      userId: this.owner.id,
      guildId: this.#options.guildId,
      channelId: this.#options.channelId,
      interactionToken: null,
      request,
    });
    if (!submitted.ok) {
      this.#refusedFor(submitted.error.message, submitted.error.retryAfterSeconds);
      return;
    }
    if (this.#refused !== null) {
      this.#log(`radio ${this.label}: the queue took a segment after ${describeMs(Date.now() - this.#refused.since)}`);
      this.#refused = null;
    }
    this.#pending = { jobId: submitted.job.id, submittedAt: Date.now(), origin };
  }

  /** The queue refused a segment for now: ask again later, or stop when it has refused for too long. */
  #refusedFor(message: string, retryAfterSeconds: number): void {
    const now = Date.now();
    const tick = this.#options.tickMs ?? 250;
    const retryAt = now + Math.min(MAX_RETRY_MS, Math.max(tick, retryAfterSeconds * 1000));
    if (this.#refused === null) {
      this.#refused = { since: now, retryAt };
      this.#log(`radio ${this.label}: the queue refused a segment, asking again in a moment: ${message}`);
      return;
    }
    this.#refused.retryAt = retryAt;
    const maxWaitMs = this.#options.maxWaitMs ?? 120_000;
    if (now - this.#refused.since < maxWaitMs) return;
    const why = `${QUEUE_REFUSED} for ${describeMs(now - this.#refused.since)}: ${message}`;
    if (this.listenerCount('error') > 0) this.emit('error', new Error(`the radio stopped: ${why}`));
    this.stop('failed', why);
  }

  #failed(why: string): void {
    this.#failures += 1;
    this.#log(`radio ${this.label}: ${why} (${this.#failures} in a row)`);
    if (this.#failures >= (this.#options.maxFailures ?? 3)) {
      if (this.listenerCount('error') > 0) this.emit('error', new Error(`the radio stopped: ${why}`));
      this.stop('failed', why);
    }
  }

  readonly #onFinished = (finished: FinishedJob): void => {
    const pending = this.#pending;
    if (pending === null || finished.job.id !== pending.jobId) return;
    void this.#append(pending, finished).catch((error: unknown) => {
      if (this.#pending === pending) this.#pending = null;
      this.#failed(`segment ${finished.job.id} could not be read: ${String(error)}`);
    });
  };

  readonly #onFailed = (failed: FailedJob): void => {
    const pending = this.#pending;
    if (pending === null || failed.job.id !== pending.jobId) return;
    this.#pending = null;
    this.#failed(`segment ${failed.job.id} failed: ${failed.error}`);
  };

  /** A segment job cancelled from outside (its owner's /cancel): the radio makes another. */
  readonly #onCancelled = (cancelled: CancelledJob): void => {
    const pending = this.#pending;
    if (pending === null || cancelled.job.id !== pending.jobId) return;
    this.#pending = null;
    this.#failed(`segment ${cancelled.job.id} was cancelled`);
  };

  async #append(pending: PendingJob, finished: FinishedJob): Promise<void> {
    const bytes = await this.#readClip(finished.files.ogg);
    if (this.#pending !== pending || this.#state.status === 'stopped') return;
    this.#pending = null;
    const startMs = this.#chain.durationMs;
    const appended = this.#chain.append(bytes);
    if (!appended.ok) {
      this.#failed(`segment ${finished.job.id} is not playable: ${appended.error.message}`);
      return;
    }
    this.#failures = 0;
    const segment: RadioSegment = {
      index: this.#made++,
      jobId: finished.job.id,
      title: finished.meta.title,
      meta: finished.meta,
      oggPath: finished.files.ogg,
      startMs,
      durationMs: appended.value.durationMs,
      submittedAt: pending.submittedAt,
      origin: pending.origin,
      votes: new Map(),
    };
    this.segments.push(segment);
    // An endless radio keeps the recent past only (what is playing, what is buffered, what votes may still reach).
    if (this.segments.length > KEPT_SEGMENTS) this.segments.splice(0, this.segments.length - KEPT_SEGMENTS);
    this.emit('segment', segment);
    if (this.#state.status === 'starting') this.#setState({ status: 'on-air', since: Date.now() });
    this.#schedule();
  }
}

function describeMs(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
