/**
 * A thin wrapper around one ONNX Runtime session of the denoiser: a device name becomes an ordered list of
 * execution providers tried one after another (the first that opens is taken, the others are reported with the
 * reason they were passed over), `run` feeds one batch and returns typed logits, `dispose` releases the session.
 * The session lives in a worker thread (model-worker.ts) unless `inWorker: false` keeps it on the calling thread.
 */
import { InferenceSession, type Tensor, listSupportedBackends } from 'onnxruntime-node';
import { GRID_TRACKS } from './grid.ts';
import { loadModelMetadata, type ModelMetadata } from './model-metadata.ts';
import { END_INPUT, INPUT_NAMES, ModelRunError, firstLine, runModel } from './model-run.ts';
import { createModelWorkerProxy } from './model-worker-proxy.ts';

import type { Device } from './devices.ts';

export { DEVICES, type Device } from './devices.ts';
export { ModelRunError } from './model-run.ts';
export { ModelWorkerError } from './model-worker-proxy.ts';

export const EXECUTION_PROVIDERS = ['cuda', 'webgpu', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** The providers to try for a device, best first; every list ends with 'cpu', which always works. */
export function executionProvidersFor(device: Device): readonly ExecutionProvider[] {
  switch (device) {
    case 'auto':
      return ['cuda', 'webgpu', 'cpu'];
    case 'cuda':
      return ['cuda', 'cpu'];
    case 'webgpu':
      return ['webgpu', 'cpu'];
    case 'cpu':
      return ['cpu'];
  }
}

export interface ProviderAttempt {
  readonly provider: ExecutionProvider;
  readonly taken: boolean;
  /** Why it was taken or passed over. */
  readonly reason: string;
}

/** One forward pass: B rows of T steps. Typed arrays are row-major in the contract's shapes. */
export interface ModelBatch {
  readonly batchSize: number;
  readonly steps: number;
  /** [B, T, 4] token ids; a masked cell holds its track's MASK id. */
  readonly tokens: BigInt64Array;
  /** [B, T] step index inside its bar. */
  readonly barPos: BigInt64Array;
  /**
   * [B, T] bars to the end of the piece per step: 0 = unknown, 1 = the last bar, 2 = the bar before, up to the
   * model's endBuckets - 1 (that many bars or more). Fed as `to_end` to models that have it (metadata endBuckets).
   */
  readonly toEnd: BigInt64Array;
  /** [B, S] style weights (all zeros = unconditioned). */
  readonly style: Float32Array;
  /** [B, 5] condition indices (0 = unspecified). */
  readonly cond: BigInt64Array;
}

export interface ModelLogits {
  readonly batchSize: number;
  readonly steps: number;
  /** One array per track in GRID_TRACKS order, each [B, T, TRACK_SIZES[track]]. */
  readonly tracks: readonly Float32Array[];
}

/** The part of an onnxruntime InferenceSession this wrapper uses (the boundary a test can fake). */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export type OpenOrtSession = (modelPath: string, options: InferenceSession.SessionOptions) => Promise<OrtSession>;

export interface ModelSessionOptions {
  readonly device?: Device;
  /**
   * Whether the session runs in its own worker thread (the default), so a diffusion step never blocks this
   * thread's event loop, or on the calling thread (`false`: onnxruntime-node then runs each step inside a
   * setImmediate callback here). An injected `openSession` opens on this thread, so it implies `false`.
   */
  readonly inWorker?: boolean;
  /** The model worker's script. Only tests change it, to run a worker that dies on purpose. */
  readonly workerUrl?: URL;
  /** Threads inside one operator (CPU provider); ONNX Runtime's default when absent. */
  readonly intraOpNumThreads?: number;
  /**
   * Whether idle intra-op threads spin waiting for work (ONNX Runtime's default) instead of sleeping. Off by
   * default: spinning only pays on cores that nothing else wants, and the render workers want them all.
   */
  readonly spinning?: boolean;
  /** Where to report the provider decision (one line) and a model worker that died. Nothing is printed otherwise. */
  readonly log?: (line: string) => void;
  /** Metadata already loaded; otherwise read from the .json beside the model. */
  readonly metadata?: ModelMetadata;
  /** Opens an ONNX Runtime session; onnxruntime-node's InferenceSession.create unless a test injects one. */
  readonly openSession?: OpenOrtSession;
  /** Provider names this onnxruntime build knows; onnxruntime-node's listSupportedBackends() unless injected. */
  readonly supportedProviders?: () => readonly string[];
  /**
   * Says why a provider cannot work here before ONNX Runtime tries it (see provider-preflight.ts), or undefined
   * to let ONNX Runtime try. None by default; the composition root passes providerUnavailableReason.
   */
  readonly preflight?: (provider: ExecutionProvider) => string | undefined;
}

export interface ModelSession {
  readonly metadata: ModelMetadata;
  readonly provider: ExecutionProvider;
  readonly attempts: readonly ProviderAttempt[];
  /**
   * One forward pass. The logits are new arrays the caller keeps; the batch's arrays are read (copied to the
   * worker's input buffer, or viewed in process) before the promise settles and never kept after it.
   * Rejects with ModelRunError, or ModelWorkerError (a ModelRunError) when the model worker died meanwhile.
   */
  run(batch: ModelBatch): Promise<ModelLogits>;
  /** Waits for runs in flight, then releases the native session and ends its worker thread. Idempotent. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export class ModelLoadError extends Error {
  readonly modelPath: string;
  readonly attempts: readonly ProviderAttempt[];
  constructor(message: string, details: { modelPath: string; attempts?: readonly ProviderAttempt[]; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.name = 'ModelLoadError';
    this.modelPath = details.modelPath;
    this.attempts = details.attempts ?? [];
  }
}

const openWithOnnxRuntime: OpenOrtSession = (modelPath, options) => InferenceSession.create(modelPath, options);
const onnxRuntimeProviders = (): readonly string[] => listSupportedBackends().map((backend) => backend.name);

/** What a provider attempt opens: the in-process ORT session, or the model in the worker. */
interface OpenedGraph {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  release(): Promise<void>;
}

/** What a ModelSession runs batches on, either side of a thread. */
interface SessionBackend {
  run(batch: ModelBatch): Promise<ModelLogits>;
  release(): Promise<void>;
}

export async function createModelSession(modelPath: string, options: ModelSessionOptions = {}): Promise<ModelSession> {
  const metadata = options.metadata ?? (await readMetadata(modelPath));
  const styleCount = metadata.styles.length;
  const inWorker = options.inWorker ?? options.openSession === undefined;
  if (inWorker && options.openSession !== undefined) {
    throw new TypeError('an injected openSession opens its session on this thread: pass inWorker: false with it');
  }

  if (!inWorker) {
    const open = options.openSession ?? openWithOnnxRuntime;
    const { graph: session, provider, attempts } = await openFirstProvider(modelPath, metadata, options, open);
    const backend: SessionBackend = {
      run: (batch) => runModel(session, batch, styleCount),
      release: () => session.release(),
    };
    return wrapSession(backend, provider, attempts, metadata);
  }

  const worker = createModelWorkerProxy({ workerUrl: options.workerUrl, log: options.log });
  try {
    const { provider, attempts } = await openFirstProvider(
      modelPath,
      metadata,
      options,
      async (path, sessionOptions) => ({
        ...(await worker.open(path, sessionOptions)),
        release: () => worker.release(),
      }),
    );
    const backend: SessionBackend = { run: (batch) => worker.run(batch, styleCount), release: () => worker.close() };
    return wrapSession(backend, provider, attempts, metadata);
  } catch (error) {
    await worker.close();
    throw error;
  }
}

/**
 * Tries the device's providers in order with `open` (on this thread or in the worker: the same attempts, the same
 * log line) and checks the one taken follows the model contract.
 */
async function openFirstProvider<G extends OpenedGraph>(
  modelPath: string,
  metadata: ModelMetadata,
  options: ModelSessionOptions,
  open: (modelPath: string, options: InferenceSession.SessionOptions) => Promise<G>,
): Promise<{ graph: G; provider: ExecutionProvider; attempts: readonly ProviderAttempt[] }> {
  const known = new Set((options.supportedProviders ?? onnxRuntimeProviders)());
  const providers = executionProvidersFor(options.device ?? 'auto');
  const attempts: ProviderAttempt[] = [];
  let opened: { graph: G; provider: ExecutionProvider } | null = null;
  let lastError: unknown = null;

  for (const provider of providers) {
    if (provider !== 'cpu' && !known.has(provider)) {
      attempts.push({ provider, taken: false, reason: 'not available in this onnxruntime-node build' });
      continue;
    }
    const unavailable = options.preflight?.(provider);
    if (unavailable !== undefined) {
      attempts.push({ provider, taken: false, reason: unavailable });
      continue;
    }
    const sessionOptions: InferenceSession.SessionOptions = {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      // One operator at a time (the graph is a chain), its work split over the intra-op threads.
      executionMode: 'sequential',
      // Failures of an accelerator come back as the error below; keep ONNX Runtime's own log quiet for them.
      logSeverityLevel: provider === 'cpu' ? 3 : 4,
      ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
      extra: {
        // Idle intra-op threads sleep instead of spinning. The render workers keep every core busy while the model
        // runs; a spinning thread takes a core from them, and a descheduled one stalls every operator that waits on
        // it (on 2 busy cores one diffusion step took 4x as long with spinning as without).
        'session.intra_op.allow_spinning': options.spinning === true ? '1' : '0',
        'session.inter_op.allow_spinning': options.spinning === true ? '1' : '0',
      },
    };
    try {
      const graph = await open(modelPath, sessionOptions);
      attempts.push({ provider, taken: true, reason: `opened${describeThreads(provider, options)}` });
      opened = { graph, provider };
      break;
    } catch (error) {
      lastError = error;
      attempts.push({ provider, taken: false, reason: `failed to open: ${firstLine(error)}` });
    }
  }

  if (!opened) {
    throw new ModelLoadError(`no execution provider could open ${modelPath}`, {
      modelPath,
      attempts,
      cause: lastError,
    });
  }
  const missing = checkNames(opened.graph, metadata);
  if (missing !== null) {
    await opened.graph.release();
    throw new ModelLoadError(`${modelPath} does not follow the model contract: ${missing}`, { modelPath, attempts });
  }
  options.log?.(describeAttempts(metadata, attempts));
  return { ...opened, attempts };
}

async function readMetadata(modelPath: string): Promise<ModelMetadata> {
  const loaded = await loadModelMetadata(modelPath);
  if (!loaded.ok) {
    throw new ModelLoadError(`model metadata: ${loaded.error.message}`, { modelPath, cause: loaded.error });
  }
  return loaded.value;
}

function wrapSession(
  backend: SessionBackend,
  provider: ExecutionProvider,
  attempts: readonly ProviderAttempt[],
  metadata: ModelMetadata,
): ModelSession {
  const inFlight = new Set<Promise<unknown>>();
  let released: Promise<void> | null = null;

  const run = async (batch: ModelBatch): Promise<ModelLogits> => {
    if (released) throw new ModelRunError('the model session is disposed');
    const pending = backend.run(batch);
    inFlight.add(pending);
    try {
      return await pending;
    } finally {
      inFlight.delete(pending);
    }
  };

  const dispose = (): Promise<void> => {
    released ??= (async () => {
      await Promise.allSettled([...inFlight]);
      await backend.release();
    })();
    return released;
  };

  return { metadata, provider, attempts, run, dispose, [Symbol.asyncDispose]: dispose };
}

function checkNames(
  session: Pick<OpenedGraph, 'inputNames' | 'outputNames'>,
  metadata: Pick<ModelMetadata, 'endBuckets'>,
): string | null {
  const inputs = metadata.endBuckets > 0 ? [...INPUT_NAMES, END_INPUT] : INPUT_NAMES;
  const missingInputs = inputs.filter((name) => !session.inputNames.includes(name));
  const missingOutputs = GRID_TRACKS.filter((name) => !session.outputNames.includes(name));
  if (missingInputs.length === 0 && missingOutputs.length === 0) return null;
  return `missing ${[...missingInputs.map((n) => `input ${n}`), ...missingOutputs.map((n) => `output ${n}`)].join(', ')}`;
}

function describeThreads(provider: ExecutionProvider, options: ModelSessionOptions): string {
  return provider === 'cpu' && options.intraOpNumThreads !== undefined
    ? ` with ${options.intraOpNumThreads} intra-op threads`
    : '';
}

function describeAttempts(metadata: ModelMetadata, attempts: readonly ProviderAttempt[]): string {
  const taken = attempts.find((attempt) => attempt.taken);
  const passed = attempts.filter((attempt) => !attempt.taken).map((a) => `${a.provider}: ${a.reason}`);
  const head = `model ${metadata.name} ${metadata.version}: ${taken?.provider ?? 'none'} ${taken?.reason ?? ''}`.trim();
  return passed.length === 0 ? head : `${head} (passed over ${passed.join('; ')})`;
}
