/**
 * Rendering off the main thread: a fixed set of worker threads, each holding the parsed SoundFont, taking
 * Scores from one queue. The SoundFont file is read once here and shared with every worker through a
 * SharedArrayBuffer, and so are its decoded samples (shared-samples.ts): whichever worker first plays a sample
 * decodes it for all.
 */

import { availableParallelism } from 'node:os';
import { Worker, type ResourceLimits } from 'node:worker_threads';

import type { Score } from '../music/score.ts';
import type { ClipOptions } from './clip-renderer.ts';
import type { RenderedClip } from './rendered-clip.ts';
import type { RenderRequest, RenderWorkerData, RenderWorkerMessage, WorkerSoundfont } from './render-worker.ts';
import { openPoolSoundfont, SoundfontError } from './soundfont.ts';
import { createSharedSampleBuffers, sharedSampleBytes } from './shared-samples.ts';
import { SAMPLE_RATE, type StereoAudio } from './stereo-audio.ts';

/** Workers when none are asked for: one per core, at most this many. */
const MAX_DEFAULT_WORKERS = 4;

/**
 * V8 heap limits of each worker. A render allocates its audio (tens of MB of Float32Arrays) in short-lived
 * objects; with V8's default young generation (semi-spaces of up to 16 MB per worker) they, and the backing stores
 * of dead buffers, pile up between scavenges. A small young generation collects them every few MB instead: with
 * 2 workers, bench/inference's peak RSS went from 843 MB to about 570 MB, and the CPU time of a clip (render,
 * master, encode, picture) stayed within the noise of the measurement.
 */
export const DEFAULT_RENDER_WORKER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 4 };

export interface RenderPoolOptions {
  /** SoundFont 2/3 file (MOTIF_SOUNDFONT); the bundled MuseScore General Lite when absent. */
  readonly soundfontPath?: string | undefined;
  /** Worker threads; default os.availableParallelism() capped at 4. */
  readonly workers?: number | undefined;
  /** V8 heap limits per worker (see DEFAULT_RENDER_WORKER_LIMITS); a worker over its old-generation limit dies. */
  readonly resourceLimits?: ResourceLimits | undefined;
  /** The worker script. Only tests change it, to run a worker that misbehaves on purpose. */
  readonly workerUrl?: URL | undefined;
}

/** Renders Scores to 48 kHz stereo on worker threads. */
export interface RenderPool {
  /** Number of worker threads. */
  readonly size: number;
  /** Bytes of decoded sample data the workers share (grows as new instruments and notes are first played). */
  readonly decodedSampleBytes: number;
  /**
   * Renders `score` to exactly ceil(lengthBeats * 60 / tempo * 48000) frames. Jobs run in the order asked,
   * one per worker. Rejects with `signal.reason` when aborted (a running render stops within ~0.1 s of audio),
   * RenderError when the render itself fails, RenderWorkerError when its worker dies (the pool starts another).
   */
  render(score: Score, signal?: AbortSignal): Promise<StereoAudio>;
  /**
   * The whole clip made on a worker thread: render, master (-16 LUFS, ≤ -1 dBTP, fades), Ogg Opus, MIDI and
   * piano roll, so the caller's event loop never blocks on any of it. Same queue and errors as `render`.
   */
  renderClip(score: Score, options?: ClipOptions, signal?: AbortSignal): Promise<RenderedClip>;
  /** Rejects queued and running renders, then terminates every worker. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A render that failed inside a healthy worker (the Score could not be rendered). */
export class RenderError extends Error {
  override readonly name = 'RenderError';
}

/** A render worker that died or could not start. */
export class RenderWorkerError extends Error {
  override readonly name = 'RenderWorkerError';
  /** The worker's exit code, when it exited. */
  readonly exitCode: number | undefined;
  override readonly cause: unknown;

