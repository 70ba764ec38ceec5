/** Deterministic test signals for the audio tests. */
import type { StereoAudio } from '../../src/audio/stereo-audio.ts';

/** A sine of `frequency` Hz with peak `amplitude` in each channel (0 for a silent channel). */
export function sine(
  frequency: number,
  seconds: number,
  amplitudes: { left: number; right: number },
  options: { sampleRate?: number; phase?: number; length?: number } = {},
): StereoAudio {
  const sampleRate = options.sampleRate ?? 48_000;
  const length = options.length ?? Math.round(seconds * sampleRate);
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  for (let n = 0; n < length; n++) {
    const value = Math.sin((2 * Math.PI * frequency * n) / sampleRate + (options.phase ?? 0));
    left[n] = amplitudes.left * value;
    right[n] = amplitudes.right * value;
  }
  return { sampleRate, left, right };
}

/**
 * Something like a mix: a sustained chord plus a kick and a noisy snare every half second, scaled by
 * `level`. Its transients sit far above its loudness, so mastering it needs the limiter.
 */
export function musicLike(seconds: number, level: number, length = Math.round(seconds * 48_000)): StereoAudio {
  const sampleRate = 48_000;
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  let seed = 12345;
  const noise = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const chord = [110, 220, 277.18, 329.63, 440, 554.37, 659.25];
  for (let n = 0; n < length; n++) {
    const t = n / sampleRate;
    let pad = 0;
    for (const frequency of chord) pad += 0.06 * Math.sin(2 * Math.PI * frequency * t + frequency);
    const beat = t % 0.5;
    const snare = beat < 0.08 ? noise() * Math.exp(-beat * 40) * 0.8 : 0;
    const kick = beat < 0.15 ? Math.sin(2 * Math.PI * 55 * beat) * Math.exp(-beat * 20) * 0.8 : 0;
    left[n] = level * (pad + snare + kick);
    right[n] = level * (0.9 * pad + 0.8 * snare + kick);
  }
  return { sampleRate, left, right };
}

/** Root mean square of samples [start, end). */
export function rms(samples: Float32Array, start = 0, end = samples.length): number {
  let sum = 0;
  for (let n = start; n < end; n++) sum += (samples[n] ?? 0) ** 2;
  return Math.sqrt(sum / Math.max(1, end - start));
}
