/**
 * The pure pieces of masked discrete diffusion sampling: the cosine schedule of how many cells stay masked,
 * logits processing (classifier-free guidance, temperature, top-p), seeded sampling, and confidence-based
 * unmasking with annealed Gumbel noise. The only randomness is the Random passed in.
 *
 * Confidence: a cell's score is the log of its highest probability, not of the token it happened to draw. Which
 * cells are unmasked then does not depend on what they drew, so every unmasked token is an unbiased draw from its
 * distribution. Scoring by the drawn token's probability (MaskGIT's rule) keeps redrawing a cell until it draws a
 * likely token: melodies and bass lines came out sparse (the frequent 'rest' and 'hold' win), drums too regular.
 *
 * Holds: a melody/bass 'hold' continues the note before it, so the sampler never draws a hold at the first step of
 * a clip or right after a rest, nor a rest right before a hold that is already there; and when a hold and the rest
 * before it are unmasked in the same step, the hold is drawn again without 'hold'. Before, such holds were turned
 * into rests after the last step, and notes lost their ends (about 3.6% of melody and bass cells).
 * `repairHolds` (grid.ts) still checks the finished grid. A bass hold may not carry a note into a chord that lacks
 * it, and waits where a chord may change until that chord is known (see `holdForbidden`, `bassAwaitsChords`).
 *
 * Top-p: melody and bass take the nucleus among their pitches alone (`pitchTopP`), so it trims unlikely pitches and
 * leaves the chance of a rest, a hold or a new note as the model gave it; harmony and drums take it over every token.
 *
 * Chords: with a harmony span (harmonic-rhythm.ts), the harmony cells of one span are drawn together, as one chord
 * from the geometric mean of their distributions, and unmasked together; a span that already has a chord (kept by an
 * edit, or unmasked in an earlier step) extends it to its masked cells.
 */
import vocabulary from '../music/vocabulary.json' with { type: 'json' };
import type { Random } from '../music/random.ts';
import { FIRST_PITCH, HOLD, REST, TRACK_COUNT, TRACK_INDEX, TRACK_SIZES } from './grid.ts';

export interface SamplingParams {
  /** Diffusion steps (model calls per window). */
  readonly steps: number;
  /** Classifier-free guidance weight w: logits = uncond + w * (cond - uncond); 1 = no guidance. */
  readonly guidance: number;
  /** Softmax temperature; <= 0 means greedy (argmax). */
  readonly temperature: number;
  /** Nucleus: keep the smallest set of most likely tokens whose probability reaches topP (1 = keep all). */
  readonly topP: number;
  /**
   * Melody and bass: the nucleus taken among the pitches alone, rest and hold keeping their probability (see
   * topP's `from`); `topP` then applies to harmony and drums.
   */
  readonly pitchTopP: number;
  /** Scale of the Gumbel noise on confidences at the first step; it decreases linearly to 0 at the last. */
  readonly noise: number;
  /**
   * The share of the guidance the bass and drum tracks get: their weight is 1 + (guidance - 1) * this (1 = the
   * same as melody and harmony, 0 = unguided).
   */
  readonly rhythmGuidanceScale: number;
}

/**
 * Guidance 2 on every track and initial Gumbel noise 3, chosen by the evaluation against the real data
 * (models/MODEL_CARD.md). With confidences that do not depend on the drawn token (see above), the noise only decides
 * how far the unmasking order strays from most-certain-first: without it melodies came out at half their density.
 *
 * Pitch top-p 0.7: the model spreads a melody note's pitch wide (with 90% of a real pop melody in view, its expected
 * leap to the note before is 4.2 semitones, the data's 2.4). With the pitch nucleus at 0.95, one pop interval in five
 * was wider than a fifth (the data: one in 28); at 0.7, one in 12, and the six metrics in range went from 76-79 to
 * 80-82 of 96 (three seed sets); at 0.5 the melodies turn too safe (chord tones +20%) and the count falls to 70-73.
 */
export const DEFAULT_SAMPLING: SamplingParams = {
  steps: 12,
  guidance: 2,
  temperature: 1,
  topP: 0.95,
  pitchTopP: 0.7,
  noise: 3,
  rhythmGuidanceScale: 1,
};

/**
 * How many of `maskedCount` cells are still masked after each of `steps` steps: maskedCount * cos(pi/2 * s/steps),
 * rounded down, at least one fewer each step while any remain, and 0 after the last.
 */
export function cosineSchedule(maskedCount: number, steps: number): number[] {
  const schedule: number[] = [];
  let previous = maskedCount;
  for (let s = 1; s <= steps; s++) {
    let remaining = s === steps ? 0 : Math.floor(maskedCount * Math.cos((Math.PI / 2) * (s / steps)));
    remaining = Math.max(0, Math.min(remaining, previous - 1));
    schedule.push(remaining);
    previous = remaining;
  }
  return schedule;
}

