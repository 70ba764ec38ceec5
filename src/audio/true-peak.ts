/**
 * Peak meters after ITU-R BS.1770-4 Annex 2: true peak by 4x polyphase oversampling (dBTP), the linked
 * true-peak envelope a limiter works from, and sample peak (dBFS).
 */
import type { StereoAudio } from './stereo-audio.ts';

const OVERSAMPLING = 4;
/**
 * Input samples on each side of an interpolated point: 16 taps per phase (BS.1770-4 Annex 2 uses 12),
 * which keeps the interpolation error within 0.05 dB up to 18 kHz. {@link interpolatedPeak} is written out
 * for exactly this many.
 */
const HALF_TAPS = 8;
const KAISER_BETA = 4.5;

/** Samples per block of the peak search: blocks far under the level asked about are never oversampled. */
const PEAK_BLOCK = 16;

/**
 * Highest true peak of either channel in dBTP (4x oversampled, BS.1770-4 Annex 2); -Infinity for silence.
 * Exact, yet oversamples only where it matters: an interpolated value is at most TAP_MAGNITUDE_SUM times the
 * largest input magnitude under the filter, so a block whose neighbourhood is that far under the highest peak
 * found so far (the sample peak to begin with) cannot hold the true peak and is skipped.
 */
export function measureTruePeak(audio: StereoAudio): number {
  const length = Math.min(audio.left.length, audio.right.length);
  const maxima = linkedBlockMaxima(audio, length);
  let best = 0;
  for (const value of maxima) if (value > best) best = value;
  const bounds = blockBounds(maxima);
  const scratch = new Float32Array(PEAK_BLOCK + 2 * HALF_TAPS);
  for (let block = 0; block < bounds.length; block++) {
    if ((bounds[block] ?? 0) <= best) continue;
    const start = block * PEAK_BLOCK;
    const count = Math.min(PEAK_BLOCK, length - start);
    for (const channel of [audio.left, audio.right]) {
      best = Math.max(best, interpolatedPeak(padRange(channel, start, count, length, scratch), count, null, 0));
    }
  }
  return toDecibels(best);
}

/** Highest absolute sample value of either channel in dBFS; -Infinity for silence. */
export function measureSamplePeak(audio: StereoAudio): number {
  let peak = 0;
  for (const channel of [audio.left, audio.right]) {
    for (const value of channel) {
      const magnitude = Math.abs(value);
      if (magnitude > peak) peak = magnitude;
    }
  }
  return toDecibels(peak);
}

/**
 * Linear true-peak envelope, linked across channels: element n is the largest magnitude of either channel
 * at sample n and at the three oversampled points between n and n+1. A limiter that keeps every element
 * times its gain under a ceiling keeps the true peak under that ceiling. Oversamples the whole clip; see
 * {@link TruePeakEnvelope} for the envelope of only the loud parts.
 */
export function measureTruePeakEnvelope(audio: StereoAudio): Float32Array {
  const envelope = new TruePeakEnvelope(audio);
  return envelope.above(-1);
}

/**
 * The linked true-peak envelope of {@link measureTruePeakEnvelope}, worked out on demand: {@link above}
 * oversamples just the blocks that could reach a level, so a limiter looking for peaks over its threshold
 * filters a few percent of the clip instead of all of it.
 */
export class TruePeakEnvelope {
  private readonly audio: StereoAudio;
  private readonly length: number;
  private readonly values: Float32Array;
  /** Per block: an upper bound of every envelope value in it. */
  private readonly bounds: Float32Array;
  /** Per block: 1 once its values are exact. */
  private readonly resolved: Uint8Array;

  /** `scratch`: room for the envelope, used (zeroed first) when it is long enough. */
  constructor(audio: StereoAudio, scratch?: Float32Array) {
    this.audio = audio;
    this.length = Math.min(audio.left.length, audio.right.length);
    this.values =
      scratch !== undefined && scratch.length >= this.length
        ? scratch.subarray(0, this.length).fill(0)
        : new Float32Array(this.length);
    this.bounds = blockBounds(linkedBlockMaxima(audio, this.length));
    this.resolved = new Uint8Array(this.bounds.length);
  }

  /**
   * The envelope, exact wherever it exceeds `level`; elsewhere it may read lower (down to 0) but never over
   * `level`. The returned array is live: later calls fill in more of it.
   */
  above(level: number): Float32Array {
    const { bounds, resolved } = this;
    for (let block = 0; block < bounds.length;) {
      if (resolved[block] === 1 || (bounds[block] ?? 0) <= level) {
        block++;
        continue;
      }
      let end = block + 1;
      while (end < bounds.length && resolved[end] !== 1 && (bounds[end] ?? 0) > level) end++;
      this.resolve(block, end);
      resolved.fill(1, block, end);
      block = end;
    }
    return this.values;
  }

