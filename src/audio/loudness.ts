/**
 * Integrated loudness after ITU-R BS.1770-4: K-weighting, gating, LUFS. Stereo, both channels weighted
 * 1.0. Peak meters are in true-peak.ts.
 */
import type { StereoAudio } from './stereo-audio.ts';

const BLOCK_SECONDS = 0.4;
const STEP_SECONDS = 0.1;
const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;
const LOUDNESS_OFFSET = -0.691;

/**
 * Gated integrated loudness of a stereo signal in LUFS (BS.1770-4 §2): K-weighting, 400 ms blocks every
 * 100 ms, an absolute gate at -70 LUFS and a relative gate 10 LU below the absolute-gated loudness.
 * A clip shorter than one block is measured as one block. Returns -Infinity for silence. `scratch`: room for
 * the clip's K-weighted power (see {@link measureKWeightedPower}).
 */
export function measureIntegratedLoudness(audio: StereoAudio, scratch?: Float32Array): number {
  return integrateLoudness(measureKWeightedPower(audio, scratch), audio.sampleRate);
}

/**
 * K-weighted power per sample, summed over both channels: the quantity BS.1770 averages over blocks.
 * With {@link integrateLoudness} it lets a caller try several gain curves without filtering again. Written
 * into `scratch` (every element overwritten) when it is long enough, else into a new array.
 */
export function measureKWeightedPower(audio: StereoAudio, scratch?: Float32Array): Float32Array {
  const length = Math.min(audio.left.length, audio.right.length);
  const power =
    scratch !== undefined && scratch.length >= length ? scratch.subarray(0, length) : new Float32Array(length);
  writeKWeightedPower(audio.left, audio.right, audio.sampleRate, power);
  return power;
}

/**
 * Gated integrated loudness (LUFS) of a K-weighted power signal from {@link measureKWeightedPower}. With
 * `gain`, each sample's power is scaled by gain[n]²: exact for a constant gain, and a close estimate
 * (ignoring the filters' memory) for a gain that changes slowly.
 */
export function integrateLoudness(power: Float32Array, sampleRate: number, gain?: Float32Array): number {
  const length = power.length;
  if (length === 0) return -Infinity;
  const step = Math.max(1, Math.round(STEP_SECONDS * sampleRate));
  const stepsPerBlock = Math.round(BLOCK_SECONDS / STEP_SECONDS);
  const blockLength = step * stepsPerBlock;
  if (length < blockLength) {
    return gatedLoudness(new Float64Array([sumPower(power, gain, 0, length) / length]));
  }
  const steps = new Float64Array(Math.floor(length / step));
  for (let s = 0; s < steps.length; s++) steps[s] = sumPower(power, gain, s * step, (s + 1) * step);
  const blocks = new Float64Array(steps.length - stepsPerBlock + 1);
  for (let b = 0; b < blocks.length; b++) {
    let sum = 0;
    for (let s = b; s < b + stepsPerBlock; s++) sum += steps[s] ?? 0;
    blocks[b] = sum / blockLength;
  }
  return gatedLoudness(blocks);
}

function sumPower(power: Float32Array, gain: Float32Array | undefined, start: number, end: number): number {
  let sum = 0;
  if (gain === undefined) {
    for (let n = start; n < end; n++) sum += power[n] ?? 0;
  } else {
    for (let n = start; n < end; n++) {
      const g = gain[n] ?? 0;
      sum += (power[n] ?? 0) * g * g;
    }
  }
  return sum;
}

function gatedLoudness(blockEnergies: Float64Array): number {
  const absoluteGate = energyOf(ABSOLUTE_GATE_LUFS);
  const aboveAbsolute = meanAbove(blockEnergies, absoluteGate);
  if (aboveAbsolute.count === 0) return -Infinity;
  const relativeGate = Math.max(absoluteGate, aboveAbsolute.mean * 10 ** (RELATIVE_GATE_LU / 10));
  const gated = meanAbove(blockEnergies, relativeGate);
  return gated.count === 0 ? -Infinity : LOUDNESS_OFFSET + 10 * Math.log10(gated.mean);
}

