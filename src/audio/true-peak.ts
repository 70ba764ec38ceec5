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
/** Samples per block in measureGainedTruePeak. */
const GAINED_BLOCK = 64;

/** Highest true peak of either channel in dBTP (4x oversampled, BS.1770-4 Annex 2); -Infinity for silence. */
export function measureTruePeak(audio: StereoAudio): number {
  const peak = Math.max(scanTruePeak(audio.left, null), scanTruePeak(audio.right, null));
  return toDecibels(peak);
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
 * times its gain under a ceiling keeps the true peak under that ceiling.
 */
export function measureTruePeakEnvelope(audio: StereoAudio): Float32Array {
  const envelope = new Float32Array(audio.left.length);
  scanTruePeak(audio.left, envelope);
  scanTruePeak(audio.right, envelope);
  return envelope;
}

/**
 * True peak in dBTP of `audio` scaled sample by sample by `gain`, equal (to float rounding) to
 * measureTruePeak of the scaled audio. `envelope` must be measureTruePeakEnvelope(audio). Where the gain
 * is constant over a block and its filter context, the block's true peak is the gain times the envelope;
 * where it varies, the envelope bounds the peak, and only blocks whose bound beats the best peak so far
 * are oversampled.
 */
export function measureGainedTruePeak(audio: StereoAudio, gain: Float32Array, envelope: Float32Array): number {
  const length = Math.min(gain.length, envelope.length);
  const context = HALF_TAPS; // filter taps reach HALF_TAPS - 1 samples back and HALF_TAPS ahead
  let best = 0;
  const varying: { start: number; end: number; bound: number }[] = [];
  for (let start = 0; start < length; start += GAINED_BLOCK) {
    const end = Math.min(start + GAINED_BLOCK, length);
    let blockPeak = 0;
    for (let n = start; n < end; n++) blockPeak = Math.max(blockPeak, envelope[n] ?? 0);
    let contextPeak = blockPeak;
    let lowest = Infinity;
    let highest = 0;
    for (let n = Math.max(0, start - context); n < Math.min(length, end + context); n++) {
      contextPeak = Math.max(contextPeak, envelope[n] ?? 0);
      const g = gain[n] ?? 0;
      lowest = Math.min(lowest, g);
      highest = Math.max(highest, g);
    }
    if (lowest === highest) {
      best = Math.max(best, highest * blockPeak);
    } else {
      const bound = highest * blockPeak + TAP_MAGNITUDE_SUM * (highest - lowest) * contextPeak;
      varying.push({ start, end, bound });
    }
  }
  for (const { start, end, bound } of varying) {
    if (bound <= best) continue;
    const from = Math.max(0, start - HALF_TAPS + 1);
    const to = Math.min(length, end + HALF_TAPS);
    for (const channel of [audio.left, audio.right]) {
      const padded = new Float32Array(end - start + 2 * HALF_TAPS);
      for (let n = from; n < to; n++) padded[n - start + HALF_TAPS - 1] = (channel[n] ?? 0) * (gain[n] ?? 0);
      best = Math.max(best, interpolatedPeak(padded, end - start, null));
    }
  }
  return toDecibels(best);
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
 * Largest magnitude of the 4x oversampled signal (samples outside the clip count as zero). When `envelope`
 * is given, also raises envelope[n] to the largest magnitude in [n, n+1).
 */
function scanTruePeak(samples: Float32Array, envelope: Float32Array | null): number {
  const padded = new Float32Array(samples.length + 2 * HALF_TAPS);
  padded.set(samples, HALF_TAPS - 1);
  return interpolatedPeak(padded, samples.length, envelope);
}

/**
 * The oversampling kernel over `count` samples stored from padded[HALF_TAPS - 1] on, with HALF_TAPS - 1
 * samples of context before and HALF_TAPS + 1 after. Written out with locals: the hot loop of mastering.
 */
function interpolatedPeak(padded: Float32Array, count: number, envelope: Float32Array | null): number {
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
    if (envelope !== null && local > (envelope[n] ?? 0)) envelope[n] = local;
  }
  return peak;
}

function toDecibels(linear: number): number {
  return linear > 0 ? 20 * Math.log10(linear) : -Infinity;
}