/** Gumbel noise scale at step `step` (0-based) of `steps`: `initial` annealed linearly to 0 at the last step. */
export function gumbelNoiseScale(step: number, steps: number, initial: number): number {
  return steps <= 0 ? 0 : initial * Math.max(0, 1 - (step + 1) / steps);
}

/** out[i] = uncond[i] + weight * (cond[i] - uncond[i]). `out` may alias either input. */
export function applyGuidance(
  cond: ArrayLike<number>,
  uncond: ArrayLike<number>,
  weight: number,
  out: Float64Array = new Float64Array(cond.length),
  condAt = 0,
  uncondAt = 0,
  length = cond.length - condAt,
): Float64Array {
  for (let i = 0; i < length; i++) {
    const c = cond[condAt + i] ?? 0;
    const u = uncond[uncondAt + i] ?? 0;
    out[i] = u + weight * (c - u);
  }
  return out;
}

/** Divides logits by the temperature, in place. */
export function applyTemperature(logits: Float64Array, temperature: number, length = logits.length): Float64Array {
  if (temperature > 0 && temperature !== 1) {
    for (let i = 0; i < length; i++) logits[i] = (logits[i] ?? 0) / temperature;
  }
  return logits;
}

/** Numerically stable softmax of the first `length` logits into `out` (-Infinity logits get probability 0). */
export function softmax(
  logits: ArrayLike<number>,
  out: Float64Array = new Float64Array(logits.length),
  length = logits.length,
): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, logits[i] ?? -Infinity);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const value = max === -Infinity ? 1 : Math.exp((logits[i] ?? -Infinity) - max);
    out[i] = value;
    sum += value;
  }
  for (let i = 0; i < length; i++) out[i] = (out[i] ?? 0) / sum;
  return out;
}

/**
 * Nucleus filtering of a normalised distribution, in place: keeps the smallest set of most likely tokens (ties: lower
 * index first) whose probability sum reaches `p`, zeroes the rest, renormalises (unless told not to). At least one
 * token is kept.
 *
 * With `from` > 0 (melody and bass: rest and hold come before the pitches), the tokens before `from` keep their
 * probability and the nucleus is taken among the others alone, which are then scaled back up to the mass they had
 * together: top-p trims unlikely pitches, never the chance that a note starts. A nucleus over the whole vocabulary
 * cuts the tail of the pitches, which is made of onsets only, and so made melodies and bass lines sparser (pop's
 * bass left 40% of beats without a note against the data's 28%).
 */
export function topP(
  probs: Float64Array,
  p: number,
  length = probs.length,
  work: Float64Array = new Float64Array(length),
  renormalise = true,
  from = 0,
): Float64Array {
  if (p >= 1) return probs;
  let scale = 1;
  if (from > 0) {
    scale = 0;
    for (let i = from; i < length; i++) scale += probs[i] ?? 0;
    if (!(scale > 0)) return probs;
  }
  // Tokens at or below (1 - p) / count weigh less than 1 - p all together, so the nucleus never needs them.
  const floor = (1 - p) / (length - from);
  let candidates = 0;
  for (let i = from; i < length; i++) {
    const value = (probs[i] ?? 0) / scale;
    if (value > floor) work[candidates++] = value;
  }
  if (candidates === 0) return probs;
  const { threshold, kept, mass } = nucleus(work, candidates, p);
  // Keep everything above the threshold, and as many tokens equal to it as the nucleus needs, lowest index first.
  let above = 0;
  for (let i = from; i < length; i++) if ((probs[i] ?? 0) / scale > threshold) above++;
  let ties = kept - above;
  for (let i = from; i < length; i++) {
    const value = (probs[i] ?? 0) / scale;
    if (value > threshold) continue;
    if (value === threshold && ties > 0) ties--;
    else probs[i] = 0;
  }
  if (from > 0) {
    for (let i = from; i < length; i++) probs[i] = (probs[i] ?? 0) / mass;
    return probs;
  }
  if (!renormalise) return probs;
  for (let i = 0; i < length; i++) probs[i] = (probs[i] ?? 0) / mass;
  return probs;
}

/** Where `partitionAround` left its two boundaries: [end of the greater values, start of the lesser ones]. */
const PARTITION = new Int32Array(2);

/**
 * Three-way partition of values[lo..hi) around `pivot`, in place: greater | equal | less. The boundaries go to
 * PARTITION (no allocation on the sampler's hot path).
 */
