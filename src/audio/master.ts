/**
 * Mastering for a rendered clip: normalise to a loudness target, keep true peaks under a ceiling with a
 * look-ahead limiter, and fade the ends. Offline, so the limiter needs no delay line.
 */
import { integrateLoudness, measureIntegratedLoudness, measureKWeightedPower } from './loudness.ts';
import type { AudioScratch, StereoAudio } from './stereo-audio.ts';
import { measureTruePeak, TruePeakEnvelope } from './true-peak.ts';

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

/** Where {@link master} may work and put its result, instead of in new arrays. */
export interface MasterBuffers {
  /**
   * Work arrays the length of the clip (keys `master.*`) come from here; so does the result's audio unless
   * `overwriteInput`. That result is then valid only until the next use of the scratch.
   */
  readonly scratch?: AudioScratch | undefined;
  /** Write the result's audio over the input's arrays (the input is only read before that). */
  readonly overwriteInput?: boolean | undefined;
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
const MAX_PASSES = 6;
const LOUDNESS_TOLERANCE_LU = 0.1;

/** What the limiter needs besides the static gain. */
interface LimiterSettings {
  /** Linear true-peak envelope of the input, worked out only where the limiter could act. */
  readonly envelope: TruePeakEnvelope;
  readonly ceiling: number;
  readonly lookahead: number;
  readonly releaseCoefficient: number;
  readonly fade: Float32Array;
  /** Scratch space of the clip's length, reused by every pass of the gain search. */
  readonly required: Float32Array;
  readonly prefix: Float32Array;
}

/**
 * Masters a clip: a static gain brings it to the target integrated loudness (at most `maxGainDb`), a
 * look-ahead limiter with a smooth gain envelope holds true peaks at or under the ceiling, and short fades
 * shape the ends. Silence stays silence. The input is not modified.
 *
 * `buffers` lets a caller that masters clip after clip spare the allocations (see {@link MasterBuffers}).
 */
export function master(audio: StereoAudio, options: MasterOptions = {}, buffers: MasterBuffers = {}): MasterResult {
  const { scratch } = buffers;
  const settings = { ...DEFAULTS, ...options };
  const length = Math.min(audio.left.length, audio.right.length);
  const fade = fadeEnvelope(
    length,
    audio.sampleRate,
    settings.fadeInMs,
    settings.fadeOutMs,
    scratch?.take('master.fade', length),
  );
  const power = measureKWeightedPower(audio, scratch?.take('master.power', length));
  const inputLufs = integrateLoudness(power, audio.sampleRate);

  if (!Number.isFinite(inputLufs)) {
    const quiet = applyGain(audio, fade, buffers);
    return {
      audio: quiet,
      report: {
        inputLufs,
        outputLufs: measureIntegratedLoudness(quiet, power),
        truePeakDbtp: measureTruePeak(quiet),
        gainDb: 0,
      },
    };
  }

  const limiter: LimiterSettings = {
    envelope: new TruePeakEnvelope(audio, scratch?.take('master.envelope', length)),
    ceiling: fromDecibels(settings.ceilingDbtp - LIMITER_MARGIN_DB),
    lookahead: Math.max(1, Math.round((settings.lookaheadMs * audio.sampleRate) / 1000)),
    releaseCoefficient: 1 - Math.exp(-1000 / (Math.max(settings.releaseMs, 1e-3) * audio.sampleRate)),
    fade,
    required: scratch?.take('master.required', length) ?? new Float32Array(length),
    prefix: scratch?.take('master.prefix', length) ?? new Float32Array(length),
  };
  // With a scratch, every candidate's gain curve goes to one array: the best one is worked out again at the end if
  // a later candidate overwrote it. That gives the same values: the limiter reads the envelope only where it
  // exceeds the threshold, and the envelope is exact there whenever it is read.
  const gainBuffer = scratch?.take('master.gain', length);
  let lastDb = NaN;
  const gainFor = (candidateDb: number): Float32Array => {
    lastDb = candidateDb;
    return limiterGain(limiter, fromDecibels(candidateDb), gainBuffer ?? new Float32Array(length));
  };

  const best = searchStaticGain(settings.targetLufs, settings.maxGainDb, inputLufs, (candidateDb) => {
    const candidate = gainFor(candidateDb);
    return { gain: candidate, lufs: integrateLoudness(power, audio.sampleRate, candidate) };
  });
  const staticGainDb = best.gainDb;
  const gain = gainBuffer !== undefined && best.gainDb !== lastDb ? gainFor(best.gainDb) : best.gain;
  const output = applyGain(audio, gain, buffers);
  // The input's power is no longer needed: its array takes the output's.
  let outputLufs = measureIntegratedLoudness(output, power);

  // The limiter works on the input's oversampled peaks times a gain that changes slowly; measure the
  // result itself and scale down in the rare case where that approximation let a peak through.
  let truePeakDbtp = measureTruePeak(output);
  let gainDb = staticGainDb;
  if (truePeakDbtp > settings.ceilingDbtp) {
    const trimDb = settings.ceilingDbtp - truePeakDbtp - 0.01;
    scaleInPlace(output, fromDecibels(trimDb));
    truePeakDbtp += trimDb;
    outputLufs += trimDb;
    gainDb += trimDb;
  }
  return { audio: output, report: { inputLufs, outputLufs, truePeakDbtp, gainDb } };
}

interface GainCandidate {
  readonly gainDb: number;
  readonly gain: Float32Array;
  readonly lufs: number;
}

/**
 * Limiting and fading lower the loudness, so the static gain that reaches the target is searched for:
 * secant steps from the gain that would be right without them, then false position once the target is
 * bracketed. `evaluate` gives the gain curve for a static gain and its estimated loudness.
 */
function searchStaticGain(
  targetLufs: number,
  maxGainDb: number,
  inputLufs: number,
  evaluate: (gainDb: number) => { gain: Float32Array; lufs: number },
): GainCandidate {
  const initialDb = Math.min(targetLufs - inputLufs, maxGainDb);
  let current: GainCandidate = { gainDb: initialDb, ...evaluate(initialDb) };
  let best = current;
  let below: GainCandidate | null = null;
  let above: GainCandidate | null = null;
  let previous: GainCandidate | null = null;
  for (let pass = 1; pass < MAX_PASSES; pass++) {
    const shortfall = targetLufs - current.lufs;
    if (Math.abs(shortfall) <= LOUDNESS_TOLERANCE_LU) break;
    if (shortfall > 0) below = current;
    else above = current;
    let next: number;
    if (below !== null && above !== null) {
      next = below.gainDb + ((targetLufs - below.lufs) * (above.gainDb - below.gainDb)) / (above.lufs - below.lufs);
    } else {
      const slope =
        previous === null ? 1 : clamp((current.lufs - previous.lufs) / (current.gainDb - previous.gainDb), 0.1, 1);
      next = current.gainDb + shortfall / slope;
    }
    next = Math.min(next, maxGainDb);
    if (next === current.gainDb) break;
    previous = current;
    current = { gainDb: next, ...evaluate(next) };
    if (Math.abs(targetLufs - current.lufs) < Math.abs(targetLufs - best.lufs)) best = current;
  }
  return best;
}

/**
 * Gain per sample, static gain and fades included, such that gain[n] * peaks[n] <= ceiling for every n,
 * changing smoothly. The limiter's part: the gain each sample requires goes through a sliding minimum over
 * the look-ahead window, a one-pole release, and a moving average over the same window. Every minimum in
 * the average at n has n in its window, so the average never exceeds what sample n requires; a step down
 * becomes a linear ramp that ends exactly where the peak arrives.
 *
 * The sliding minimum is van Herk / Gil-Werman: in blocks of `lookahead` samples, minima from each block's
 * start (prefix) and to its end (suffix); the window starting at n is covered by suffix[n] and
 * prefix[n + lookahead - 1]. Three passes over the clip in all. Written into `gain` (the clip's length).
 */
function limiterGain(settings: LimiterSettings, staticGain: number, gain: Float32Array): Float32Array {
  const { envelope, ceiling, lookahead, releaseCoefficient, fade, required, prefix } = settings;
  const threshold = ceiling / staticGain; // input peaks above this need gain reduction
  const peaks = envelope.above(threshold); // exact where it matters: over the threshold
  const length = required.length;
  let limiting = false;
  for (let start = 0; start < length; start += lookahead) {
    const end = Math.min(start + lookahead, length);
    let running = 1;
    for (let n = start; n < end; n++) {
      const peak = peaks[n] ?? 0;
      const value = peak > threshold ? threshold / peak : 1;
      required[n] = value;
      running = Math.min(running, value);
      prefix[n] = running;
    }
    if (running < 1) limiting = true;
  }
  if (!limiting) {
    for (let n = 0; n < length; n++) gain[n] = (fade[n] ?? 0) * staticGain;
    return gain;
  }

  // `gain` holds the suffix minima first, then the result.
  for (let start = 0; start < length; start += lookahead) {
    let running = 1;
    for (let n = Math.min(start + lookahead, length) - 1; n >= start; n--) {
      running = Math.min(running, required[n] ?? 1);
      gain[n] = running;
    }
  }

  // Released gains of the last `lookahead` samples (before the clip: unity), summed for the average.
  const recent = new Float32Array(lookahead).fill(1);
  let slot = 0;
  let sum = lookahead;
  let released = 1;
  for (let n = 0; n < length; n++) {
    const minimum = Math.min(gain[n] ?? 1, prefix[Math.min(n + lookahead - 1, length - 1)] ?? 1);
    released = minimum < released ? minimum : released + (minimum - released) * releaseCoefficient;
    sum += released - (recent[slot] ?? 1);
    recent[slot] = released;
    slot = slot + 1 === lookahead ? 0 : slot + 1;
    // The minimum with `required` only guards against rounding in the running sum.
    gain[n] = Math.min(sum / lookahead, required[n] ?? 1) * staticGain * (fade[n] ?? 0);
  }
  return gain;
}

/** Raised-cosine fade-in and fade-out multipliers; shortened in proportion when the clip is too short. */
function fadeEnvelope(
  length: number,
  sampleRate: number,
  fadeInMs: number,
  fadeOutMs: number,
  into: Float32Array = new Float32Array(length),
): Float32Array {
  let fadeIn = Math.max(0, Math.round((fadeInMs * sampleRate) / 1000));
  let fadeOut = Math.max(0, Math.round((fadeOutMs * sampleRate) / 1000));
  if (fadeIn + fadeOut > length) {
    const scale = length / (fadeIn + fadeOut);
    fadeIn = Math.floor(fadeIn * scale);
    fadeOut = Math.floor(fadeOut * scale);
  }
  const envelope = into.fill(1);
  for (let n = 0; n < fadeIn; n++) envelope[n] = 0.5 - 0.5 * Math.cos((Math.PI * n) / fadeIn);
  for (let n = 0; n < fadeOut; n++) {
    const index = length - 1 - n;
    envelope[index] = (envelope[index] ?? 1) * (0.5 - 0.5 * Math.cos((Math.PI * n) / fadeOut));
  }
  return envelope;
}

function applyGain(audio: StereoAudio, gain: Float32Array, buffers: MasterBuffers): StereoAudio {
  const { scratch, overwriteInput } = buffers;
  const length = gain.length;
  const left =
    overwriteInput === true
      ? audio.left.subarray(0, length)
      : (scratch?.take('master.left', length) ?? new Float32Array(length));
  const right =
    overwriteInput === true
      ? audio.right.subarray(0, length)
      : (scratch?.take('master.right', length) ?? new Float32Array(length));
  for (let n = 0; n < gain.length; n++) {
    const g = gain[n] ?? 0;
    left[n] = (audio.left[n] ?? 0) * g;
    right[n] = (audio.right[n] ?? 0) * g;
  }
  return { sampleRate: audio.sampleRate, left, right };
}

function scaleInPlace(audio: StereoAudio, gain: number): void {
  for (const channel of [audio.left, audio.right]) {
    for (let n = 0; n < channel.length; n++) channel[n] = (channel[n] ?? 0) * gain;
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function fromDecibels(db: number): number {
  return 10 ** (db / 20);
}
