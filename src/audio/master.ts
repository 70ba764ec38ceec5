/**
 * Mastering for a rendered clip: normalise to a loudness target, keep true peaks under a ceiling with a
 * look-ahead limiter, and fade the ends. Offline, so the limiter needs no delay line.
 */
import { measureIntegratedLoudness, measureTruePeak, measureTruePeakEnvelope } from './loudness.ts';
import type { StereoAudio } from './stereo-audio.ts';

/** Settings for {@link master}; every field has a default. */
export interface MasterOptions {
  /** Integrated loudness to aim for, in LUFS. Default -16. */
  readonly targetLufs?: number;
  /** Highest true peak allowed in the result, in dBTP. Default -1. */
  readonly ceilingDbtp?: number;
  /** Largest gain applied to a quiet clip, in dB. Default 30. */
  readonly maxGainDb?: number;
  /** How far ahead the limiter sees a peak coming; its gain ramps down over this window. Default 5 ms. */
  readonly lookaheadMs?: number;
  /** Time constant of the limiter's recovery after a peak. Default 100 ms. */
  readonly releaseMs?: number;
  /** Raised-cosine fade at the start. Default 10 ms. */
  readonly fadeInMs?: number;
  /** Raised-cosine fade at the end. Default 300 ms. */
  readonly fadeOutMs?: number;
}

/** What {@link master} measured and did. Loudness in LUFS (-Infinity for silence), peaks in dBTP. */
export interface MasterReport {
  readonly inputLufs: number;
  readonly outputLufs: number;
  readonly truePeakDbtp: number;
  /** The static gain applied before limiting, in dB. */
  readonly gainDb: number;
}

/** The mastered clip (same sample rate and length as the input) and its report. */
export interface MasterResult {
  readonly audio: StereoAudio;
  readonly report: MasterReport;
}

const DEFAULTS = {
  targetLufs: -16,
  ceilingDbtp: -1,
  maxGainDb: 30,
  lookaheadMs: 5,
  releaseMs: 100,
  fadeInMs: 10,
  fadeOutMs: 300,
} as const satisfies Required<MasterOptions>;

/** The limiter aims this far under the ceiling, for the small overshoot its own gain changes cause. */
const LIMITER_MARGIN_DB = 0.1;
/** Loudness passes: limiting lowers loudness, so the gain is raised and the limiter run again. */
const MAX_PASSES = 4;
const LOUDNESS_TOLERANCE_LU = 0.05;

/**
 * Masters a clip: a static gain brings it to the target integrated loudness (at most `maxGainDb`), a
 * look-ahead limiter with a smooth gain envelope holds true peaks at or under the ceiling, and short fades
 * shape the ends. Silence stays silence. The input is not modified.
 */
export function master(audio: StereoAudio, options: MasterOptions = {}): MasterResult {
  const settings = { ...DEFAULTS, ...options };
  const length = Math.min(audio.left.length, audio.right.length);
  const fade = fadeEnvelope(length, audio.sampleRate, settings.fadeInMs, settings.fadeOutMs);
  const inputLufs = measureIntegratedLoudness(audio);

  if (!Number.isFinite(inputLufs)) {
    const quiet = applyEnvelope(audio, fade, length);
    return {
      audio: quiet,
      report: {
        inputLufs,
        outputLufs: measureIntegratedLoudness(quiet),
        truePeakDbtp: measureTruePeak(quiet),
        gainDb: 0,
      },
    };
  }

  const peaks = measureTruePeakEnvelope(audio);
  const limiterCeiling = fromDecibels(settings.ceilingDbtp - LIMITER_MARGIN_DB);
  const lookahead = Math.max(1, Math.round((settings.lookaheadMs * audio.sampleRate) / 1000));
  const releaseCoefficient = 1 - Math.exp(-1000 / (Math.max(settings.releaseMs, 1e-3) * audio.sampleRate));

  let gainDb = Math.min(settings.targetLufs - inputLufs, settings.maxGainDb);
  let output = audio;
  let outputLufs = inputLufs;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const gain = limiterGain(peaks, fromDecibels(gainDb), limiterCeiling, lookahead, releaseCoefficient);
    for (let n = 0; n < length; n++) gain[n] = (gain[n] ?? 0) * (fade[n] ?? 0);
    output = applyEnvelope(audio, gain, length);
    outputLufs = measureIntegratedLoudness(output);
    const shortfall = settings.targetLufs - outputLufs;
    const nextGainDb = Math.min(gainDb + shortfall, settings.maxGainDb);
    if (Math.abs(shortfall) <= LOUDNESS_TOLERANCE_LU || nextGainDb === gainDb) break;
    gainDb = nextGainDb;
  }

  // The limiter works on the input's oversampled peaks times a gain that changes slowly; measure the
  // result itself and scale down in the rare case where that approximation let a peak through.
  let truePeakDbtp = measureTruePeak(output);
  if (truePeakDbtp > settings.ceilingDbtp) {
    const trimDb = settings.ceilingDbtp - truePeakDbtp - 0.01;
    scaleInPlace(output, fromDecibels(trimDb));
    truePeakDbtp += trimDb;
    outputLufs += trimDb;
  }
  return { audio: output, report: { inputLufs, outputLufs, truePeakDbtp, gainDb } };
}

