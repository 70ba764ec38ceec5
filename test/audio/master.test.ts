import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { measureIntegratedLoudness } from '../../src/audio/loudness.ts';
import { master } from '../../src/audio/master.ts';
import type { StereoAudio } from '../../src/audio/stereo-audio.ts';
import { measureTruePeak } from '../../src/audio/true-peak.ts';
import { musicLike, rms, sine } from './test-signals.ts';

function assertMastered(input: StereoAudio): void {
  const { audio, report } = master(input);
  const lufs = measureIntegratedLoudness(audio);
  const truePeak = measureTruePeak(audio);
  assert.ok(Math.abs(lufs + 16) <= 0.5, `output reads ${lufs} LUFS`);
  assert.ok(truePeak <= -1, `output true peak ${truePeak} dBTP`);
  assert.ok(Math.abs(report.outputLufs - lufs) < 1e-6, `report says ${report.outputLufs} LUFS, measured ${lufs}`);
  assert.ok(Math.abs(report.truePeakDbtp - truePeak) < 1e-3, `report says ${report.truePeakDbtp} dBTP`);
  assert.equal(audio.left.length, input.left.length);
  assert.equal(audio.right.length, input.right.length);
}

describe('master', () => {
  it('GIVEN a loud mix (about -6 LUFS) THEN it lands at -16 LUFS and at most -1 dBTP', () => {
    const input = musicLike(6, 2.7);
    assert.ok(measureIntegratedLoudness(input) > -8);
    assertMastered(input);
  });

  it('GIVEN a quiet mix with transients (about -36 LUFS) THEN it lands at -16 LUFS and at most -1 dBTP', () => {
    const input = musicLike(6, 0.08);
    assert.ok(measureIntegratedLoudness(input) < -30);
    const { report } = master(input);
    assert.ok(report.gainDb > 20, `gain ${report.gainDb} dB`);
    assertMastered(input);
  });

  it('GIVEN a steady sine at 0 dBFS THEN it is turned down, and no limiting is needed', () => {
    assertMastered(sine(440, 4, { left: 1, right: 1 }));
  });

  it('GIVEN an odd length THEN the output has exactly that length', () => {
    const input = musicLike(0, 0.3, 48_000 * 3 + 17);
    const { audio } = master(input);
    assert.equal(audio.left.length, 48_000 * 3 + 17);
    assert.equal(audio.right.length, 48_000 * 3 + 17);
    assert.equal(audio.sampleRate, 48_000);
  });

  it('GIVEN default fades THEN the clip starts and ends at zero and the ends are quiet', () => {
    const { audio } = master(sine(440, 3, { left: 0.5, right: 0.5 }));
    const length = audio.left.length;
    assert.equal(Math.abs(audio.left[0] ?? 1), 0);
    assert.equal(Math.abs(audio.right[length - 1] ?? 1), 0);
    const body = rms(audio.left, length / 2, length / 2 + 4800);
    assert.ok(rms(audio.left, 0, 48) < body / 20, 'first millisecond');
    assert.ok(rms(audio.left, length - 480, length) < body / 20, 'last 10 ms');
    // 300 ms fade out: 150 ms before the end the gain is one half.
    const atHalf = rms(audio.left, length - 7200 - 240, length - 7200 + 240);
    assert.ok(Math.abs(atHalf / body - 0.5) < 0.05, `half-way through the fade: ${atHalf / body}`);
  });

  it('GIVEN custom fades THEN they are used', () => {
    const { audio } = master(sine(440, 3, { left: 0.5, right: 0.5 }), { fadeInMs: 0, fadeOutMs: 0 });
    const body = rms(audio.left, 48_000, 48_000 + 4800);
    assert.ok(rms(audio.left, 0, 480) > body * 0.9, 'no fade in');
    assert.ok(rms(audio.left, audio.left.length - 480) > body * 0.9, 'no fade out');
  });

  it('GIVEN silence THEN the output is silence with no NaN and no gain', () => {
    const { audio, report } = master(sine(440, 2, { left: 0, right: 0 }));
    assert.ok(audio.left.every((value) => value === 0) && audio.right.every((value) => value === 0));
    assert.equal(report.gainDb, 0);
    assert.equal(report.inputLufs, -Infinity);
    assert.equal(report.outputLufs, -Infinity);
    assert.equal(report.truePeakDbtp, -Infinity);
  });

  it('GIVEN a near-silent clip THEN the gain stops at +30 dB', () => {
    const { report } = master(sine(997, 3, { left: 0.001, right: 0.001 }));
    assert.equal(report.gainDb, 30);
    assert.ok(Math.abs(report.outputLufs - (report.inputLufs + 30)) < 0.2, `output ${report.outputLufs} LUFS`);
  });

  it('GIVEN a clip shorter than the fades THEN it is mastered without error', () => {
    const { audio, report } = master(sine(440, 0.1, { left: 0.5, right: 0.5 }));
    assert.equal(audio.left.length, 4800);
    assert.ok(Number.isFinite(report.outputLufs) && audio.left.every(Number.isFinite));
  });

  it('GIVEN a burst far over the ceiling THEN the gain changes smoothly (a limiter, not a clipper)', () => {
    const input = sine(220, 4, { left: 0.05, right: 0.05 });
    for (let n = 96_000; n < 100_800; n++) {
      input.left[n] = (input.left[n] ?? 0) * 20;
      input.right[n] = (input.right[n] ?? 0) * 20;
    }
    const { audio } = master(input, { fadeInMs: 0, fadeOutMs: 0 });
    assert.ok(measureTruePeak(audio) <= -1);
    // Gain = output / input where the input is not near a zero crossing; it must not jump.
    let previous: number | null = null;
    let largestStep = 0;
    for (let n = 0; n < audio.left.length; n++) {
      const x = input.left[n] ?? 0;
      const gain = Math.abs(x) > 0.02 ? (audio.left[n] ?? 0) / x : null;
      if (gain !== null && previous !== null) largestStep = Math.max(largestStep, Math.abs(gain - previous));
      previous = Math.abs(x) > 0.02 ? gain : null;
    }
    const steadyGain = Math.abs((audio.left[40_000] ?? 0) / (input.left[40_000] ?? 1));
    assert.ok(largestStep < steadyGain * 0.05, `gain jumped by ${largestStep} (steady gain ${steadyGain})`);
  });

  it('GIVEN an input THEN it is not modified', () => {
    const input = musicLike(2, 1);
    const copy = input.left.slice();
    master(input);
    assert.deepEqual(input.left, copy);
  });
});