function partitionAround(values: Float64Array, lo: number, hi: number, pivot: number): void {
  let greaterEnd = lo;
  let lessStart = hi;
  let i = lo;
  while (i < lessStart) {
    const value = values[i] ?? 0;
    if (value > pivot) {
      values[i] = values[greaterEnd] ?? 0;
      values[greaterEnd++] = value;
      i++;
    } else if (value < pivot) {
      values[i] = values[--lessStart] ?? 0;
      values[lessStart] = value;
    } else {
      i++;
    }
  }
  PARTITION[0] = greaterEnd;
  PARTITION[1] = lessStart;
}

/**
 * The nucleus of `values[0..n)` (reordered in place) without sorting: a quickselect that keeps the part above the
 * pivot when it already reaches `p`, else takes it (and the pivot's equals) and continues below. Returns the smallest
 * kept value, how many values are kept (at least one) and their sum.
 */
function nucleus(values: Float64Array, n: number, p: number): { threshold: number; kept: number; mass: number } {
  let lo = 0;
  let hi = n;
  let takenCount = 0;
  let takenMass = 0;
  while (hi > lo) {
    const pivot = values[lo + ((hi - lo) >> 1)] ?? 0;
    partitionAround(values, lo, hi, pivot);
    const greaterEnd = PARTITION[0] ?? lo;
    const lessStart = PARTITION[1] ?? hi;
    let greaterMass = 0;
    for (let j = lo; j < greaterEnd; j++) greaterMass += values[j] ?? 0;
    if (greaterEnd > lo && takenMass + greaterMass >= p) {
      hi = greaterEnd;
      continue;
    }
    takenCount += greaterEnd - lo;
    takenMass += greaterMass;
    for (let j = greaterEnd; j < lessStart; j++) {
      takenCount++;
      takenMass += pivot;
      if (takenMass >= p) return { threshold: pivot, kept: takenCount, mass: takenMass };
    }
    lo = lessStart;
  }
  // Rounding left the total just under p: keep every candidate.
  let threshold = Infinity;
  for (let j = 0; j < n; j++) threshold = Math.min(threshold, values[j] ?? Infinity);
  return { threshold, kept: Math.max(1, takenCount), mass: takenMass };
}

/** Draws an index from a (not necessarily normalised) distribution with one draw of `random`. */
export function sampleIndex(probs: ArrayLike<number>, random: Random, length = probs.length): number {
  let total = 0;
  for (let i = 0; i < length; i++) total += probs[i] ?? 0;
  let u = random.next() * total;
  let last = 0;
  for (let i = 0; i < length; i++) {
    const p = probs[i] ?? 0;
    if (p <= 0) continue;
    last = i;
    if (u < p) return i;
    u -= p;
  }
  return last;
}

export function argmax(values: ArrayLike<number>, length = values.length): number {
  let best = 0;
  for (let i = 1; i < length; i++) if ((values[i] ?? -Infinity) > (values[best] ?? -Infinity)) best = i;
  return best;
}

/** A standard Gumbel deviate, -log(-log(u)), from one draw. */
export function gumbel(random: Random): number {
  const u = Math.min(Math.max(random.next(), 1e-12), 1 - 1e-12);
  return -Math.log(-Math.log(u));
}

/** Indices of the `count` highest scores (ties: lower index first), in ascending index order. */
export function selectHighest(scores: ArrayLike<number>, count: number): number[] {
  const n = scores.length;
  const values = Float64Array.from({ length: n }, (_, i) => scores[i] ?? -Infinity);
  const keep = new Uint8Array(n);
  markHighest(values, n, count, new Float64Array(n), keep);
  const indices: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i] === 1) indices.push(i);
  return indices;
}

/**
 * Sets keep[i] = 1 for the `count` highest of `scores[0..n)` (ties: lower index first) and 0 for the others: the
 * same set as sorting by score, then index, and taking the first `count`, found with a quickselect instead of a
 * sort. NaN scores count as -Infinity. `work` (at least n long) is overwritten.
 */
export function markHighest(
  scores: Float64Array,
  n: number,
  count: number,
  work: Float64Array,
  keep: Uint8Array,
): void {
  if (count <= 0) {
    keep.fill(0, 0, n);
    return;
  }
  if (count >= n) {
    keep.fill(1, 0, n);
    return;
  }
  for (let i = 0; i < n; i++) {
    const value = scores[i] ?? -Infinity;
    work[i] = value === value ? value : -Infinity;
  }
  const threshold = kthHighest(work, n, count);
  let above = 0;
  for (let i = 0; i < n; i++) if ((work[i] ?? -Infinity) > threshold) above++;
  // work was reordered by the select: read the scores again, in index order.
  let ties = count - above;
  for (let i = 0; i < n; i++) {
    const raw = scores[i] ?? -Infinity;
    const value = raw === raw ? raw : -Infinity;
    if (value > threshold) keep[i] = 1;
    else if (value === threshold && ties > 0) {
      keep[i] = 1;
      ties--;
    } else keep[i] = 0;
  }
}

