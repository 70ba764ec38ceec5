/**
 * The inference service: the one loop every front end (the bot's commands, radio, the CLI) hands clips to.
 *
 * It takes up to `batchSize` waiting jobs from the job queue (fair order between users; only jobs of the same
 * length bucket join one batch), runs their diffusion steps as one batch through the model session (one model
 * run per diffusion step for the whole batch, conditional and unconditional rows together), and hands each
 * finished grid to the render pool (worker threads: render, master, Ogg Opus, MIDI, picture) while the next batch
 * is generated. The model session runs ONNX Runtime in its own worker thread (model-worker.ts), and sampling gives
 * the event loop a turn between the rows of a batch, so the main thread is never held for more than one row's
 * sampling (a few ms): voice packets and gateway heartbeats keep their pace while clips are composed.
 * A finished clip's files go under `dataDir/JOB_ID/` and its result into the queue in one statement; then
 * `finished` is emitted.
 *
 * Nothing is lost when the process dies: the queue keeps every job, `start()` puts jobs left running back in
 * the queue, and `stop()` drains (jobs still unfinished when its grace time runs out stay 'running' in the
 * database, so the next start runs them again).
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

import type { ClipOptions } from '../audio/clip-renderer.ts';
import { RenderWorkerError, type RenderPool } from '../audio/render-pool.ts';
import { createBatchPlanner, diffusionSteps } from './batch-planner.ts';
import { finishClip, prepareCompose, type PrepareContext, type PreparedClip } from './clip-job.ts';
import { parseComposeRequest } from './compose-request.ts';
import { generate, generateBatch, samplingParams, type DenoiserSession, type GenerateResult } from './generate.ts';
import { removeJobClip, writeJobClip } from './job-clip-files.ts';
import type { InferenceServiceEvents, JobProgress, JobResult } from './job-events.ts';
import type { CancelResult, JobQueue, JobRecord, SubmitResult } from './job-queue.ts';
import { prepareJobRequest, type JobRequest } from './job-request.ts';
import { ModelRunError, type ModelSession } from './model-session.ts';
import type { SamplingParams } from './sampler.ts';

/** A Discord interaction token lasts 15 minutes; a reply later than that goes to the channel as a message. */
export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60 * 1000;

export interface InferenceServiceOptions {
  readonly queue: JobQueue;
  /** The model session (a test may wrap one to watch its batches). */
  readonly session: Pick<ModelSession, 'metadata' | 'provider' | 'run'>;
  readonly renderPool: Pick<RenderPool, 'renderClip' | 'size'>;
  /** Where finished clips are written, one folder per job. */
  readonly dataDir: string;
  /** Most jobs in one model batch (each guided job is 2 rows); default 8. */
  readonly batchSize?: number | undefined;
  readonly sampling?: Partial<SamplingParams> | undefined;
  readonly clip?: ClipOptions | undefined;
  /** Where one-line reports go (recovery, requeued failures); nothing is printed otherwise. */
  readonly log?: ((line: string) => void) | undefined;
  /** ms since the epoch, for the interaction token's age; Date.now by default. */
  readonly clock?: (() => number) | undefined;
  /** Token age from which `finished.tokenExpired` is true; default 15 minutes. */
  readonly tokenLifetimeMs?: number | undefined;
  /** How often an idle loop looks for jobs queued by another process; default 1000 ms (a submit wakes it at once). */
  readonly idlePollMs?: number | undefined;
  /** Clips generated and waiting for or in the render pool before the loop waits; default max(batch, 2 × workers). */
  readonly maxPendingRenders?: number | undefined;
  /**
   * How far down the fair order a job may be and still join the batch of the job at its head (same length
   * bucket); default 3 × batchSize. Larger fills batches better, smaller keeps the order fairer.
   */
  readonly batchWindow?: number | undefined;
}

export type {
  CancelledJob,
  FailedJob,
  FinishedJob,
  InferenceServiceEvents,
  JobProgress,
  JobResult,
  JobStage,
} from './job-events.ts';

export interface SubmitJobInput {
  readonly userId: string;
  readonly guildId: string | null;
  readonly channelId: string | null;
  readonly interactionToken: string | null;
  readonly request: JobRequest;
}

