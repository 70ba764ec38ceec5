/**
 * The generation loop: forward (conditional and unconditional rows in one batch) → logits processing → sample →
 * unmask → repeat, for one request or several with the same length in one batch. Clips longer than the model's
 * window are generated window by window, each next window keeping the last bars of what exists as fixed context.
 * Every clip is written after a bar of lead-in that is then dropped (GenerateOptions.leadInBars), so that it starts
 * inside the music rather than where the model's pieces start.
 *
 * Two views: the model reads each request twice per step, once as a lead sheet (melody, bass, harmony; the drums
 * masked) and once as a drum part (the other tracks masked, density and mode unspecified). In the training data
 * drums never occur with the other tracks (only Groove MIDI has drums), and a drum piece's density condition is its
 * drum density. Read in one row, the drums of a tune asked to be 'dense' came out at 14-15 hits a bar against 10 in
 * the data, and the melody followed the drums it had never seen. Each view is what the model was trained on.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

import vocabulary from '../music/vocabulary.json' with { type: 'json' };
import { createRandom, type Random } from '../music/random.ts';
import { harmonySpanSteps } from './harmonic-rhythm.ts';
import {
  FIRST_PITCH,
  HOLD,
  REST,
  TRACK_COUNT,
  TRACK_INDEX,
  TRACK_SIZES,
  maskId,
  repairHolds,
  validateGrid,
  type Grid,
  type Result,
} from './grid.ts';
import type { ModelMetadata } from './model-metadata.ts';
import type { ModelBatch, ModelSession } from './model-session.ts';
import {
  DEFAULT_SAMPLING,
  cosineSchedule,
  createSamplerScratch,
  denoiseStep,
  gumbelNoiseScale,
  type RowLogits,
  type SamplingParams,
} from './sampler.ts';

export const CONDITION_KINDS = ['mood', 'tempo', 'density', 'mode', 'meter'] as const;
export type ConditionKind = (typeof CONDITION_KINDS)[number];
/** Indices into vocabulary.conditions[kind]; 0 = unspecified. */
export type Conditions = Readonly<Record<ConditionKind, number>>;

export const UNSPECIFIED_CONDITIONS: Conditions = { mood: 0, tempo: 0, density: 0, mode: 0, meter: 0 };

/**
 * What classifier-free guidance strengthens: the style mix and these conditions. The unconditional row is told the
 * others too, so guidance does not push the music away from what the average piece at that tempo, density, mode and
 * meter does. Guiding every condition did: POP909 songs near 110 BPM play the bass on beat 2 more often than slower
 * ones, and pop at the recipe's 110 BPM came out with the bass on beat 2 in 86% of bars and on the downbeat in 45%
 * (the data's pop: 21% and 83%; now 70% and 53%). Keeping tempo, density, mode and meter out of the guidance (and
 * electronic asking for dense leads, since density now acts at weight 1) brought the evaluation from 74, 71 and 74 to
 * 77, 79 and 78 of 96 metrics within ±15% on three seed sets (models/MODEL_CARD.md). The model was trained with each
 * condition and the style dropped on their own, so a row with no style but a tempo is one it knows.
 */
export const GUIDED_CONDITIONS: ReadonlySet<ConditionKind> = new Set(['mood']);

export interface GenerateRequest {
  /** Length T in steps (16th notes), a multiple of the model's patchSteps. */
  readonly steps: number;
  readonly stepsPerBar: number;
  /** Position of grid step 0 inside its bar (0 unless the grid starts mid-bar). */
  readonly barOffset?: number;
  /** Weights over the model's `styles` (normalised here; all zeros = no style). */
  readonly styleWeights: readonly number[];
  readonly conditions: Conditions;
  readonly seed: number;
  readonly sampling?: Partial<SamplingParams>;
  /**
   * Whether the grid's last bar ends the piece (default true): a model told so (metadata endBuckets > 0) writes the
   * kind of ending it learned from the data; false leaves the end unknown, as for music that goes on.
   */
  readonly ends?: boolean;
  /** With `fixed`: the grid to start from (variation, extension, regenerating a track: see edit-masks.ts). */
  readonly initial?: Grid;
  /**
   * T * 4 flags, 1 = keep the cell of `initial`, 0 = generate it. A kept melody/bass 'hold' should follow a kept
   * cell (edit-masks.ts guarantees it); one after a generated rest stays as it is and reads as a rest.
   */
  readonly fixed?: Uint8Array;
}