/** The `k`-th highest of values[0..n) (1-based, 1 <= k <= n), reordering them in place (three-way quickselect). */
function kthHighest(values: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n;
  let rank = k;
  for (;;) {
    const pivot = values[lo + ((hi - lo) >> 1)] ?? 0;
    partitionAround(values, lo, hi, pivot);
    const greaterEnd = PARTITION[0] ?? lo;
    const lessStart = PARTITION[1] ?? hi;
    const greater = greaterEnd - lo;
    const equal = lessStart - greaterEnd;
    if (rank <= greater) {
      hi = greaterEnd;
    } else if (rank <= greater + equal) {
      return pivot;
    } else {
      rank -= greater + equal;
      lo = lessStart;
    }
  }
}

/**
 * Reusable buffers for the sampler: one cell's logits and probabilities (sized for the largest track vocabulary),
 * and one row's candidates in `denoiseStep` (grown on demand). Reusing one scratch across steps and rows means a
 * diffusion step allocates nothing.
 */
export interface SamplerScratch {
  readonly logits: Float64Array;
  readonly probs: Float64Array;
  readonly work: Float64Array;
  /** A chord span's mean log probabilities, and one cell's. */
  readonly joint: Float64Array;
  readonly cellLog: Float64Array;
  /** Per masked cell of a row: its index in the grid, sampled token and score (grown by `denoiseStep`). */
  cells: Int32Array;
  tokens: Int32Array;
  scores: Float64Array;
  ranking: Float64Array;
  keep: Uint8Array;
  /** Log of the highest probability of the last cell `drawCell` drew (its unmasking confidence). */
  confidence: number;
}

export function createSamplerScratch(size = Math.max(...TRACK_SIZES)): SamplerScratch {
  return {
    logits: new Float64Array(size),
    probs: new Float64Array(size),
    work: new Float64Array(size),
    joint: new Float64Array(size),
    cellLog: new Float64Array(size),
    cells: new Int32Array(0),
    tokens: new Int32Array(0),
    scores: new Float64Array(0),
    ranking: new Float64Array(0),
    keep: new Uint8Array(0),
    confidence: 0,
  };
}

function reserveCandidates(scratch: SamplerScratch, count: number): void {
  if (scratch.cells.length >= count) return;
  const size = Math.max(count, 2 * scratch.cells.length);
  scratch.cells = new Int32Array(size);
  scratch.tokens = new Int32Array(size);
  scratch.scores = new Float64Array(size);
  scratch.ranking = new Float64Array(size);
  scratch.keep = new Uint8Array(size);
}

export interface CellSample {
  readonly token: number;
  /**
   * Log of the cell's highest probability after guidance and temperature (before top-p): the unmasking
   * confidence. It does not depend on the token drawn.
   */
  readonly confidence: number;
}

/**
 * Samples one cell from its conditional (and, with guidance, unconditional) logits: guidance → forbidden token
 * → temperature → softmax → top-p (among the tokens from `from` on: see topP) → draw (one draw of `random`).
 */
export function sampleCell(
  cond: ArrayLike<number>,
  uncond: ArrayLike<number> | null,
  params: Pick<SamplingParams, 'guidance' | 'temperature' | 'topP'>,
  random: Random,
  scratch: SamplerScratch,
  forbidden = -1,
  from = 0,
): CellSample {
  const token = drawCell(cond, 0, uncond, 0, cond.length, params, random, scratch, forbidden, -1, from);
  return { token, confidence: scratch.confidence };
}

/**
 * `sampleCell` on the `size` logits starting at `condAt` (and `uncondAt`) of longer arrays, without allocating:
 * returns the token and leaves its confidence in `scratch.confidence`.
 */