/** The queue's answer, or 'bad-request' when the request cannot be run at all (nothing is queued then). */
export type SubmitJobResult =
  SubmitResult | { ok: false; error: { code: 'bad-request'; message: string; retryAfterSeconds: number } };

export interface JobStatusView {
  readonly job: JobRecord;
  /** Where a queued or running job is; undefined once it finished (or while another process runs it). */
  readonly progress: JobProgress | undefined;
}

export interface WarmUpReport {
  readonly provider: string;
  readonly modelMs: number;
  readonly renderMs: number;
}

export interface StopOptions {
  /** How long to wait for jobs in flight before abandoning them (they stay 'running'); default 30 s. */
  readonly graceMs?: number | undefined;
}

export type ServiceState = 'idle' | 'running' | 'stopping' | 'stopped';

export interface InferenceService {
  readonly state: ServiceState;
  /** Checks the request, queues it and wakes the loop; emits a 'queued' progress event when queued. */
  submit(input: SubmitJobInput): SubmitJobResult;
  /** The owner cancels: a queued job never runs; a running one is aborted and its result thrown away. */
  cancel(jobId: string, userId: string): CancelResult;
  status(jobId: string): JobStatusView | undefined;
  /** The user's running, queued and latest finished jobs. */
  statusForUser(userId: string): JobStatusView[];
  on<E extends keyof InferenceServiceEvents>(
    event: E,
    listener: (...args: InferenceServiceEvents[E]) => void,
  ): InferenceService;
  off<E extends keyof InferenceServiceEvents>(
    event: E,
    listener: (...args: InferenceServiceEvents[E]) => void,
  ): InferenceService;
  /** One short clip through the model and every render worker, so the first real request is not the slow one. */
  warmUp(signal?: AbortSignal): Promise<WarmUpReport>;
  /** Puts jobs a dead process left running back in the queue, then starts the loop. Returns how many came back. */
  start(): number;
  /** Takes no new jobs, waits for those in flight (up to graceMs), and stops. Idempotent. */
  stop(options?: StopOptions): Promise<void>;
}

const DEFAULT_BATCH_SIZE = 8;
const DEFAULT_IDLE_POLL_MS = 1000;
const DEFAULT_GRACE_MS = 30_000;
/** Weight of the newest measurement in the running averages behind the ETAs. */
const EWMA = 0.3;

/** Why a job's work was abandoned when the service stopped (it stays 'running' for the next start). */
class ShutdownError extends Error {
  override readonly name = 'ShutdownError';
}

interface LiveJob {
  readonly job: JobRecord;
  readonly prepared: PreparedClip;
  readonly controller: AbortController;
  readonly batch: LiveBatch;
  /** performance.now() when its batch started. */
  readonly startedAt: number;
  stage: 'composing' | 'rendering';
  step: number;
  renderStartedAt: number;
}

interface LiveBatch {
  readonly controller: AbortController;
  readonly jobs: LiveJob[];
  readonly steps: number;
}