export interface GenerateTiming {
  readonly totalMs: number;
  /** Time inside session.run. */
  readonly modelMs: number;
  /** Time in logits processing, sampling and unmasking. */
  readonly samplingMs: number;
  readonly modelCalls: number;
  readonly windows: number;
  /** Rows in the largest model batch (per request and view: 2 when guided, 1 otherwise). */
  readonly maxBatchRows: number;
  /** Wall time of each diffusion step (model + sampling), over all windows. */
  readonly stepMs: readonly number[];
}

export interface GenerateResult {
  readonly grid: Grid;
  /** Orphan holds turned into rests after sampling. */
  readonly repairedHolds: number;
  /** Shared by every result of one generateBatch call. */
  readonly timing: GenerateTiming;
}

export interface GenerateOptions {
  readonly signal?: AbortSignal;
  /** Bars of context a window keeps from what exists when a clip is longer than the model's window (default 4). */
  readonly contextBars?: number;
  /**
   * Bars generated before the clip and dropped (DEFAULT_LEAD_IN_BARS, 1, when absent; 0 = none): the clip is bar 2
   * onwards of what the model writes. The model sees where its input begins and starts there the way pieces in the data start: 72% of the
   * chorales open with three silent beats and a pickup, and most classical clips began with two seconds of silence.
   * After a lead-in bar a clip starts on a downbeat, in the middle of the music, as a crop of a real piece does.
   */
  readonly leadInBars?: number;
}

/**
 * The part of a ModelSession generation needs (a test may pass a fake). The arrays of the ModelBatch it is given
 * are reused for the next step of the same window: a session that keeps them past its run must copy them.
 */
export type DenoiserSession = Pick<ModelSession, 'metadata' | 'run'>;

export interface GenerateRequestError {
  readonly code:
    | 'bad-length'
    | 'bad-steps-per-bar'
    | 'bad-style-weights'
    | 'bad-condition'
    | 'bad-sampling'
    | 'bad-edit'
    | 'mismatched-batch';
  readonly message: string;
}

export class InvalidGenerateRequestError extends Error {
  readonly code: GenerateRequestError['code'];
  constructor(error: GenerateRequestError) {
    super(error.message);
    this.name = 'InvalidGenerateRequestError';
    this.code = error.code;
  }
}

/** The tempo condition index for a tempo in BPM (vocabulary tempoEdges). */
export function tempoCondition(bpm: number): number {
  return 1 + vocabulary.conditions.tempoEdges.filter((edge) => bpm >= edge).length;
}

/** The index of a label in one condition list, 0 (unspecified) when absent. */
export function conditionIndex(kind: ConditionKind, label: string | undefined): number {
  if (label === undefined) return 0;
  const list: readonly string[] = vocabulary.conditions[kind];
  return Math.max(0, list.indexOf(label));
}

export function samplingParams(overrides: Partial<SamplingParams> = {}): SamplingParams {
  return { ...DEFAULT_SAMPLING, ...overrides };
}