/**
 * Gain per sample so that gain[n] * staticGain * peaks[n] <= ceiling for every n, changing smoothly:
 * the required gain goes through a sliding minimum over the look-ahead window, a one-pole release, and a
 * moving average over the same window. Each averaged value comes from minima whose windows all contain n,
 * so the average never exceeds the gain that sample n requires; a step down becomes a linear ramp that
 * ends exactly where the peak arrives.
 */
function limiterGain(
  peaks: Float32Array,
  staticGain: number,
  ceiling: number,
  lookahead: number,
  releaseCoefficient: number,
): Float32Array {
  const length = peaks.length;
  const required = new Float32Array(length);
  for (let n = 0; n < length; n++) {
    const peak = (peaks[n] ?? 0) * staticGain;
    required[n] = peak > ceiling ? ceiling / peak : 1;
  }
  const minimum = slidingMinimumAhead(required, lookahead);

  let released = 1;
  for (let n = 0; n < length; n++) {
    const target = minimum[n] ?? 1;
    released = target < released ? target : released + (target - released) * releaseCoefficient;
    minimum[n] = released;
  }

  // Moving average over the window ending at n; samples before the clip count as unity gain.
  const gain = new Float32Array(length);
  let sum = lookahead;
  for (let n = 0; n < length; n++) {
    sum += (minimum[n] ?? 1) - (n >= lookahead ? (minimum[n - lookahead] ?? 1) : 1);
    gain[n] = Math.min(sum / lookahead, required[n] ?? 1) * staticGain;
  }
  return gain;
}

/**
 * out[n] = min(values[n .. n + window - 1]), the window cut at the end, in O(n) (van Herk / Gil-Werman):
 * prefix minima within blocks of `window` samples and suffix minima, one of each covers any window.
 */
function slidingMinimumAhead(values: Float32Array, window: number): Float32Array {
  const length = values.length;
  const prefix = new Float32Array(length);
  const suffix = new Float32Array(length);
  for (let n = 0; n < length; n++) {
    const value = values[n] ?? 1;
    prefix[n] = n % window === 0 ? value : Math.min(prefix[n - 1] ?? 1, value);
  }
  for (let n = length - 1; n >= 0; n--) {
    const value = values[n] ?? 1;
    suffix[n] = n % window === window - 1 || n === length - 1 ? value : Math.min(suffix[n + 1] ?? 1, value);
  }
  const out = new Float32Array(length);
  for (let n = 0; n < length; n++) {
    const end = Math.min(n + window - 1, length - 1);
    out[n] = Math.min(suffix[n] ?? 1, prefix[end] ?? 1);
  }
  return out;
}

/** Raised-cosine fade-in and fade-out multipliers; shortened in proportion when the clip is too short. */
function fadeEnvelope(length: number, sampleRate: number, fadeInMs: number, fadeOutMs: number): Float32Array {
  let fadeIn = Math.max(0, Math.round((fadeInMs * sampleRate) / 1000));
  let fadeOut = Math.max(0, Math.round((fadeOutMs * sampleRate) / 1000));
  if (fadeIn + fadeOut > length) {
    const scale = length / (fadeIn + fadeOut);
    fadeIn = Math.floor(fadeIn * scale);
    fadeOut = Math.floor(fadeOut * scale);
  }
  const envelope = new Float32Array(length).fill(1);
  for (let n = 0; n < fadeIn; n++) envelope[n] = 0.5 - 0.5 * Math.cos((Math.PI * n) / fadeIn);
  for (let n = 0; n < fadeOut; n++) {
    const index = length - 1 - n;
    envelope[index] = (envelope[index] ?? 1) * (0.5 - 0.5 * Math.cos((Math.PI * n) / fadeOut));
  }
  return envelope;
}

function applyEnvelope(audio: StereoAudio, envelope: Float32Array, length: number): StereoAudio {
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  for (let n = 0; n < length; n++) {
    const gain = envelope[n] ?? 0;
    left[n] = (audio.left[n] ?? 0) * gain;
    right[n] = (audio.right[n] ?? 0) * gain;
  }
  return { sampleRate: audio.sampleRate, left, right };
}

function scaleInPlace(audio: StereoAudio, gain: number): void {
  for (const channel of [audio.left, audio.right]) {
    for (let n = 0; n < channel.length; n++) channel[n] = (channel[n] ?? 0) * gain;
  }
}

function fromDecibels(db: number): number {
  return 10 ** (db / 20);
}