  constructor(message: string, exitCode?: number, cause?: unknown) {
    super(message, { cause });
    this.exitCode = exitCode;
    this.cause = cause;
  }
}

type JobResult = { readonly audio: StereoAudio } | { readonly clip: RenderedClip };

interface Job {
  readonly id: number;
  readonly score: Score;
  readonly output: 'audio' | 'clip';
  readonly clip: ClipOptions | undefined;
  readonly resolve: (result: JobResult) => void;
  readonly reject: (reason: unknown) => void;
  /** Detaches the abort listener. */
  readonly release: () => void;
  settled: boolean;
}

interface Slot {
  readonly worker: Worker;
  /** Int32 shared with the worker: the id of the job to stop. */
  readonly cancel: Int32Array;
  readonly ready: Promise<void>;
  isReady: boolean;
  job: Job | undefined;
  /** The worker's last uncaught error, reported with its exit. */
  lastError: unknown;
}

/**
 * Reads the SoundFont, starts the workers and waits until each has parsed it.
 * @throws SoundfontError when the SoundFont is missing, unreadable or cannot be parsed.
 */
export async function createRenderPool(options: RenderPoolOptions = {}): Promise<RenderPool> {
  const soundfont = await openPoolSoundfont(options.soundfontPath);
  const soundfontPath = soundfont.path;
  const workerSoundfont: WorkerSoundfont =
    soundfont.kind === 'streamed'
      ? { kind: 'streamed', fd: soundfont.file.fd, index: soundfont.index }
      : { kind: 'whole', bytes: asSharedBuffer(soundfont.bytes) };
  const samples = createSharedSampleBuffers();
  const size = Math.max(1, Math.floor(options.workers ?? Math.min(availableParallelism(), MAX_DEFAULT_WORKERS)));
  const workerUrl = options.workerUrl ?? new URL('./render-worker.ts', import.meta.url);
  const resourceLimits = options.resourceLimits ?? DEFAULT_RENDER_WORKER_LIMITS;

  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  const settle = (job: Job, outcome: JobResult | { error: unknown }): void => {
    if (job.settled) return;
    job.settled = true;
    job.release();
    if ('error' in outcome) job.reject(outcome.error);
    else job.resolve(outcome);
  };

  const dispatch = (): void => {
    for (const slot of slots) {
      if (!slot.isReady || slot.job !== undefined) continue;
      const job = queue.shift();
      if (job === undefined) return;
      slot.job = job;
      const request: RenderRequest = {
        type: 'render',
        id: job.id,
        score: job.score,
        output: job.output,
        clip: job.clip,
      };
      slot.worker.postMessage(request);
    }
  };

  const onMessage = (slot: Slot, message: RenderWorkerMessage): void => {
    if (message.type !== 'done' && message.type !== 'clip-done' && message.type !== 'failed') return;
    const job = slot.job;
    if (job?.id !== message.id) return;
    slot.job = undefined;
    if (message.type === 'done') {
      settle(job, { audio: { sampleRate: SAMPLE_RATE, left: message.left, right: message.right } });
    } else if (message.type === 'clip-done') {
      settle(job, { clip: message.clip });
    } else {
      settle(job, { error: new RenderError(`Render failed: ${message.message}`) });
    }
    dispatch();
  };

  const onExit = (slot: Slot, code: number): void => {
    const index = slots.indexOf(slot);
    if (index === -1) return;
    slots.splice(index, 1);
    const job = slot.job;
    slot.job = undefined;
    if (closed) return;
    const detail = slot.lastError instanceof Error ? `: ${slot.lastError.message}` : '';
    if (job !== undefined) {
      const error = new RenderWorkerError(`The render worker died (exit code ${code})${detail}`, code, slot.lastError);
      settle(job, { error });
    }
    if (!slot.isReady) {
      // A replacement that cannot even start would only fail again: stop replacing, and if no worker is
      // left, fail what is waiting instead of letting it wait forever.
      if (slots.length === 0) {
        const error = new RenderWorkerError(`No render worker could start${detail}`, code, slot.lastError);
        for (const queued of queue.splice(0)) settle(queued, { error });
      }
      return;
    }
    const replacement = spawn();
    replacement.ready.then(dispatch, () => undefined);
  };

  const spawn = (): Slot => {
    const cancelBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const workerData: RenderWorkerData = { soundfont: workerSoundfont, samples, cancel: cancelBuffer };
    const worker = new Worker(workerUrl, { workerData, resourceLimits });
    let markReady: () => void = () => undefined;
    let failStart: (error: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    const slot: Slot = {
      worker,
      cancel: new Int32Array(cancelBuffer),
      ready,
      isReady: false,
      job: undefined,
      lastError: undefined,
    };
    worker.on('message', (message: RenderWorkerMessage) => {
      if (message.type === 'ready') {
        slot.isReady = true;
        markReady();
      } else if (message.type === 'init-failed') {
        failStart(
          new SoundfontError(`The SoundFont ${soundfontPath} could not be parsed: ${message.message}`, soundfontPath),
        );
        void worker.terminate();
      } else {
        onMessage(slot, message);
      }
    });
    worker.on('error', (error) => {
      slot.lastError = error;
    });
    worker.on('exit', (code) => {
      failStart(
        new RenderWorkerError(`A render worker exited while starting (exit code ${code})`, code, slot.lastError),
      );
      onExit(slot, code);
    });
    slots.push(slot);
    return slot;
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const error = new RenderWorkerError('The render pool was closed');
    for (const job of queue.splice(0)) settle(job, { error });
    const workers = slots.map((slot) => {
      if (slot.job !== undefined) settle(slot.job, { error });
      return slot.worker;
    });
    await Promise.all(workers.map((worker) => worker.terminate()));
    // Only now: a worker could be reading a sample's stream through it until it stopped.
    if (soundfont.kind === 'streamed') await soundfont.file.close();
  };

  const started = Array.from({ length: size }, () => spawn());
  try {
    await Promise.all(started.map((slot) => slot.ready));
  } catch (error) {
    await close();
    throw error;
  }

  const submit = (
    score: Score,
    output: 'audio' | 'clip',
    clip: ClipOptions | undefined,
    signal: AbortSignal | undefined,
  ): Promise<JobResult> => {
    if (closed) return Promise.reject(new RenderWorkerError('The render pool was closed'));
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return new Promise<JobResult>((resolve, reject) => {
      const id = nextId++;
      const onAbort = (): void => {
        const queued = queue.indexOf(job);
        if (queued !== -1) queue.splice(queued, 1);
        const running = slots.find((slot) => slot.job === job);
        if (running !== undefined) Atomics.store(running.cancel, 0, id);
        settle(job, { error: signal === undefined ? new DOMException('Aborted', 'AbortError') : abortReason(signal) });
      };
      const job: Job = {
        id,
        score,
        output,
        clip,
        resolve,
        reject,
        release: () => signal?.removeEventListener('abort', onAbort),
        settled: false,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(job);
      dispatch();
    });
  };

  const render = async (score: Score, signal?: AbortSignal): Promise<StereoAudio> => {
    const result = await submit(score, 'audio', undefined, signal);
    if (!('audio' in result)) throw new RenderError('The render worker answered with a clip, not audio');
    return result.audio;
  };

  const renderClip = async (score: Score, options?: ClipOptions, signal?: AbortSignal): Promise<RenderedClip> => {
    const result = await submit(score, 'clip', options, signal);
    if (!('clip' in result)) throw new RenderError('The render worker answered with audio, not a clip');
    return result.clip;
  };

  return {
    size,
    get decodedSampleBytes() {
      return sharedSampleBytes(samples);
    },
    render,
    renderClip,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The bytes' own SharedArrayBuffer when they fill one (readSoundfont's `shared` read), else a shared copy. */
function asSharedBuffer(bytes: Uint8Array): SharedArrayBuffer {
  const { buffer } = bytes;
  if (buffer instanceof SharedArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) {
    return buffer;
  }
  const copy = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/** The signal's reason when it is an Error (the default `AbortError` DOMException is), else an `AbortError`. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException(String(reason), 'AbortError');
}
