import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StereoAudio } from '../../src/audio/stereo-audio.ts';
import {
  measureSamplePeak,
  measureTruePeak,
  measureTruePeakEnvelope,
  TruePeakEnvelope,
} from '../../src/audio/true-peak.ts';
import { musicLike, sine } from './test-signals.ts';

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

describe('measureTruePeak and measureSamplePeak', () => {
  it('GIVEN a sine at fs/4 with 45° phase THEN the true peak is the waveform peak, 3 dB over the samples', () => {
    const audio = sine(12_000, 1, { left: 0.5, right: 0.5 }, { phase: Math.PI / 4 });
    const samplePeak = measureSamplePeak(audio);
    const truePeak = measureTruePeak(audio);
    assertClose(samplePeak, -9.03, 0.01, 'sample peak');
    assert.ok(truePeak > samplePeak + 2.5, `true peak ${truePeak} vs sample peak ${samplePeak}`);
    assertClose(truePeak, -6.02, 0.2, 'true peak');
  });

  it('GIVEN a -6 dBFS 997 Hz sine THEN both peaks read -6 dB', () => {
    const audio = sine(997, 1, { left: 0.5, right: 0.25 });
    assertClose(measureTruePeak(audio), -6.02, 0.05, 'true peak');
    assertClose(measureSamplePeak(audio), -6.02, 0.01, 'sample peak');
  });

  it('GIVEN silence THEN both read -Infinity', () => {
    const audio = sine(997, 1, { left: 0, right: 0 });
    assert.equal(measureTruePeak(audio), -Infinity);
    assert.equal(measureSamplePeak(audio), -Infinity);
  });
});

function envelopePeak(audio: StereoAudio): number {
  let peak = 0;
  for (const value of measureTruePeakEnvelope(audio)) peak = Math.max(peak, value);
  return 20 * Math.log10(peak);
}

describe('measureTruePeak skips blocks that cannot hold the peak', () => {
  it('GIVEN music with transients THEN it equals the peak of the fully oversampled envelope', () => {
    const audio = musicLike(3, 0.9);
    // The envelope is stored as float32: equal to its rounding.
    assertClose(measureTruePeak(audio), envelopePeak(audio), 1e-5, 'true peak');
  });

  it('GIVEN one inter-sample peak in a quiet clip THEN it is found exactly', () => {
    const audio = sine(997, 2, { left: 0.01, right: 0.01 });
    // A fs/4 burst at 45 degrees: samples at 0.5, waveform peak at 0.707 between them.
    for (let n = 50_000; n < 50_064; n++) audio.right[n] = 0.5 * Math.SQRT2 * Math.sin((Math.PI / 2) * n + Math.PI / 4);
    const truePeak = measureTruePeak(audio);
    assertClose(truePeak, envelopePeak(audio), 1e-5, 'true peak');
    assert.ok(truePeak > measureSamplePeak(audio) + 2.5, `true peak ${truePeak}`);
  });
});

describe('TruePeakEnvelope', () => {
  it('GIVEN a level THEN every value over it is exact and none of the rest reads over it', () => {
    const audio = musicLike(3, 0.9);
    const full = measureTruePeakEnvelope(audio);
    const lazy = new TruePeakEnvelope(audio);
    for (const level of [0.8, 0.4, 0.1]) {
      const values = lazy.above(level);
      let exact = 0;
      for (let n = 0; n < full.length; n++) {
        const expected = full[n] ?? 0;
        const actual = values[n] ?? 0;
        if (expected > level) {
          assert.equal(actual, expected, `sample ${n} at level ${level}`);
          exact++;
        } else {
          assert.ok(actual <= level && actual <= expected, `sample ${n} reads ${actual} at level ${level}`);
        }
      }
      assert.ok(exact > 0, `no samples over ${level}`);
    }
  });
});
