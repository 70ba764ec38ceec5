import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StereoAudio } from '../../src/audio/stereo-audio.ts';
import {
  measureGainedTruePeak,
  measureSamplePeak,
  measureTruePeak,
  measureTruePeakEnvelope,
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

describe('measureGainedTruePeak', () => {
  it('GIVEN a gain curve with ramps and steps THEN equals the true peak of the scaled audio', () => {
    const audio = musicLike(3, 0.9);
    const length = audio.left.length;
    const gain = new Float32Array(length);
    for (let n = 0; n < length; n++)
      gain[n] = n < length / 3 ? 0.5 : n < length / 2 ? 0.5 + (n - length / 3) / length : 0.3;
    const scaled: StereoAudio = {
      sampleRate: audio.sampleRate,
      left: audio.left.map((value, n) => value * (gain[n] ?? 0)),
      right: audio.right.map((value, n) => value * (gain[n] ?? 0)),
    };
    const expected = measureTruePeak(scaled);
    assertClose(measureGainedTruePeak(audio, gain, measureTruePeakEnvelope(audio)), expected, 1e-4, 'true peak');
  });
});
