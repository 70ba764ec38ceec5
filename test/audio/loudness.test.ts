import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { integrateLoudness, measureIntegratedLoudness, measureKWeightedPower } from '../../src/audio/loudness.ts';
import type { StereoAudio } from '../../src/audio/stereo-audio.ts';
import { musicLike, sine } from './test-signals.ts';

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

function concat(first: StereoAudio, second: StereoAudio): StereoAudio {
  const join = (a: Float32Array, b: Float32Array): Float32Array => {
    const out = new Float32Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  return { sampleRate: first.sampleRate, left: join(first.left, second.left), right: join(first.right, second.right) };
}

describe('measureIntegratedLoudness', () => {
  it('GIVEN a 0 dBFS 997 Hz sine in one channel THEN reads -3.01 LUFS (BS.1770-4)', () => {
    const audio = sine(997, 5, { left: 1, right: 0 });
    assertClose(measureIntegratedLoudness(audio), -3.01, 0.1, 'loudness');
  });

  it('GIVEN a -20 dBFS 997 Hz sine in both channels THEN reads -20 LUFS', () => {
    const audio = sine(997, 5, { left: 0.1, right: 0.1 });
    assertClose(measureIntegratedLoudness(audio), -20, 0.1, 'loudness');
  });

  it('GIVEN 44.1 kHz audio THEN the K-weighting is designed for that rate and the reading is the same', () => {
    const audio = sine(997, 5, { left: 0.1, right: 0.1 }, { sampleRate: 44_100 });
    assertClose(measureIntegratedLoudness(audio), -20, 0.1, 'loudness');
  });

  it('GIVEN a 40 Hz tone THEN reads lower than a 997 Hz tone of the same level (the RLB high-pass)', () => {
    const low = measureIntegratedLoudness(sine(40, 5, { left: 0.1, right: 0.1 }));
    assert.ok(low < -20.5, `40 Hz read ${low} LUFS`);
  });

  it('GIVEN a loud part and a part 40 dB quieter THEN the relative gate leaves the quiet part out', () => {
    const audio = concat(sine(997, 10, { left: 0.1, right: 0.1 }), sine(997, 10, { left: 0.001, right: 0.001 }));
    // Ungated, the mean over both halves would read -23 LUFS.
    assertClose(measureIntegratedLoudness(audio), -20, 0.15, 'loudness');
  });

  it('GIVEN silence or a tone under the -70 LUFS absolute gate THEN reads -Infinity', () => {
    assert.equal(measureIntegratedLoudness(sine(997, 2, { left: 0, right: 0 })), -Infinity);
    assert.equal(measureIntegratedLoudness(sine(997, 2, { left: 1e-4, right: 1e-4 })), -Infinity);
    assert.equal(measureIntegratedLoudness(sine(997, 0, { left: 1, right: 1 })), -Infinity);
  });

  it('GIVEN a clip shorter than one 400 ms block THEN measures it as one block', () => {
    const audio = sine(997, 0.25, { left: 0.1, right: 0.1 });
    assertClose(measureIntegratedLoudness(audio), -20, 0.15, 'loudness');
  });
});

describe('integrateLoudness', () => {
  it('GIVEN a constant gain of one half THEN reads 6.02 LU below the unscaled clip', () => {
    const audio = musicLike(4, 0.5);
    const power = measureKWeightedPower(audio);
    const half = new Float32Array(power.length).fill(0.5);
    const difference = integrateLoudness(power, 48_000) - integrateLoudness(power, 48_000, half);
    assertClose(difference, 6.0206, 1e-3, 'difference');
  });
});