function drawCell(
  cond: ArrayLike<number>,
  condAt: number,
  uncond: ArrayLike<number> | null,
  uncondAt: number,
  size: number,
  params: Pick<SamplingParams, 'guidance' | 'temperature' | 'topP'>,
  random: Random,
  scratch: SamplerScratch,
  forbidden: number,
  forbiddenToo = -1,
  from = 0,
): number {
  const logits = scratch.logits;
  const probs = scratch.probs;
  if (params.temperature <= 0) {
    if (uncond) applyGuidance(cond, uncond, params.guidance, logits, condAt, uncondAt, size);
    else for (let i = 0; i < size; i++) logits[i] = cond[condAt + i] ?? 0;
    if (forbidden >= 0 && forbidden < size) logits[forbidden] = -Infinity;
    if (forbiddenToo >= 0 && forbiddenToo < size) logits[forbiddenToo] = -Infinity;
    softmax(logits, probs, size);
    random.next(); // keep one draw per cell whatever the temperature
    const token = argmax(probs, size);
    scratch.confidence = Math.log(probs[token] ?? 0);
    return token;
  }

  // The same arithmetic as applyGuidance → forbidden → applyTemperature → softmax → topP (not renormalised; from
  // `from`) → sampleIndex, in the same order (so the same bits come out), fused into a few passes over the vocabulary.
  // 1. Guidance, the forbidden tokens, temperature, and the maximum.
  const weight = params.guidance;
  const divide = params.temperature !== 1;
  const temperature = params.temperature;
  let max = -Infinity;
  for (let i = 0; i < size; i++) {
    let logit: number;
    if (i === forbidden || i === forbiddenToo) {
      logit = -Infinity;
    } else if (uncond) {
      const c = cond[condAt + i] ?? 0;
      const u = uncond[uncondAt + i] ?? 0;
      logit = u + weight * (c - u);
    } else {
      logit = cond[condAt + i] ?? 0;
    }
    if (divide) logit = logit / temperature;
    logits[i] = logit;
    max = Math.max(max, logit);
  }
  // 2. Exponentials and their sum.
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const value = max === -Infinity ? 1 : Math.exp((logits[i] ?? -Infinity) - max);
    probs[i] = value;
    sum += value;
  }
  // 3. Normalise; the mass of the tokens the nucleus is taken among (see topP's `from`).
  const p = params.topP;
  const nucleusWanted = p < 1;
  let highest = 0;
  let scale = from > 0 ? 0 : 1;
  for (let i = 0; i < size; i++) {
    const value = (probs[i] ?? 0) / sum;
    probs[i] = value;
    highest = Math.max(highest, value);
    if (from > 0 && i >= from) scale += value;
  }
  // 4. Gather the top-p candidates, drop what is outside the nucleus (scaling what is kept back up to `scale` when
  // the nucleus is taken among the pitches), and total what is left.
  const work = scratch.work;
  let candidates = 0;
  if (nucleusWanted && scale > 0) {
    const floor = (1 - p) / (size - from);
    for (let i = from; i < size; i++) {
      const value = (probs[i] ?? 0) / scale;
      if (value > floor) work[candidates++] = value;
    }
  }
  let total = 0;
  for (let i = 0; i < from; i++) total += probs[i] ?? 0;
  if (candidates > 0) {
    const { threshold, kept, mass } = nucleus(work, candidates, p);
    // Everything above the threshold is a candidate (the threshold is one), so count them there.
    let above = 0;
    for (let j = 0; j < candidates; j++) if ((work[j] ?? 0) > threshold) above++;
    let ties = kept - above;
    for (let i = from; i < size; i++) {
      let value = probs[i] ?? 0;
      const relative = value / scale;
      if (relative > threshold) {
        // kept
      } else if (relative === threshold && ties > 0) {
        ties--;
      } else {
        value = 0;
      }
      if (from > 0) value = value / mass;
      probs[i] = value;
      total += value;
    }
  } else {
    for (let i = from; i < size; i++) total += probs[i] ?? 0;
  }
  // 5. One draw along the cumulative distribution (see sampleIndex).
  let u = random.next() * total;
  let token = 0;
  for (let i = 0; i < size; i++) {
    const value = probs[i] ?? 0;
    if (value <= 0) continue;
    token = i;
    if (u < value) break;
    u -= value;
  }
  scratch.confidence = Math.log(highest);
  return token;
}

/** One row's view of the model output: per track, the [T, size] logits of this row. */
export type RowLogits = readonly ArrayLike<number>[];