export function validateGenerateRequest(
  request: GenerateRequest,
  metadata: ModelMetadata,
): Result<GenerateRequest, GenerateRequestError> {
  const fail = (code: GenerateRequestError['code'], message: string): { ok: false; error: GenerateRequestError } => ({
    ok: false,
    error: { code, message },
  });
  const { steps, stepsPerBar } = request;
  if (!Number.isInteger(steps) || steps <= 0 || steps % metadata.patchSteps !== 0) {
    return fail('bad-length', `steps must be a positive multiple of ${metadata.patchSteps}, got ${steps}`);
  }
  if (!Number.isInteger(stepsPerBar) || stepsPerBar <= 0 || stepsPerBar > 16) {
    return fail('bad-steps-per-bar', `stepsPerBar must be 1..16, got ${stepsPerBar}`);
  }
  const offset = request.barOffset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset >= stepsPerBar) {
    return fail('bad-steps-per-bar', `barOffset must be 0..${stepsPerBar - 1}, got ${offset}`);
  }
  if (request.styleWeights.length !== metadata.styles.length) {
    return fail(
      'bad-style-weights',
      `expected ${metadata.styles.length} style weights, got ${request.styleWeights.length}`,
    );
  }
  if (!request.styleWeights.every((w) => Number.isFinite(w) && w >= 0)) {
    return fail('bad-style-weights', 'style weights must be finite and >= 0');
  }
  for (const kind of CONDITION_KINDS) {
    const index = request.conditions[kind];
    const size = vocabulary.conditions[kind].length;
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      return fail('bad-condition', `${kind} must be an index 0..${size - 1}, got ${index}`);
    }
  }
  const params = samplingParams(request.sampling);
  if (!Number.isInteger(params.steps) || params.steps < 1 || params.steps > 256) {
    return fail('bad-sampling', `sampling steps must be 1..256, got ${params.steps}`);
  }
  if (!Number.isFinite(params.guidance) || params.guidance < 0) return fail('bad-sampling', 'guidance must be >= 0');
  if (!Number.isFinite(params.temperature)) return fail('bad-sampling', 'temperature must be finite');
  if (!(params.topP > 0 && params.topP <= 1)) return fail('bad-sampling', 'topP must be in (0, 1]');
  if (!(params.pitchTopP > 0 && params.pitchTopP <= 1)) return fail('bad-sampling', 'pitchTopP must be in (0, 1]');
  if (!Number.isFinite(params.noise) || params.noise < 0) return fail('bad-sampling', 'noise must be >= 0');
  if (!Number.isFinite(params.rhythmGuidanceScale) || params.rhythmGuidanceScale < 0) {
    return fail('bad-sampling', 'rhythmGuidanceScale must be >= 0');
  }
  if ((request.initial === undefined) !== (request.fixed === undefined)) {
    return fail('bad-edit', 'initial and fixed come together');
  }
  if (request.initial && request.fixed) {
    const { initial, fixed } = request;
    if (
      initial.steps !== steps ||
      initial.cells.length !== steps * TRACK_COUNT ||
      fixed.length !== steps * TRACK_COUNT
    ) {
      return fail('bad-edit', `initial and fixed must cover ${steps} x 4 cells`);
    }
    for (let i = 0; i < fixed.length; i++) {
      const token = initial.cells[i] ?? -1;
      if (fixed[i] === 1 && (token < 0 || token >= maskId(i % TRACK_COUNT))) {
        return fail('bad-edit', `fixed cell ${i} holds invalid token ${token}`);
      }
    }
  }
  return { ok: true, value: request };
}

export interface GenerationWindow {
  readonly start: number;
  readonly end: number;
}

/**
 * Windows covering `steps`: the first from 0, each next one starting `contextSteps` before the end of what is
 * covered, until the length is covered. One window when the clip fits.
 */
export function planWindows(steps: number, maxSteps: number, contextSteps: number): GenerationWindow[] {
  if (steps <= maxSteps) return [{ start: 0, end: steps }];
  if (contextSteps >= maxSteps) throw new RangeError(`context ${contextSteps} does not fit a ${maxSteps}-step window`);
  const windows: GenerationWindow[] = [{ start: 0, end: maxSteps }];
  let covered = maxSteps;
  while (covered < steps) {
    const start = covered - contextSteps;
    const end = Math.min(start + maxSteps, steps);
    windows.push({ start, end });
    covered = end;
  }
  return windows;
}

/** Context kept between windows: `contextBars` bars, at most half a window, in whole patches. */
export function contextStepsFor(stepsPerBar: number, contextBars: number, metadata: ModelMetadata): number {
  const half = Math.floor(metadata.maxSteps / 2 / metadata.patchSteps) * metadata.patchSteps;
  const wanted = Math.ceil((contextBars * stepsPerBar) / metadata.patchSteps) * metadata.patchSteps;
  return Math.min(wanted, half);
}

export async function generate(
  session: DenoiserSession,
  request: GenerateRequest,
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  const [result] = await generateBatch(session, [request], options);
  if (!result) throw new Error('generateBatch returned no result');
  return result;
}