  /** Oversamples blocks [first, end) of both channels into `values`. */
  private resolve(first: number, end: number): void {
    const start = first * PEAK_BLOCK;
    const count = Math.min(end * PEAK_BLOCK, this.length) - start;
    const scratch = new Float32Array(count + 2 * HALF_TAPS);
    for (const channel of [this.audio.left, this.audio.right]) {
      interpolatedPeak(padRange(channel, start, count, this.length, scratch), count, this.values, start);
    }
  }
}

/** Largest magnitude of either channel in each block of PEAK_BLOCK samples. */
function linkedBlockMaxima(audio: StereoAudio, length: number): Float32Array {
  const { left, right } = audio;
  const maxima = new Float32Array(Math.ceil(length / PEAK_BLOCK));
  for (let block = 0; block < maxima.length; block++) {
    const end = Math.min(length, (block + 1) * PEAK_BLOCK);
    let peak = 0;
    for (let n = block * PEAK_BLOCK; n < end; n++) {
      const l = Math.abs(left[n] ?? 0);
      const r = Math.abs(right[n] ?? 0);
      if (l > peak) peak = l;
      if (r > peak) peak = r;
    }
    maxima[block] = peak;
  }
  return maxima;
}

/**
 * An upper bound of the true peak in each block: the filter of a point in block b reads samples from
 * HALF_TAPS - 1 before the block to HALF_TAPS after it, all inside blocks b-1..b+1 (PEAK_BLOCK >= HALF_TAPS),
 * and gives at most TAP_MAGNITUDE_SUM (> 1, so the samples themselves are covered too) times their peak.
 */
function blockBounds(maxima: Float32Array): Float32Array {
  const bounds = new Float32Array(maxima.length);
  for (let block = 0; block < maxima.length; block++) {
    const near = Math.max(maxima[block - 1] ?? 0, maxima[block] ?? 0, maxima[block + 1] ?? 0);
    // Rounded up a little, so float rounding in the filter can never beat the bound.
    bounds[block] = near * TAP_MAGNITUDE_SUM * (1 + 1e-6);
  }
  return bounds;
}

/**
 * Copies channel[start - HALF_TAPS + 1 .. start + count + HALF_TAPS] into the front of `scratch` (zeros
 * outside the clip), the layout {@link interpolatedPeak} reads; a new array when `scratch` is too short.
 */
function padRange(
  channel: Float32Array,
  start: number,
  count: number,
  length: number,
  scratch: Float32Array,
): Float32Array {
  const size = count + 2 * HALF_TAPS;
  const padded = scratch.length >= size ? scratch : new Float32Array(size);
  const from = start - HALF_TAPS + 1;
  for (let i = 0; i < size; i++) {
    const n = from + i;
    padded[i] = n >= 0 && n < length ? (channel[n] ?? 0) : 0;
  }
  return padded;
}

/**
 * Polyphase interpolation filter: phase p (1..3) computes the value at n + p/4 from samples
 * n-HALF_TAPS+1 .. n+HALF_TAPS. A Kaiser-windowed sinc with each phase normalised to unity gain at DC.
 * Phase 0 is the sample itself.
 */
function interpolationPhase(phase: number): Float64Array {
  const taps = new Float64Array(2 * HALF_TAPS);
  let sum = 0;
  for (let t = 0; t < taps.length; t++) {
    const distance = t - HALF_TAPS + 1 - phase / OVERSAMPLING; // from the interpolated point, in samples
    const value = sinc(distance) * kaiser(distance / HALF_TAPS, KAISER_BETA);
    taps[t] = value;
    sum += value;
  }
  return taps.map((value) => value / sum);
}

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

/** Kaiser window at position x in [-1, 1]. */
function kaiser(x: number, beta: number): number {
  if (Math.abs(x) >= 1) return 0;
  return besselI0(beta * Math.sqrt(1 - x * x)) / besselI0(beta);
}