export interface DenoiseStepInput {
  /** The window's cells, T * 4; masked cells hold their track's MASK id. Updated in place. */
  readonly cells: Int16Array;
  readonly steps: number;
  readonly cond: RowLogits;
  /** Unconditional logits for guidance, or null to sample from `cond` alone. */
  readonly uncond: RowLogits | null;
  /** How many cells must still be masked after this step (from `cosineSchedule`). */
  readonly remainingAfter: number;
  readonly noiseScale: number;
  /** Without `rhythmGuidanceScale`, bass and drums get the full guidance; without `pitchTopP`, pitches get `topP`. */
  readonly params: Pick<SamplingParams, 'guidance' | 'temperature' | 'topP'> & {
    readonly rhythmGuidanceScale?: number | undefined;
    readonly pitchTopP?: number | undefined;
  };
  readonly random: Random;
  readonly scratch: SamplerScratch;
  /** Whether step 0 of this window is the first step of the clip (no hold may start there). */
  readonly clipStart: boolean;
  /** Steps one chord lasts at least (harmonic-rhythm.ts); 1 or absent = every step on its own. */
  readonly harmonySpan?: number | undefined;
  /** Where step 0 of the window lies on the span grid (its step counted from a bar line); default 0. */
  readonly spanOrigin?: number | undefined;
  /**
   * Per step of the window, 1 where a bass hold was drawn and waits for its chord (kept by the caller from step to
   * step, all 0 at first). Without it a waiting hold is drawn again at every step.
   */
  readonly waitingHolds?: Uint8Array | undefined;
}

/**
 * One diffusion step for one row: sample every masked cell, score each by its confidence plus Gumbel noise,
 * and unmask the best until `remainingAfter` stay masked. Cells that are not masked never change.
 * Returns the number of cells unmasked. Allocates nothing once `scratch` has grown to the row's size.
 */
export function denoiseStep(input: DenoiseStepInput): number {
  const { cells, steps, cond, uncond, random, scratch, params, noiseScale, clipStart } = input;
  for (let k = 0; k < TRACK_COUNT; k++) {
    if (cond[k] === undefined) throw new RangeError(`no logits for track ${k}`);
  }
  reserveCandidates(scratch, steps * TRACK_COUNT);
  const { cells: candidates, tokens, scores } = scratch;
  const span = Math.max(1, Math.floor(input.harmonySpan ?? 1));
  const rhythm = rhythmParams(params);
  const pitchTopP = params.pitchTopP ?? params.topP;
  const melody = { guidance: params.guidance, temperature: params.temperature, topP: pitchTopP };
  const bass = { guidance: rhythm.guidance, temperature: rhythm.temperature, topP: pitchTopP };
  const paramsOf = (k: number) =>
    k === TRACK_INDEX.melody ? melody : k === TRACK_INDEX.bass ? bass : k === TRACK_INDEX.drums ? rhythm : params;
  const nucleusFrom = (k: number) => (k === TRACK_INDEX.melody || k === TRACK_INDEX.bass ? FIRST_PITCH : 0);
  const origin = input.spanOrigin ?? 0;
  const waiting = input.waitingHolds;
  let count = 0;
  for (let t = 0; t < steps; t++) {
    for (let k = 0; k < TRACK_COUNT; k++) {
      const i = t * TRACK_COUNT + k;
      const size = TRACK_SIZES[k] ?? 0;
      if (cells[i] !== size) continue; // a track's MASK id is its vocabulary size
      if (k === TRACK_INDEX.harmony && span > 1) continue; // drawn per span below
      const condTrack = cond[k] ?? [];
      const uncondTrack = uncond?.[k] ?? null;
      const holdBarred = holdForbidden(cells, t, k, clipStart);
      let token = drawCell(
        condTrack,
        t * size,
        uncondTrack,
        t * size,
        size,
        paramsOf(k),
        random,
        scratch,
        holdBarred ? HOLD : -1,
        restForbidden(cells, t, k, steps) ? REST : -1,
        nucleusFrom(k),
      );
      let awaiting = 0;
      if (k === TRACK_INDEX.bass) {
        // A hold drawn before its chord is known stays the draw while it waits (drawn again at every step, the cell
        // would come out a new note whenever one draw did: pop's bass played 4.4-4.6 notes a bar against 3.7). Once the
        // model has seen the chord, its draw stands.
        const unknown = bassAwaitsChords(cells, t, span, origin);
        if (waiting?.[t] === 1 && unknown && !holdBarred) token = HOLD;
        awaiting = token === HOLD && unknown ? AWAITING : 0;
        if (waiting) waiting[t] = awaiting > 0 ? 1 : 0;
      }
      candidates[count] = i;
      tokens[count] = token;
      scores[count] = scratch.confidence + noiseScale * gumbel(random) - awaiting;
      count++;
    }
  }
  if (span > 1) count = drawChordSpans(input, span, count);
  const unmask = Math.max(0, count - input.remainingAfter);
  const keep = scratch.keep;
  markHighest(scores, count, unmask, scratch.ranking, keep);
  // Chords first, so a bass note drawn in the same step sees the chord change it may not hold across.
  for (let j = 0; j < count; j++) {
    const i = candidates[j] ?? 0;
    if (keep[j] === 1 && i % TRACK_COUNT === TRACK_INDEX.harmony) cells[i] = tokens[j] ?? 0;
  }
  // Candidates are in time order, so a rest unmasked in this step is in place before the hold after it is looked at.
  for (let j = 0; j < count; j++) {
    if (keep[j] !== 1) continue;
    const i = candidates[j] ?? 0;
    const k = i % TRACK_COUNT;
    if (k === TRACK_INDEX.harmony) continue;
    const t = (i - k) / TRACK_COUNT;
    let token = tokens[j] ?? 0;
    if (token === HOLD && holdForbidden(cells, t, k, clipStart)) {
      const size = TRACK_SIZES[k] ?? 0;
      token = drawCell(
        cond[k] ?? [],
        t * size,
        uncond?.[k] ?? null,
        t * size,
        size,
        paramsOf(k),
        random,
        scratch,
        HOLD,
        restForbidden(cells, t, k, steps) ? REST : -1,
        nucleusFrom(k),
      );
    }
    cells[i] = token;
  }
  return unmask;
}