/** A view of the grid: the tracks the model sees and predicts in it, and the conditions it leaves unspecified. */
interface View {
  /** Per track, whether the view has it. */
  readonly tracks: readonly boolean[];
  readonly unspecified: readonly ConditionKind[];
}

const LEAD_VIEW: View = { tracks: [true, true, true, false], unspecified: [] };
/** Drum pieces' density condition is their drum density and they have no mode: leave both unspecified. */
const DRUM_VIEW: View = { tracks: [false, false, false, true], unspecified: ['density', 'mode'] };
const VIEWS: readonly View[] = [LEAD_VIEW, DRUM_VIEW];

/** The view that predicts track k. */
function viewOf(k: number): View {
  return k === TRACK_INDEX.drums ? DRUM_VIEW : LEAD_VIEW;
}

/** The views with a masked cell in these cells: the only ones worth a row. */
function viewsNeeded(cells: Int16Array): View[] {
  return VIEWS.filter((view) => {
    for (let i = 0; i < cells.length; i++) {
      const k = i % TRACK_COUNT;
      if (view.tracks[k] === true && cells[i] === maskId(k)) return true;
    }
    return false;
  });
}

const NO_LOGITS = new Float32Array(0);

interface RequestState {
  readonly request: GenerateRequest;
  readonly params: SamplingParams;
  readonly random: Random;
  readonly cells: Int16Array;
  readonly style: Float32Array;
  readonly cond: BigInt64Array;
  readonly guided: boolean;
  /** Per step, 1 where a bass hold waits for its chord (denoiseStep keeps it). */
  readonly waitingHolds: Uint8Array;
}

/**
 * Generates several independent requests of the same length (and bar layout) in shared model batches. Each request
 * keeps its own seeded Random, so its result does not depend on what else is in the batch (up to float rounding
 * differences of the batched model run).
 */