export function createInferenceService(options: InferenceServiceOptions): InferenceService {
  const { queue, session, renderPool, dataDir } = options;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const sampling = samplingParams(options.sampling);
  const context: PrepareContext = { modelStyles: session.metadata.styles, sampling };
  const clock = options.clock ?? Date.now;
  const tokenLifetimeMs = options.tokenLifetimeMs ?? INTERACTION_TOKEN_LIFETIME_MS;
  const idlePollMs = options.idlePollMs ?? DEFAULT_IDLE_POLL_MS;
  const maxPendingRenders = Math.max(1, options.maxPendingRenders ?? Math.max(batchSize, 2 * renderPool.size));
  const planner = createBatchPlanner({
    batchSize,
    window: options.batchWindow,
    prepare: (request) => prepareJobRequest(request, context),
  });
  const log = options.log ?? (() => undefined);
  const events = new EventEmitter<InferenceServiceEvents>();

  let state: ServiceState = 'idle';
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  /** Jobs taken by this process and not yet settled. */
  const live = new Map<string, LiveJob>();
  /** Queued jobs this process knows of, with the position last reported. */
  const waiting = new Map<string, { userId: string; position: number | undefined }>();
  const pendingRenders = new Set<Promise<void>>();
  /** Running averages for ETAs: one diffusion step of a batch, one render stage. */
  let stepMs: number | undefined;
  let renderMs: number | undefined;

  const emit = <E extends keyof InferenceServiceEvents>(event: E, ...args: InferenceServiceEvents[E]): void => {
    try {
      (events as EventEmitter).emit(event, ...args);
    } catch (error) {
      // A listener that throws must not stop the loop or undo a completed job.
      log(`inference service: a ${event} listener threw: ${describe(error)}`);
    }
  };

  const reportError = (error: unknown): void => {
    const wrapped = error instanceof Error ? error : new Error(String(error));
    if (events.listenerCount('error') > 0) emit('error', wrapped);
    else log(`inference service: ${wrapped.message}`);
  };

  const seconds = (ms: number | undefined): number | undefined =>
    ms === undefined ? undefined : Math.max(0, Math.round(ms / 100) / 10);

  const progressOf = (item: LiveJob): JobProgress => {
    const { job } = item;
    if (item.stage === 'rendering') {
      const left = renderMs === undefined ? undefined : renderMs - (performance.now() - item.renderStartedAt);
      return { jobId: job.id, userId: job.userId, stage: 'rendering', etaSeconds: seconds(left) };
    }
    const left =
      stepMs === undefined || renderMs === undefined ? undefined : (item.batch.steps - item.step) * stepMs + renderMs;
    return {
      jobId: job.id,
      userId: job.userId,
      stage: 'composing',
      step: item.step,
      steps: item.batch.steps,
      etaSeconds: seconds(left),
    };
  };

  const queuedProgress = (jobId: string, userId: string, position: number): JobProgress => ({
    jobId,
    userId,
    stage: 'queued',
    position,
    etaSeconds: queue.estimateWaitSeconds(position),
  });

  /** Tells waiting jobs their new place after the queue moved (only those whose place changed). */
  const reportPositions = (): void => {
    for (const [jobId, entry] of waiting) {
      const position = queue.position(jobId);
      if (position === undefined) {
        waiting.delete(jobId);
        continue;
      }
      if (position === entry.position) continue;
      entry.position = position;
      emit('progress', queuedProgress(jobId, entry.userId, position));
    }
  };

  const wake = (): void => {
    wakeUp?.();
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeUp = done;
    });

  /** Records a failure in the queue; retryable ones may go back to the queue (then no 'failed' event). */
  const failJob = (job: JobRecord, message: string, retryable: boolean): void => {
    planner.forget(job.id);
    if (!queue.fail(job.id, message, { retryable })) return;
    const record = queue.get(job.id) ?? job;
    if (record.status === 'queued') {
      log(`inference service: job ${job.id} failed (${message}); queued again`);
      waiting.set(job.id, { userId: job.userId, position: undefined });
      reportPositions();
      return;
    }
    emit('failed', { job: record, error: message });
  };

  /** The model stage of the job is over: from here on it is arranged, rendered and written. */
  const markRendering = (item: LiveJob): void => {
    item.stage = 'rendering';
    item.renderStartedAt = performance.now();
    emit('progress', progressOf(item));
  };

  const startRender = (item: LiveJob, generated: GenerateResult): void => {
    const { job } = item;
    const pending = (async () => {
      try {
        const made = await finishClip(item.prepared, generated, {
          session,
          renderPool,
          sampling,
          clip: options.clip,
          startedAt: item.startedAt,
          signal: item.controller.signal,
          timings: {
            queue: Math.max(0, (job.startedAt ?? job.createdAt) - job.createdAt),
            batch: item.batch.jobs.length,
          },
        });
        if (item.controller.signal.aborted) return;
        renderMs = average(renderMs, performance.now() - item.renderStartedAt);
        const files = await writeJobClip(dataDir, job.id, made);
        const result: JobResult = { files, meta: made.meta };
        if (cancelled(item) || !queue.complete(job.id, result)) {
          // Cancelled (here or by another process) while the files were written.
          await removeJobClip(dataDir, job.id);
          return;
        }
        const record = queue.get(job.id) ?? { ...job, status: 'done' as const };
        const tokenExpired = job.interactionToken !== null && clock() - job.createdAt >= tokenLifetimeMs;
        emit('finished', { job: record, files, meta: made.meta, tokenExpired });
      } catch (error) {
        if (item.controller.signal.aborted) return;
        failJob(job, describe(error), error instanceof RenderWorkerError);
      } finally {
        live.delete(job.id);
      }
    })().catch(reportError);
    pendingRenders.add(pending);
    void pending.finally(() => pendingRenders.delete(pending));
  };

  const runBatch = async (taken: readonly JobRecord[]): Promise<void> => {
    const jobs: { job: JobRecord; prepared: PreparedClip }[] = [];
    for (const job of taken) {
      const prepared = planner.prepared(job);
      planner.forget(job.id);
      waiting.delete(job.id);
      if (prepared.ok) jobs.push({ job, prepared: prepared.value });
      else failJob(job, prepared.error, false);
    }
    const first = jobs[0];
    if (first === undefined) return;

    const startedAt = performance.now();
    const batch: LiveBatch = {
      controller: new AbortController(),
      jobs: [],
      steps: diffusionSteps(first.prepared.generate, session.metadata),
    };
    for (const { job, prepared } of jobs) {
      const item: LiveJob = {
        job,
        prepared,
        controller: new AbortController(),
        batch,
        startedAt,
        stage: 'composing',
        step: 0,
        renderStartedAt: 0,
      };
      batch.jobs.push(item);
      live.set(job.id, item);
      emit('progress', progressOf(item));
    }

    let lastStep = performance.now();
    const stepping: DenoiserSession = {
      metadata: session.metadata,
      run: async (modelBatch) => {
        const logits = await session.run(modelBatch);
        const now = performance.now();
        stepMs = average(stepMs, now - lastStep);
        lastStep = now;
        for (const item of batch.jobs) {
          if (item.controller.signal.aborted) continue;
          item.step = Math.min(item.step + 1, batch.steps);
          emit('progress', progressOf(item));
        }
        return logits;
      },
    };

    let results: GenerateResult[];
    try {
      results = await generateBatch(
        stepping,
        batch.jobs.map((item) => item.prepared.generate),
        { signal: batch.controller.signal },
      );
    } catch (error) {
      for (const item of batch.jobs) {
        live.delete(item.job.id);
        if (!item.controller.signal.aborted && !batch.controller.signal.aborted) {
          failJob(item.job, describe(error), error instanceof ModelRunError);
        }
      }
      return;
    }
    // Every job of the batch leaves the model stage now, before the first is arranged.
    const generated: [LiveJob, GenerateResult][] = [];
    for (const [index, item] of batch.jobs.entries()) {
      const result = results[index];
      if (item.controller.signal.aborted || result === undefined) {
        live.delete(item.job.id);
        continue;
      }
      markRendering(item);
      generated.push([item, result]);
    }
    for (const [item, result] of generated) {
      // A job cancelled meanwhile still goes to startRender, which drops it (its signal is aborted).
      startRender(item, result);
      // Arranging is synchronous: let other work in between clips.
      await nextTurn();
    }
  };

  const runLoop = async (): Promise<void> => {
    while (state === 'running') {
      try {
        if (pendingRenders.size >= maxPendingRenders) {
          await Promise.race(pendingRenders);
          continue;
        }
        const taken = planner.take(queue);
        if (taken.length === 0) {
          await sleep(idlePollMs);
          continue;
        }
        reportPositions();
        await runBatch(taken);
      } catch (error) {
        reportError(error);
        if (service.state === 'running') await sleep(idlePollMs);
      }
    }
    await Promise.allSettled(pendingRenders);
  };

  const service: InferenceService = {
    get state() {
      return state;
    },

    submit(input) {
      const prepared = prepareJobRequest(input.request, context);
      if (!prepared.ok) {
        return { ok: false, error: { code: 'bad-request', message: prepared.error, retryAfterSeconds: 0 } };
      }
      const submitted = queue.submit({
        kind: input.request.kind,
        userId: input.userId,
        guildId: input.guildId,
        channelId: input.channelId,
        interactionToken: input.interactionToken,
        request: input.request,
      });
      if (!submitted.ok) return submitted;
      const { job, position } = submitted;
      planner.remember(job.id, prepared);
      waiting.set(job.id, { userId: job.userId, position });
      emit('progress', queuedProgress(job.id, job.userId, position));
      wake();
      return submitted;
    },

    cancel(jobId, userId) {
      const cancelled = queue.cancel(jobId, userId);
      if (!cancelled.ok) return cancelled;
      planner.forget(jobId);
      waiting.delete(jobId);
      const item = live.get(jobId);
      if (item) {
        item.controller.abort(new DOMException('The job was cancelled', 'AbortError'));
        // The batch goes on for the others; only when no one is left is the model stage itself stopped.
        if (item.batch.jobs.every((other) => other.controller.signal.aborted)) {
          item.batch.controller.abort(new DOMException('Every job of the batch was cancelled', 'AbortError'));
        }
      }
      const record = queue.get(jobId);
      if (record) emit('cancelled', { job: record, wasRunning: cancelled.wasRunning });
      reportPositions();
      return cancelled;
    },

    status(jobId) {
      const job = queue.get(jobId);
      return job === undefined ? undefined : view(job);
    },

    statusForUser(userId) {
      return queue.listForUser(userId).map(view);
    },

    on(event, listener) {
      events.on(event, listener as never);
      return service;
    },

    off(event, listener) {
      events.off(event, listener as never);
      return service;
    },

    async warmUp(signal) {
      const parsed = parseComposeRequest({ style: 'pop', length: 4, seed: 1 }, { style: 'pop', seed: () => 1 });
      if (!parsed.ok) throw new Error(`warm-up request: ${parsed.error.message}`);
      const prepared = prepareCompose(parsed.value, context);
      const started = performance.now();
      const generated = await generate(session, prepared.generate, signal === undefined ? {} : { signal });
      const generatedAt = performance.now();
      // One render per worker, at once, so that every worker has run the whole clip path once.
      await Promise.all(
        Array.from({ length: renderPool.size }, () =>
          finishClip(prepared, generated, {
            session,
            renderPool,
            sampling,
            clip: options.clip,
            startedAt: generatedAt,
            signal,
          }),
        ),
      );
      const report = {
        provider: session.provider,
        modelMs: Math.round(generatedAt - started),
        renderMs: Math.round(performance.now() - generatedAt),
      };
      log(
        `inference service warmed up on ${report.provider}: model ${report.modelMs} ms, render ${report.renderMs} ms`,
      );
      return report;
    },

    start() {
      if (state !== 'idle') throw new Error(`the inference service cannot start: it is ${state}`);
      const recovered = queue.recover((job) => {
        emit('failed', { job, error: job.error ?? 'gave up after too many attempts' });
      });
      if (recovered.length > 0) log(`inference service: ${recovered.length} unfinished job(s) queued again`);
      for (const job of recovered) waiting.set(job.id, { userId: job.userId, position: undefined });
      state = 'running';
      reportPositions();
      loop = runLoop();
      return recovered.length;
    },

    async stop(stopOptions = {}) {
      if (state === 'idle') state = 'stopped';
      if (state === 'stopped') return;
      if (state === 'running') state = 'stopping';
      wake();
      const running = loop ?? Promise.resolve();
      const graceMs = stopOptions.graceMs ?? DEFAULT_GRACE_MS;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => {
          resolve('expired');
        }, graceMs);
      });
      const outcome = await Promise.race([running.then(() => 'drained' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'expired') {
        const reason = new ShutdownError('the inference service stopped');
        for (const item of live.values()) {
          item.controller.abort(reason);
          item.batch.controller.abort(reason);
        }
        if (live.size > 0) log(`inference service: ${live.size} job(s) left running, for the next start`);
        await running;
      }
      state = 'stopped';
    },
  };

  const view = (job: JobRecord): JobStatusView => {
    if (job.status === 'queued') {
      const position = queue.position(job.id);
      return {
        job,
        progress: position === undefined ? undefined : queuedProgress(job.id, job.userId, position),
      };
    }
    const item = live.get(job.id);
    return { job, progress: job.status === 'running' && item ? progressOf(item) : undefined };
  };

  return service;
}

/** Read through a function: the signal may be aborted while the caller awaits. */
function cancelled(item: LiveJob): boolean {
  return item.controller.signal.aborted;
}

function average(previous: number | undefined, value: number): number {
  return previous === undefined ? value : previous + EWMA * (value - previous);
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