/** The sampling parameters of the bass and drum tracks: their share of the guidance. */
function rhythmParams(params: DenoiseStepInput['params']): Pick<SamplingParams, 'guidance' | 'temperature' | 'topP'> {
  const scale = params.rhythmGuidanceScale;
  if (scale === undefined || scale === 1) return params;
  return { guidance: 1 + (params.guidance - 1) * scale, temperature: params.temperature, topP: params.topP };
}

/**
 * The harmony candidates of a step, one span at a time (spans on the grid of `spanOrigin`): a span with a chord
 * already gives it to its masked cells (score 0, the most confident); a span with none draws one chord from the
 * geometric mean of its cells' distributions (after guidance and temperature), top-p applied to that, and all its
 * cells share the chord's mean log probability and one Gumbel draw as their score, so they unmask together. Appends
 * to the scratch's candidates after `count`; returns the new count.
 */
function drawChordSpans(input: DenoiseStepInput, span: number, count: number): number {
  const { cells, steps, cond, uncond, random, scratch, params, noiseScale } = input;
  const k = TRACK_INDEX.harmony;
  const size = TRACK_SIZES[k] ?? 0;
  const condTrack = cond[k] ?? [];
  const uncondTrack = uncond?.[k] ?? null;
  const origin = input.spanOrigin ?? 0;
  const { joint, cellLog } = scratch;
  const greedy = params.temperature <= 0;
  const jointParams = { guidance: 1, temperature: greedy ? 0 : 1, topP: params.topP };
  let t0 = 0;
  while (t0 < steps) {
    const t1 = Math.min(steps, t0 + span - ((((origin + t0) % span) + span) % span));
    let masked = 0;
    let chord = -1;
    for (let t = t0; t < t1; t++) {
      const cell = cells[t * TRACK_COUNT + k] ?? size;
      if (cell === size) masked++;
      else if (chord < 0) chord = cell;
    }
    if (masked > 0) {
      let score = 0;
      if (chord < 0) {
        joint.fill(0, 0, size);
        for (let t = t0; t < t1; t++) {
          cellLogProbs(condTrack, t * size, uncondTrack, t * size, size, params, cellLog);
          for (let j = 0; j < size; j++) joint[j] = (joint[j] ?? 0) + (cellLog[j] ?? 0) / masked;
        }
        chord = drawCell(joint, 0, null, 0, size, jointParams, random, scratch, -1);
        score = scratch.confidence + noiseScale * gumbel(random);
      }
      for (let t = t0; t < t1; t++) {
        const i = t * TRACK_COUNT + k;
        if (cells[i] !== size) continue;
        scratch.cells[count] = i;
        scratch.tokens[count] = chord;
        scratch.scores[count] = score;
        count++;
      }
    }
    t0 = t1;
  }
  return count;
}

/** One cell's log probabilities after guidance and temperature (no temperature when it is 0: greedy), into `out`. */
function cellLogProbs(
  cond: ArrayLike<number>,
  condAt: number,
  uncond: ArrayLike<number> | null,
  uncondAt: number,
  size: number,
  params: Pick<SamplingParams, 'guidance' | 'temperature'>,
  out: Float64Array,
): void {
  const divide = params.temperature > 0 && params.temperature !== 1;
  let max = -Infinity;
  for (let i = 0; i < size; i++) {
    const c = cond[condAt + i] ?? 0;
    let logit = uncond ? (uncond[uncondAt + i] ?? 0) + params.guidance * (c - (uncond[uncondAt + i] ?? 0)) : c;
    if (divide) logit = logit / params.temperature;
    out[i] = logit;
    max = Math.max(max, logit);
  }
  let sum = 0;
  for (let i = 0; i < size; i++) sum += Math.exp((out[i] ?? 0) - max);
  const log = max + Math.log(sum);
  for (let i = 0; i < size; i++) out[i] = (out[i] ?? 0) - log;
}

