/**
 * Keeps each job's Discord message up to date from the inference service's events. A job's message is the
 * original response of the interaction that asked for it (its token is stored with the job, so a job the
 * process recovered after a restart is answered too):
 *
 *  - progress (queue position and wait → composing k/n → rendering) edits it, at most one edit per
 *    `minEditGapMs` (1 s), latest state wins, never before the deferral itself went through;
 *  - the finished clip replaces it (embed, files, buttons) as soon as it is ready, after any edit in flight;
 *  - a job whose token has expired (15 min) is posted to its channel instead, mentioning only its owner;
 *  - a failure or a cancel ends it with one line.
 *
 * Edits of one job go out strictly one after another, so they arrive in order.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

import { DiscordAPIError, InteractionWebhook, type Client, type MessageCreateOptions } from 'discord.js';

import type {
  CancelledJob,
  FailedJob,
  FinishedJob,
  InferenceService,
  JobProgress,
} from '../inference/inference-service.ts';
import type { JobRecord } from '../inference/job-queue.ts';
import { DEFAULT_ATTACHMENT_LIMIT, finishedMessage, progressText, type ClipMessage } from './clip-message.ts';

export interface JobRepliesOptions {
  readonly client: Client;
  readonly applicationId: string;
  readonly service: Pick<InferenceService, 'on' | 'off' | 'status'>;
  readonly log: (line: string) => void;
  /** Least time between two progress edits of one message; default 1000 ms. */
  readonly minEditGapMs?: number | undefined;
  readonly clock?: (() => number) | undefined;
  /** The message that carries a finished clip was posted (or the interaction's response became it). */
  readonly onClipPosted?: ((clipId: string, messageId: string) => void) | undefined;
}

export interface JobReplyTarget {
  /** Resolves once the interaction's deferral went through (its message exists); edits wait for it. */
  readonly deferred: Promise<unknown>;
  /** The interaction's attachment_size_limit. */
  readonly attachmentSizeLimit: number;
  /** A line shown under the progress and the finished clip ("for you: …"). */
  readonly note?: string | undefined;
}

export interface JobReplies {
  /** Starts following a job just submitted for `target`, from its first progress (its place in the queue). */
  track(job: JobRecord, target: JobReplyTarget, first: JobProgress): void;
  /** Resolves when every edit started so far has been sent (for tests and shutdown). */
  idle(): Promise<void>;
  /** Stops listening and waits for edits in flight. */
  close(): Promise<void>;
}

/**
 * Discord codes meaning the interaction's message cannot be edited: the webhook is gone (token expired or
 * invalid: 10015, 50027), or its message is (never created because the deferral failed, or deleted: 10008).
 */
const WEBHOOK_GONE = new Set([10008, 10015, 50027]);

interface Tracked {
  readonly jobId: string;
  readonly userId: string;
  readonly channelId: string | null;
  readonly token: string | null;
  readonly attachmentSizeLimit: number;
  readonly note: string | undefined;
  /** Every edit is chained here, so they go out in order. */
  chain: Promise<void>;
  /** When the last progress edit was scheduled (or the deferral), for the next one's timer. */
  lastEditAt: number;
  /** When the last progress edit actually went out (or the deferral): the next waits a full gap after it. */
  lastSentAt: number;
  pending: JobProgress | undefined;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
  /** Aborted when the job settles: a progress edit still waiting for its gap gives way to the final message. */
  readonly settling: AbortController;
}