function besselI0(x: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; term > 1e-12 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * The phases are mirror images (phase 3 is phase 1 reversed, phase 2 is symmetric), so the kernel works on
 * sums and differences of mirrored input pairs (x[t] ± x[15 - t]): with `outer` = (h1 + h3) / 2 and
 * `inner` = (h1 - h3) / 2 on the first half, y1 = outer·sums + inner·differences and
 * y3 = outer·sums - inner·differences; y2 = middle·sums. 24 multiplications per sample instead of 48.
 */
function mirroredCoefficients(): { outer: number[]; inner: number[]; middle: number[] } {
  const h1 = interpolationPhase(1);
  const h2 = interpolationPhase(2);
  const last = 2 * HALF_TAPS - 1;
  const outer: number[] = [];
  const inner: number[] = [];
  const middle: number[] = [];
  for (let t = 0; t < HALF_TAPS; t++) {
    const early = h1[t] ?? 0;
    const late = h1[last - t] ?? 0;
    outer.push((early + late) / 2);
    inner.push((early - late) / 2);
    middle.push(h2[t] ?? 0);
  }
  return { outer, inner, middle };
}

const COEFFICIENTS = mirroredCoefficients();

/** The largest sum of tap magnitudes of any phase: bounds an interpolated value by its inputs' peak. */
const TAP_MAGNITUDE_SUM = Math.max(
  ...[1, 2, 3].map((phase) => interpolationPhase(phase).reduce((sum, tap) => sum + Math.abs(tap), 0)),
);

/**
 * The oversampling kernel over `count` samples stored from padded[HALF_TAPS - 1] on, with HALF_TAPS - 1
 * samples of context before and HALF_TAPS + 1 after. Returns the largest magnitude; when `envelope` is
 * given, also raises envelope[offset + n] to the largest magnitude in [n, n+1). Written out with locals.
 */
function interpolatedPeak(padded: Float32Array, count: number, envelope: Float32Array | null, offset: number): number {
  const [o0 = 0, o1 = 0, o2 = 0, o3 = 0, o4 = 0, o5 = 0, o6 = 0, o7 = 0] = COEFFICIENTS.outer;
  const [i0 = 0, i1 = 0, i2 = 0, i3 = 0, i4 = 0, i5 = 0, i6 = 0, i7 = 0] = COEFFICIENTS.inner;
  const [m0 = 0, m1 = 0, m2 = 0, m3 = 0, m4 = 0, m5 = 0, m6 = 0, m7 = 0] = COEFFICIENTS.middle;
  let peak = 0;
  for (let n = 0; n < count; n++) {
    const x0 = padded[n] ?? 0;
    const x1 = padded[n + 1] ?? 0;
    const x2 = padded[n + 2] ?? 0;
    const x3 = padded[n + 3] ?? 0;
    const x4 = padded[n + 4] ?? 0;
    const x5 = padded[n + 5] ?? 0;
    const x6 = padded[n + 6] ?? 0;
    const x7 = padded[n + 7] ?? 0; // the sample itself
    const x8 = padded[n + 8] ?? 0;
    const x9 = padded[n + 9] ?? 0;
    const x10 = padded[n + 10] ?? 0;
    const x11 = padded[n + 11] ?? 0;
    const x12 = padded[n + 12] ?? 0;
    const x13 = padded[n + 13] ?? 0;
    const x14 = padded[n + 14] ?? 0;
    const x15 = padded[n + 15] ?? 0;
    const s0 = x0 + x15;
    const s1 = x1 + x14;
    const s2 = x2 + x13;
    const s3 = x3 + x12;
    const s4 = x4 + x11;
    const s5 = x5 + x10;
    const s6 = x6 + x9;
    const s7 = x7 + x8;
    const even = s0 * o0 + s1 * o1 + s2 * o2 + s3 * o3 + s4 * o4 + s5 * o5 + s6 * o6 + s7 * o7;
    const odd =
      (x0 - x15) * i0 +
      (x1 - x14) * i1 +
      (x2 - x13) * i2 +
      (x3 - x12) * i3 +
      (x4 - x11) * i4 +
      (x5 - x10) * i5 +
      (x6 - x9) * i6 +
      (x7 - x8) * i7;
    const half = s0 * m0 + s1 * m1 + s2 * m2 + s3 * m3 + s4 * m4 + s5 * m5 + s6 * m6 + s7 * m7;
    const local = Math.max(Math.abs(x7), Math.abs(even + odd), Math.abs(half), Math.abs(even - odd));
    if (local > peak) peak = local;
    if (envelope !== null && local > (envelope[offset + n] ?? 0)) envelope[offset + n] = local;
  }
  return peak;
}

function toDecibels(linear: number): number {
  return linear > 0 ? 20 * Math.log10(linear) : -Infinity;
}
