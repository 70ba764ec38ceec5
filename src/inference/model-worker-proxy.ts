/**
 * The main thread's side of the model worker (model-worker.ts). Requests go to the worker one at a time; a run
 * copies its batch into one shared input buffer (grown when a larger batch comes) and gets the logits back in
 * buffers the worker transfers, so nothing is serialised either way. The main thread only posts and receives: it
 * never waits on ONNX Runtime.
 *
 * A worker that dies (process.exit, an uncaught error, out of memory) rejects every run not yet answered with
 * ModelWorkerError and says so in one log line; the next run starts a new worker and opens the model there again
 * with the options that opened it first.
 */
import { Worker } from 'node:worker_threads';

import type { InferenceSession } from 'onnxruntime-node';

import { ModelRunError, checkBatch } from './model-run.ts';
import type { ModelBatch, ModelLogits } from './model-session.ts';
import type { ModelWorkerReply, ModelWorkerRequest } from './model-worker.ts';
import { sharedBatchLayout, writeSharedBatch } from './shared-batch.ts';

/** How long close() lets the worker release its session before terminating it anyway. */
const RELEASE_TIMEOUT_MS = 5000;

/** The model worker died, or could not open the model again after it did. A run that fails this way can be retried. */
export class ModelWorkerError extends ModelRunError {
  /** The worker's exit code, when it exited. */
  readonly exitCode: number | undefined;
  constructor(message: string, details: { exitCode?: number | undefined; cause?: unknown } = {}) {
    super(message, { cause: details.cause });
    this.name = 'ModelWorkerError';
    this.exitCode = details.exitCode;
  }
}

export interface ModelWorkerProxyOptions {
  /** The worker script. Only tests change it, to run a worker that dies on purpose. */
  readonly workerUrl?: URL | undefined;
  /** Where a dead worker is reported (one line). */
  readonly log?: ((line: string) => void) | undefined;
}

export interface OpenedModel {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

export interface ModelWorkerProxy {
  /**
   * Opens the model in the worker (one execution provider in `options`), starting the worker when there is none.
   * Rejects with an Error carrying ONNX Runtime's message when it cannot.
   */
  open(modelPath: string, options: InferenceSession.SessionOptions): Promise<OpenedModel>;
  /** Releases the session the worker holds; the worker stays for another open. */
  release(): Promise<void>;
  /** One forward pass: checks the batch here, runs it there. Rejects with ModelRunError or ModelWorkerError. */
  run(batch: ModelBatch, styleCount: number): Promise<ModelLogits>;
  /** Waits for requests in flight, releases the session and terminates the worker. Idempotent. */
  close(): Promise<void>;
}

interface Pending {
  readonly resolve: (reply: ModelWorkerReply) => void;
  readonly reject: (error: unknown) => void;
}

/** One started worker thread. */
interface LiveWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** The input buffer this worker was last sent (it keeps it between runs). */
  inputsSent: SharedArrayBuffer | undefined;
  /** Its last uncaught error, reported with its exit. */
  lastError: unknown;
  /** Terminated on purpose (it could not open the model again): its exit is no news. */
  retired: boolean;
}