export function createJobReplies(options: JobRepliesOptions): JobReplies {
  const { client, applicationId, service, log } = options;
  const gap = options.minEditGapMs ?? 1000;
  const clock = options.clock ?? Date.now;
  const jobs = new Map<string, Tracked>();
  const inFlight = new Set<Promise<void>>();

  const enqueue = (tracked: Tracked, work: () => Promise<void>): void => {
    const next = tracked.chain.then(work).catch((error: unknown) => {
      log(`could not update the message of job ${tracked.jobId}: ${describe(error)}`);
    });
    tracked.chain = next;
    inFlight.add(next);
    void next.finally(() => inFlight.delete(next));
  };

  const trackedFor = (jobId: string): Tracked | undefined => {
    const known = jobs.get(jobId);
    if (known !== undefined) return known;
    // A job this process did not submit (recovered after a restart, or queued by another process).
    const job = service.status(jobId)?.job;
    if (job === undefined || (job.interactionToken === null && job.channelId === null)) return undefined;
    const tracked = newTracked(job, Promise.resolve(), DEFAULT_ATTACHMENT_LIMIT, 0, undefined);
    jobs.set(jobId, tracked);
    return tracked;
  };

  const newTracked = (
    job: JobRecord,
    ready: Promise<unknown>,
    limit: number,
    lastEditAt: number,
    note: string | undefined,
  ): Tracked => ({
    jobId: job.id,
    userId: job.userId,
    channelId: job.channelId,
    token: job.interactionToken,
    attachmentSizeLimit: limit,
    note,
    chain: ready.then(
      () => undefined,
      (error: unknown) => {
        log(`the deferral of job ${job.id} failed: ${describe(error)}`);
      },
    ),
    lastEditAt,
    lastSentAt: lastEditAt,
    pending: undefined,
    timer: undefined,
    settled: false,
    settling: new AbortController(),
  });

  const webhook = (token: string): InteractionWebhook =>
    new InteractionWebhook(client as Client<true>, applicationId, token);

  const flush = (tracked: Tracked): void => {
    tracked.timer = undefined;
    const progress = tracked.pending;
    if (progress === undefined || tracked.settled || tracked.token === null) return;
    tracked.pending = undefined;
    tracked.lastEditAt = clock();
    const token = tracked.token;
    enqueue(tracked, async () => {
      // The edit before this one may have gone out late (a slow deferral): keep a full gap after it.
      const wait = tracked.lastSentAt + gap - clock();
      if (wait > 0) await delay(wait, undefined, { signal: tracked.settling.signal }).catch(() => undefined);
      if (tracked.settled) return;
      tracked.lastSentAt = clock();
      await webhook(token).editMessage('@original', {
        content: withNote(progressText(progress), tracked.note),
        allowedMentions: { parse: [] },
      });
    });
  };

  const onProgress = (progress: JobProgress): void => {
    // A 'queued' event of a job not tracked yet is the one `submit` emits before `track` is called (or a
    // recovered job's place): the job is followed from its next stage on, never before its deferral.
    const tracked = progress.stage === 'queued' ? jobs.get(progress.jobId) : trackedFor(progress.jobId);
    if (tracked === undefined || tracked.settled || tracked.token === null) return;
    tracked.pending = progress;
    if (tracked.timer !== undefined) return;
    const wait = tracked.lastEditAt + gap - clock();
    if (wait <= 0) flush(tracked);
    else
      tracked.timer = setTimeout(() => {
        flush(tracked);
      }, wait);
  };

  /** Ends a job's message: stops progress, then sends `final` after whatever is in flight. */
  const settle = (jobId: string, final: (tracked: Tracked) => Promise<void>): void => {
    const tracked = trackedFor(jobId);
    if (tracked === undefined || tracked.settled) return;
    tracked.settled = true;
    tracked.settling.abort();
    tracked.pending = undefined;
    if (tracked.timer !== undefined) clearTimeout(tracked.timer);
    tracked.timer = undefined;
    enqueue(tracked, () => final(tracked));
    void tracked.chain.finally(() => {
      if (jobs.get(jobId) === tracked) jobs.delete(jobId);
    });
  };

  /**
   * Edits the original response, or posts to the channel (mentioning only the owner) when the token is gone.
   * Resolves with the id of the message that now says it, if any.
   */
  const deliver = async (
    tracked: Tracked,
    message: ClipMessage | { content: string },
    tokenExpired: boolean,
  ): Promise<string | undefined> => {
    const full = { embeds: [], components: [], files: [], ...message };
    if (tracked.token !== null && !tokenExpired) {
      try {
        const edited = await webhook(tracked.token).editMessage('@original', {
          ...full,
          attachments: [],
          allowedMentions: { parse: [] },
        });
        return edited.id;
      } catch (error) {
        if (!(error instanceof DiscordAPIError) || typeof error.code !== 'number' || !WEBHOOK_GONE.has(error.code))
          throw error;
        log(`job ${tracked.jobId}: its interaction is gone (${error.message}); posting to the channel instead`);
      }
    }
    if (tracked.channelId === null) return undefined;
    const channel = await client.channels.fetch(tracked.channelId);
    if (channel === null || !channel.isSendable()) throw new Error(`channel ${tracked.channelId} cannot be posted to`);
    const options: MessageCreateOptions = {
      ...full,
      content: message.content.includes(`<@${tracked.userId}>`)
        ? message.content
        : `<@${tracked.userId}> ${message.content}`,
      allowedMentions: { parse: [], users: [tracked.userId] },
    };
    const sent = await channel.send(options);
    return sent.id;
  };

  const onFinished = (finished: FinishedJob): void => {
    settle(finished.job.id, async (tracked) => {
      const [ogg, mid, png] = await Promise.all([
        readFile(finished.files.ogg),
        readFile(finished.files.mid),
        readFile(finished.files.png),
      ]);
      const { job } = finished;
      const message = finishedMessage({
        clipId: job.id,
        ownerId: job.userId,
        meta: finished.meta,
        files: { ogg, mid, png },
        tookMs: (job.finishedAt ?? clock()) - job.createdAt,
        attachmentSizeLimit: tracked.attachmentSizeLimit,
      });
      const messageId = await deliver(
        tracked,
        { ...message, content: withNote(message.content, tracked.note) },
        finished.tokenExpired,
      );
      if (messageId !== undefined) options.onClipPosted?.(job.id, messageId);
    });
  };

  const onFailed = (failed: FailedJob): void => {
    log(`job ${failed.job.id} (${failed.job.kind}, user ${failed.job.userId}) failed: ${failed.error}`);
    settle(failed.job.id, async (tracked) => {
      await deliver(
        tracked,
        {
          content: `Sorry, I could not make this piece. If it keeps happening, tell the bot's owner job id \`${failed.job.id}\`.`,
        },
        false,
      );
    });
  };

  const onCancelled = (cancelled: CancelledJob): void => {
    settle(cancelled.job.id, async (tracked) => {
      await deliver(tracked, { content: '🚫 Cancelled.' }, false);
    });
  };

  service.on('progress', onProgress);
  service.on('finished', onFinished);
  service.on('failed', onFailed);
  service.on('cancelled', onCancelled);

  const idle = async (): Promise<void> => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };

  return {
    track(job, target, first) {
      const tracked = newTracked(job, target.deferred, target.attachmentSizeLimit, clock(), target.note);
      jobs.set(job.id, tracked);
      onProgress(first);
    },
    idle,
    async close() {
      service.off('progress', onProgress);
      service.off('finished', onFinished);
      service.off('failed', onFailed);
      service.off('cancelled', onCancelled);
      for (const tracked of jobs.values()) {
        if (tracked.timer !== undefined) clearTimeout(tracked.timer);
        tracked.settling.abort();
      }
      await idle();
    },
  };
}

function withNote(content: string, note: string | undefined): string {
  return note === undefined || note === '' ? content : `${content}\n${note}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