export async function generateBatch(
  session: DenoiserSession,
  requests: readonly GenerateRequest[],
  options: GenerateOptions = {},
): Promise<GenerateResult[]> {
  const first = requests[0];
  if (!first) return [];
  const metadata = session.metadata;
  for (const request of requests) {
    const valid = validateGenerateRequest(request, metadata);
    if (!valid.ok) throw new InvalidGenerateRequestError(valid.error);
    if (
      request.steps !== first.steps ||
      request.stepsPerBar !== first.stepsPerBar ||
      (request.barOffset ?? 0) !== (first.barOffset ?? 0)
    ) {
      throw new InvalidGenerateRequestError({
        code: 'mismatched-batch',
        message: 'requests in one batch need the same steps, stepsPerBar and barOffset',
      });
    }
  }

  const started = performance.now();
  const { steps: clipSteps, stepsPerBar } = first;
  const lead = leadInSteps(stepsPerBar, metadata.patchSteps, options.leadInBars ?? DEFAULT_LEAD_IN_BARS);
  const states = requests.map((request) => createState(request, lead));
  // The lead-in is whole bars, so every step keeps its place in the bar.
  const steps = clipSteps + lead;
  const barOffset = first.barOffset ?? 0;
  const context = contextStepsFor(stepsPerBar, options.contextBars ?? 4, metadata);
  const windows = planWindows(steps, metadata.maxSteps, context);
  const scratch = createSamplerScratch();
  const chordSpans = states.map(({ request }) =>
    harmonySpanSteps(
      stepsPerBar,
      vocabulary.conditions.meter[request.conditions.meter],
      request.styleWeights,
      metadata.styles,
    ),
  );
  const stepMs: number[] = [];
  let modelMs = 0;
  let samplingMs = 0;
  let modelCalls = 0;
  let maxBatchRows = 0;

  for (const window of windows) {
    const length = window.end - window.start;
    const cellsOf = (state: RequestState): Int16Array =>
      state.cells.subarray(window.start * TRACK_COUNT, window.end * TRACK_COUNT);
    const masked = states.map((state) => countMasked(cellsOf(state)));
    const schedules = states.map((state, i) => cosineSchedule(masked[i] ?? 0, state.params.steps));
    const diffusionSteps = Math.max(...states.map((state) => state.params.steps));
    const inputs = new BatchInputs();
    const views = new Map(states.map((state) => [state, viewsNeeded(cellsOf(state))]));

    for (let step = 0; step < diffusionSteps; step++) {
      options.signal?.throwIfAborted();
      const active = states.filter((state, i) => step < state.params.steps && (masked[i] ?? 0) > 0);
      if (active.length === 0) break;
      const stepStarted = performance.now();
      const batch = inputs.fill(active, views, cellsOf, {
        length,
        barStart: window.start + barOffset,
        stepsPerBar,
        styleCount: metadata.styles.length,
        toEnd: (state) => barsToEnd({ ...state.request, steps }, window, metadata.endBuckets),
      });
      maxBatchRows = Math.max(maxBatchRows, batch.batchSize);

      const modelStarted = performance.now();
      const logits = await session.run(batch);
      modelCalls++;
      const samplingStarted = performance.now();
      modelMs += samplingStarted - modelStarted;

      let row = 0;
      for (const [position, state] of active.entries()) {
        // Sampling a row takes a few ms; between rows the event loop gets a turn (voice packets every 20 ms,
        // gateway heartbeats), so a batch of 8 never holds it for the whole step. Output is unchanged.
        if (position > 0) await nextTurn();
        const index = states.indexOf(state);
        // Each track's logits come from the row of the view that predicts it.
        const condRow: ArrayLike<number>[] = TRACK_SIZES.map(() => NO_LOGITS);
        const uncondRow: ArrayLike<number>[] | null = state.guided ? TRACK_SIZES.map(() => NO_LOGITS) : null;
        for (const view of views.get(state) ?? []) {
          const condView = rowLogits(logits.tracks, row++, length);
          const uncondView = state.guided ? rowLogits(logits.tracks, row++, length) : null;
          for (let k = 0; k < TRACK_COUNT; k++) {
            if (viewOf(k) !== view) continue;
            condRow[k] = condView[k] ?? NO_LOGITS;
            if (uncondRow && uncondView) uncondRow[k] = uncondView[k] ?? NO_LOGITS;
          }
        }
        masked[index] =
          (masked[index] ?? 0) -
          denoiseStep({
            cells: cellsOf(state),
            steps: length,
            cond: condRow,
            uncond: uncondRow,
            remainingAfter: schedules[index]?.[step] ?? 0,
            noiseScale: gumbelNoiseScale(step, state.params.steps, state.params.noise),
            params: state.params,
            random: state.random,
            scratch,
            clipStart: window.start === 0,
            harmonySpan: chordSpans[index],
            spanOrigin: window.start + barOffset,
            waitingHolds: state.waitingHolds.subarray(window.start, window.end),
          });
      }
      const done = performance.now();
      samplingMs += done - samplingStarted;
      stepMs.push(done - stepStarted);
    }
  }

  const timing: GenerateTiming = {
    totalMs: performance.now() - started,
    modelMs,
    samplingMs,
    modelCalls,
    windows: windows.length,
    maxBatchRows,
    stepMs,
  };
  return states.map((state) => {
    const grid: Grid = { steps: clipSteps, cells: dropLeadIn(state.cells, lead) };
    const repairedHolds = repairHolds(grid, state.request.fixed);
    const valid = validateGrid(grid);
    if (!valid.ok) throw new Error(`generation left an invalid grid: ${valid.error.message}`);
    return { grid, repairedHolds, timing };
  });
}

/** Bars generated before a clip and dropped, unless GenerateOptions.leadInBars says otherwise. */
export const DEFAULT_LEAD_IN_BARS = 1;

/** Steps of `bars` lead-in bars, rounded up to whole bars that are whole patches (0 for 0 bars). */
export function leadInSteps(stepsPerBar: number, patchSteps: number, bars: number): number {
  if (!(bars > 0)) return 0;
  let steps = Math.ceil(bars) * stepsPerBar;
  while (steps % patchSteps !== 0) steps += stepsPerBar;
  return steps;
}

/**
 * The clip after `lead` lead-in steps. A melody or bass note that starts in the lead-in and is held into the clip
 * sounds again on the clip's first step (a clip may not start with a hold).
 */