/** A melody/bass rest may not come right before a hold that is already there (the hold would continue nothing). */
function restForbidden(cells: Int16Array, t: number, k: number, steps: number): boolean {
  if (k !== TRACK_INDEX.melody && k !== TRACK_INDEX.bass) return false;
  return t + 1 < steps && cells[(t + 1) * TRACK_COUNT + k] === HOLD;
}

/**
 * A melody/bass hold may not follow a rest, nor start the clip; a bass hold may not carry a note into a new chord
 * that lacks it (C held under a G chord). A note the new chord has may go on (C under F or A minor), as pedal
 * points and common tones do in the data: 88% of pop's chord changes bring a new bass note, and without this rule
 * 64% did.
 */
function holdForbidden(cells: Int16Array, t: number, k: number, clipStart: boolean): boolean {
  if (k !== TRACK_INDEX.melody && k !== TRACK_INDEX.bass) return false;
  if (t === 0) return clipStart;
  if (cells[(t - 1) * TRACK_COUNT + k] === REST) return true;
  if (k !== TRACK_INDEX.bass || !chordChangesAt(cells, t)) return false;
  const held = bassPitchClassAt(cells, t - 1);
  const chord = cells[t * TRACK_COUNT + TRACK_INDEX.harmony] ?? 0;
  return held >= 0 && ((CHORD_PITCH_CLASSES[chord] ?? 0) & (1 << held)) === 0;
}

/** The pitch class of the bass note sounding at step t (its onset at or before t, through holds), or -1 if unknown. */
function bassPitchClassAt(cells: Int16Array, t: number): number {
  for (let s = t; s >= 0; s--) {
    const token = cells[s * TRACK_COUNT + TRACK_INDEX.bass] ?? REST;
    if (token >= FIRST_PITCH && token < (TRACK_SIZES[TRACK_INDEX.bass] ?? 0)) {
      return (token - FIRST_PITCH + vocabulary.bass.lowPitch) % 12;
    }
    if (token !== HOLD) return -1;
  }
  return -1;
}

/** Per harmony token, its pitch classes as bits (bit p = pitch class p); token 0, no chord, has none. */
const CHORD_PITCH_CLASSES: Uint16Array = (() => {
  const bits = new Uint16Array(TRACK_SIZES[TRACK_INDEX.harmony] ?? 0);
  const { qualities, intervals } = vocabulary.harmony;
  for (let root = 0; root < 12; root++) {
    qualities.forEach((_, quality) => {
      const token = 1 + root * qualities.length + quality;
      for (const interval of intervals[quality] ?? [])
        bits[token] = (bits[token] ?? 0) | (1 << ((root + interval) % 12));
    });
  }
  return bits;
})();

const HARMONY_MASK = TRACK_SIZES[TRACK_INDEX.harmony] ?? 0;
/** Harmony token 0: no chord sounds. */
const NO_CHORD = 0;

/** Whether a known chord starts at step t > 0 after a different known chord or no chord. */
function chordChangesAt(cells: Int16Array, t: number): boolean {
  const chord = cells[t * TRACK_COUNT + TRACK_INDEX.harmony] ?? HARMONY_MASK;
  const before = cells[(t - 1) * TRACK_COUNT + TRACK_INDEX.harmony] ?? HARMONY_MASK;
  return chord !== HARMONY_MASK && before !== HARMONY_MASK && chord !== NO_CHORD && chord !== before;
}

/**
 * Score taken off a bass hold that waits for its chord (below every real score, so it is unmasked only when the
 * schedule leaves nothing else).
 */
const AWAITING = 1e6;

/**
 * Whether a bass hold drawn at step t waits for the chords: t is where a chord may change (a span start on the grid
 * of `origin`; every step without spans) and the chord at t or just before it is still masked. Drawn before its
 * chord was known, a hold carried a note foreign to the new chord at 13% of pop's chord changes (the data: 1%). A
 * waiting hold stays the cell's draw while the chord is unknown (DenoiseStepInput.waitingHolds); once the model has
 * seen the chord, the cell is drawn from what it then says. A new note or a rest does not wait. (Making every bass
 * cell wait put the chords before the bass, and classical harmony, which its bass line anchors, lost chord tones.)
 */
function bassAwaitsChords(cells: Int16Array, t: number, span: number, origin: number): boolean {
  if (span > 1 && (((origin + t) % span) + span) % span !== 0) return false;
  const at = (s: number) => cells[s * TRACK_COUNT + TRACK_INDEX.harmony] === HARMONY_MASK;
  return at(t) || (t > 0 && at(t - 1));
}
