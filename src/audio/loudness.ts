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
 * A clip shorter than one block is measured as one block. Returns -Infinity for silence.
 */
export function measureIntegratedLoudness(audio: StereoAudio): number {
  return integrateLoudness(measureKWeightedPower(audio), audio.sampleRate);
}

/**
 * K-weighted power per sample, summed over both channels: the quantity BS.1770 averages over blocks.
 * With {@link integrateLoudness} it lets a caller try several gain curves without filtering again.
 */
export function measureKWeightedPower(audio: StereoAudio): Float32Array {
  const length = Math.min(audio.left.length, audio.right.length);
  const power = new Float32Array(length);
  addKWeightedPower(audio.left, audio.sampleRate, power);
  addKWeightedPower(audio.right, audio.sampleRate, power);
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

/** Adds the squared K-weighted `samples` to `power`, element by element. */
function addKWeightedPower(samples: Float32Array, sampleRate: number, power: Float32Array): void {
  const [shelf, highPass] = kWeightingFilters(sampleRate);
  // Transposed direct form II state of each stage.
  let s1a = 0;
  let s1b = 0;
  let s2a = 0;
  let s2b = 0;
  for (let n = 0; n < power.length; n++) {
    const x = samples[n] ?? 0;
    const y1 = shelf.b0 * x + s1a;
    s1a = shelf.b1 * x - shelf.a1 * y1 + s1b;
    s1b = shelf.b2 * x - shelf.a2 * y1;
    const y2 = highPass.b0 * y1 + s2a;
    s2a = highPass.b1 * y1 - highPass.a1 * y2 + s2b;
    s2b = highPass.b2 * y1 - highPass.a2 * y2;
    power[n] = (power[n] ?? 0) + y2 * y2;
  }
}