function meanAbove(values: Float64Array, threshold: number): { count: number; mean: number } {
  let count = 0;
  let sum = 0;
  for (const value of values) {
    if (value > threshold) {
      count++;
      sum += value;
    }
  }
  return { count, mean: count === 0 ? 0 : sum / count };
}

function energyOf(lufs: number): number {
  return 10 ** ((lufs - LOUDNESS_OFFSET) / 10);
}

/** Biquad coefficients, normalised so that a0 = 1. */
interface Biquad {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

/**
 * The two K-weighting stages designed for any sample rate by the bilinear transform of the analogue
 * prototypes behind BS.1770's 48 kHz tables: a +4 dB high shelf modelling the head, then the RLB high-pass.
 */
function kWeightingFilters(sampleRate: number): readonly [Biquad, Biquad] {
  const shelfFrequency = 1681.974450955533;
  const shelfGainDb = 3.999843853973347;
  const shelfQ = 0.7071752369554196;
  const k1 = Math.tan((Math.PI * shelfFrequency) / sampleRate);
  const vh = 10 ** (shelfGainDb / 20);
  const vb = vh ** 0.4996667741545416;
  const shelfNorm = 1 + k1 / shelfQ + k1 * k1;
  const shelf: Biquad = {
    b0: (vh + (vb * k1) / shelfQ + k1 * k1) / shelfNorm,
    b1: (2 * (k1 * k1 - vh)) / shelfNorm,
    b2: (vh - (vb * k1) / shelfQ + k1 * k1) / shelfNorm,
    a1: (2 * (k1 * k1 - 1)) / shelfNorm,
    a2: (1 - k1 / shelfQ + k1 * k1) / shelfNorm,
  };

  const highPassFrequency = 38.13547087602444;
  const highPassQ = 0.5003270373238773;
  const k2 = Math.tan((Math.PI * highPassFrequency) / sampleRate);
  const highPassNorm = 1 + k2 / highPassQ + k2 * k2;
  const highPass: Biquad = {
    b0: 1,
    b1: -2,
    b2: 1,
    a1: (2 * (k2 * k2 - 1)) / highPassNorm,
    a2: (1 - k2 / highPassQ + k2 * k2) / highPassNorm,
  };
  return [shelf, highPass];
}

/**
 * Writes the summed squares of both channels, K-weighted, to `power`. The two channels run through the same
 * loop: each filter is a chain of dependent multiply-adds, and two independent chains keep the CPU busy.
 */
function writeKWeightedPower(left: Float32Array, right: Float32Array, sampleRate: number, power: Float32Array): void {
  const [shelf, highPass] = kWeightingFilters(sampleRate);
  const { b0, b1, b2, a1, a2 } = shelf;
  const { b0: c0, b1: c1, b2: c2, a1: d1, a2: d2 } = highPass;
  // Transposed direct form II state of each stage, per channel.
  let l1a = 0;
  let l1b = 0;
  let l2a = 0;
  let l2b = 0;
  let r1a = 0;
  let r1b = 0;
  let r2a = 0;
  let r2b = 0;
  for (let n = 0; n < power.length; n++) {
    const xl = left[n] ?? 0;
    const xr = right[n] ?? 0;
    const yl = b0 * xl + l1a;
    const yr = b0 * xr + r1a;
    l1a = b1 * xl - a1 * yl + l1b;
    r1a = b1 * xr - a1 * yr + r1b;
    l1b = b2 * xl - a2 * yl;
    r1b = b2 * xr - a2 * yr;
    const zl = c0 * yl + l2a;
    const zr = c0 * yr + r2a;
    l2a = c1 * yl - d1 * zl + l2b;
    r2a = c1 * yr - d1 * zr + r2b;
    l2b = c2 * yl - d2 * zl;
    r2b = c2 * yr - d2 * zr;
    power[n] = zl * zl + zr * zr;
  }
}