export function dropLeadIn(cells: Int16Array, lead: number): Int16Array {
  const out = cells.slice(lead * TRACK_COUNT);
  if (lead === 0) return out;
  for (const k of [TRACK_INDEX.melody, TRACK_INDEX.bass]) {
    if (out[k] !== HOLD) continue;
    let token = REST;
    for (let t = lead - 1; t >= 0; t--) {
      const cell = cells[t * TRACK_COUNT + k] ?? REST;
      if (cell === HOLD) continue;
      if (cell >= FIRST_PITCH) token = cell;
      break;
    }
    out[k] = token;
  }
  return out;
}

function createState(request: GenerateRequest, lead: number): RequestState {
  const params = samplingParams(request.sampling);
  const cells = new Int16Array((lead + request.steps) * TRACK_COUNT);
  const offset = lead * TRACK_COUNT;
  // A track the request keeps whole (the others, when one is regenerated) is silent in the lead-in rather than
  // generated there: its view then need not run (token 0 is a rest, no chord, no drum hit).
  const generated = TRACK_SIZES.map((_, k) => {
    if (!request.fixed) return true;
    for (let j = k; j < request.fixed.length; j += TRACK_COUNT) if (request.fixed[j] !== 1) return true;
    return false;
  });
  for (let i = 0; i < cells.length; i++) {
    const j = i - offset;
    const k = i % TRACK_COUNT;
    if (j < 0) cells[i] = generated[k] === true ? maskId(k) : 0;
    else cells[i] = request.fixed?.[j] === 1 ? (request.initial?.cells[j] ?? 0) : maskId(k);
  }
  const total = request.styleWeights.reduce((sum, w) => sum + w, 0);
  const style = Float32Array.from(request.styleWeights, (w) => (total > 0 ? w / total : 0));
  const cond = BigInt64Array.from(CONDITION_KINDS, (kind) => BigInt(request.conditions[kind]));
  // With no style and no guided condition the two rows would be the same.
  const conditioned =
    total > 0 || CONDITION_KINDS.some((kind) => GUIDED_CONDITIONS.has(kind) && request.conditions[kind] !== 0);
  return {
    request,
    params,
    random: createRandom(request.seed),
    cells,
    style,
    cond,
    guided: conditioned && params.guidance !== 1,
    waitingHolds: new Uint8Array(lead + request.steps),
  };
}

/**
 * The `to_end` input of one window's steps: bars from each step's bar to the grid's last bar, as the model encodes
 * them (1 = the last bar, capped at endBuckets - 1); all 0 (unknown) when the request does not end there or the
 * model has no such input.
 */
export function barsToEnd(
  request: Pick<GenerateRequest, 'steps' | 'stepsPerBar' | 'barOffset' | 'ends'>,
  window: GenerationWindow,
  endBuckets: number,
): BigInt64Array {
  const out = new BigInt64Array(window.end - window.start);
  if (endBuckets < 2 || request.ends === false) return out;
  const offset = request.barOffset ?? 0;
  const lastBar = Math.floor((request.steps - 1 + offset) / request.stepsPerBar);
  for (let t = 0; t < out.length; t++) {
    const bar = Math.floor((window.start + t + offset) / request.stepsPerBar);
    out[t] = BigInt(1 + Math.min(lastBar - bar, endBuckets - 2));
  }
  return out;
}

function countMasked(cells: Int16Array): number {
  let count = 0;
  for (let i = 0; i < cells.length; i++) if (cells[i] === maskId(i % TRACK_COUNT)) count++;
  return count;
}

/** True where a BigInt64Array's low 32 bits come first in memory (every platform Node runs on today). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The model inputs of one window, reused from step to step: only the tokens change between steps, and they are
 * written through an Int32 view of the int64 array (token ids are small and non-negative), so building a batch
 * creates no BigInt per cell. Rebuilt when the set of active requests changes.
 */
class BatchInputs {
  private batch: ModelBatch | undefined;
  private words: Int32Array | undefined;
  private active: readonly RequestState[] = [];