/** A distributive Omit, so each request variant keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export function createModelWorkerProxy(options: ModelWorkerProxyOptions = {}): ModelWorkerProxy {
  const workerUrl = options.workerUrl ?? new URL('./model-worker.ts', import.meta.url);
  let live: LiveWorker | undefined;
  let nextId = 1;
  /** Requests run one after another: a run's inputs wait in the one shared buffer until the worker has read them. */
  let queue: Promise<unknown> = Promise.resolve();
  /** The open to repeat in a new worker after one died. */
  let opened: { readonly modelPath: string; readonly options: InferenceSession.SessionOptions } | undefined;
  let inputs: SharedArrayBuffer | undefined;
  /** Runs asked for and not yet settled. */
  let unsettledRuns = 0;
  /** Counts worker deaths; a run asked for before the latest one fails with its error. */
  let deaths = 0;
  let lastDeath: ModelWorkerError | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;

  const onExit = (state: LiveWorker, code: number): void => {
    if (live === state) live = undefined;
    const detail = state.lastError instanceof Error ? `: ${state.lastError.message}` : '';
    if (closing || state.retired) {
      const error = new ModelWorkerError('the model worker was closed', { exitCode: code });
      for (const pending of state.pending.values()) pending.reject(error);
      state.pending.clear();
      return;
    }
    const error = new ModelWorkerError(`the model worker died (exit code ${code})${detail}`, {
      exitCode: code,
      cause: state.lastError,
    });
    deaths++;
    lastDeath = error;
    for (const pending of state.pending.values()) pending.reject(error);
    state.pending.clear();
    // While providers are being tried the death is one failed attempt, reported with the others.
    if (opened === undefined) return;
    const runs = unsettledRuns === 1 ? '1 run' : `${unsettledRuns} runs`;
    options.log?.(
      `model worker died (exit code ${code})${detail}; ${runs} rejected; the next run opens the model in a new worker`,
    );
  };

  const spawn = (): LiveWorker => {
    const worker = new Worker(workerUrl);
    // An idle worker does not keep the process alive (nor does an idle in-process session); a request does.
    worker.unref();
    const state: LiveWorker = {
      worker,
      pending: new Map(),
      inputsSent: undefined,
      lastError: undefined,
      retired: false,
    };
    worker.on('message', (reply: ModelWorkerReply) => {
      const pending = state.pending.get(reply.id);
      if (pending === undefined) return;
      state.pending.delete(reply.id);
      if (state.pending.size === 0) worker.unref();
      pending.resolve(reply);
    });
    worker.on('error', (error) => {
      state.lastError = error;
    });
    worker.on('exit', (code) => {
      onExit(state, code);
    });
    live = state;
    return state;
  };

  const call = (
    state: LiveWorker,
    request: WithoutId<ModelWorkerRequest>,
    transfer: ArrayBuffer[] = [],
  ): Promise<ModelWorkerReply> =>
    new Promise<ModelWorkerReply>((resolve, reject) => {
      const id = nextId++;
      state.pending.set(id, { resolve, reject });
      state.worker.ref();
      state.worker.postMessage({ ...request, id }, transfer);
    });

  const serialise = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  };

  /** The live worker, or a new one with the model opened again as it was in the one that died. */
  const ensureWorker = async (): Promise<LiveWorker> => {
    if (live !== undefined) return live;
    const state = spawn();
    if (opened === undefined) return state;
    const { modelPath } = opened;
    const reply = await call(state, { type: 'open', modelPath, options: opened.options });
    if (reply.type !== 'opened') {
      // Without the model this worker is of no use: the next run starts another.
      state.retired = true;
      live = undefined;
      await state.worker.terminate();
      const message = reply.type === 'failed' ? reply.message : `unexpected answer ${reply.type}`;
      throw new ModelWorkerError(`a new model worker could not open ${modelPath}: ${message}`);
    }
    options.log?.(`model worker started again: ${modelPath} opened`);
    return state;
  };

  const open = (modelPath: string, sessionOptions: InferenceSession.SessionOptions): Promise<OpenedModel> =>
    serialise(async () => {
      if (closing) throw new ModelWorkerError('the model worker was closed');
      const state = await ensureWorker();
      const reply = await call(state, { type: 'open', modelPath, options: sessionOptions });
      if (reply.type === 'failed') throw new Error(reply.message);
      if (reply.type !== 'opened') throw new ModelWorkerError(`unexpected answer ${reply.type} to open`);
      opened = { modelPath, options: sessionOptions };
      return { inputNames: reply.inputNames, outputNames: reply.outputNames };
    });

  const release = (): Promise<void> =>
    serialise(async () => {
      opened = undefined;
      if (live !== undefined) await call(live, { type: 'release' });
    });

  const run = async (batch: ModelBatch, styleCount: number): Promise<ModelLogits> => {
    if (closing) throw new ModelRunError('the model session is disposed');
    checkBatch(batch, styleCount);
    const deathsBefore = deaths;
    unsettledRuns++;
    const result = serialise(async (): Promise<ModelLogits> => {
      if (deaths !== deathsBefore && lastDeath !== undefined) throw lastDeath;
      if (closing) throw new ModelRunError('the model session is disposed');
      const state = await ensureWorker();
      const { batchSize, steps } = batch;
      const { bytes } = sharedBatchLayout(batchSize, steps, styleCount);
      if (inputs === undefined || inputs.byteLength < bytes) inputs = new SharedArrayBuffer(bytes);
      const sent = state.inputsSent === inputs ? undefined : inputs;
      state.inputsSent = inputs;
      writeSharedBatch(inputs, batch, styleCount);
      const reply = await call(state, { type: 'run', batchSize, steps, styleCount, inputs: sent });
      if (reply.type === 'ran') return { batchSize, steps, tracks: reply.tracks };
      if (reply.type === 'failed') {
        throw new ModelRunError(reply.message, reply.cause === undefined ? {} : { cause: new Error(reply.cause) });
      }
      throw new ModelWorkerError(`unexpected answer ${reply.type} to run`);
    });
    try {
      return await result;
    } finally {
      unsettledRuns--;
    }
  };

  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      await queue;
      const state = live;
      if (state === undefined) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, RELEASE_TIMEOUT_MS);
      });
      try {
        await Promise.race([call(state, { type: 'release' }), timeout]);
      } catch {
        // The worker died meanwhile: there is nothing left to release.
      } finally {
        clearTimeout(timer);
      }
      await state.worker.terminate();
    })();
    return closed;
  };

  return { open, release, run, close };
}