  fill(
    active: readonly RequestState[],
    views: ReadonlyMap<RequestState, readonly View[]>,
    cellsOf: (state: RequestState) => Int16Array,
    layout: BatchLayout,
  ): ModelBatch {
    const { length } = layout;
    if (!this.batch || !sameStates(active, this.active)) {
      this.batch = allocateBatch(active, views, layout);
      this.words = LITTLE_ENDIAN ? new Int32Array(this.batch.tokens.buffer) : undefined;
      this.active = [...active];
    }
    const { batch, words } = this;
    const cellsPerRow = length * TRACK_COUNT;
    let row = 0;
    const writeRow = (cells: Int16Array, view: View): void => {
      const base = row * cellsPerRow;
      for (let i = 0; i < cellsPerRow; i++) {
        const k = i % TRACK_COUNT;
        // A track outside the view reads as masked, as an absent track did in training.
        const token = view.tracks[k] === true ? (cells[i] ?? 0) : maskId(k);
        // Low word = the token, high word = 0 (was written once at allocation and never changes).
        if (words) words[2 * (base + i)] = token;
        else batch.tokens[base + i] = BigInt(token);
      }
      row++;
    };
    for (const state of active) {
      const cells = cellsOf(state);
      for (const view of views.get(state) ?? []) {
        writeRow(cells, view);
        if (state.guided) writeRow(cells, view);
      }
    }
    return batch;
  }
}

function sameStates(a: readonly RequestState[], b: readonly RequestState[]): boolean {
  return a.length === b.length && a.every((state, i) => state === b[i]);
}

/** What the rows of one window share, and each request's bars to the end. */
interface BatchLayout {
  readonly length: number;
  /** Position of the window's first step inside its bar. */
  readonly barStart: number;
  readonly stepsPerBar: number;
  readonly styleCount: number;
  readonly toEnd: (state: RequestState) => BigInt64Array;
}

/** The inputs for these requests with every token 0: bar positions, bars to the end, styles and conditions. */
function allocateBatch(
  active: readonly RequestState[],
  views: ReadonlyMap<RequestState, readonly View[]>,
  { length, barStart, stepsPerBar, styleCount, toEnd: toEndOf }: BatchLayout,
): ModelBatch {
  const rows = active.reduce((sum, state) => sum + (views.get(state)?.length ?? 0) * (state.guided ? 2 : 1), 0);
  const tokens = new BigInt64Array(rows * length * TRACK_COUNT);
  const barPos = new BigInt64Array(rows * length);
  const toEnd = new BigInt64Array(rows * length);
  const style = new Float32Array(rows * styleCount);
  const cond = new BigInt64Array(rows * CONDITION_KINDS.length);
  const barRow = BigInt64Array.from({ length }, (_, t) => BigInt((barStart + t) % stepsPerBar));
  let row = 0;
  for (const state of active) {
    const endRow = toEndOf(state);
    for (const view of views.get(state) ?? []) {
      const viewCond = state.cond.slice();
      for (const kind of view.unspecified) viewCond[CONDITION_KINDS.indexOf(kind)] = 0n;
      for (const conditioned of state.guided ? [true, false] : [true]) {
        barPos.set(barRow, row * length);
        // Where the piece ends is the music's shape, not a condition: the unconditional row is told too.
        toEnd.set(endRow, row * length);
        if (conditioned) style.set(state.style, row * styleCount);
        cond.set(conditioned ? viewCond : unguided(viewCond), row * CONDITION_KINDS.length);
        row++;
      }
    }
  }
  return { batchSize: rows, steps: length, tokens, barPos, toEnd, style, cond };
}

/** The conditions of an unconditional row: those guidance strengthens unspecified, the others kept. */
function unguided(cond: BigInt64Array): BigInt64Array {
  const out = cond.slice();
  CONDITION_KINDS.forEach((kind, i) => {
    if (GUIDED_CONDITIONS.has(kind)) out[i] = 0n;
  });
  return out;
}

function rowLogits(tracks: readonly Float32Array[], row: number, length: number): RowLogits {
  return tracks.map((data, k) => {
    const size = (TRACK_SIZES[k] ?? 0) * length;
    return data.subarray(row * size, (row + 1) * size);
  });
}
