import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { BasicSoundBank, MIDIControllers, SoundBankLoader, SpessaLog, SpessaSynthProcessor } from 'spessasynth_core';

import type { Score } from '../../src/music/score.ts';
import { DattorroReverb } from '../../src/audio/dattorro-reverb.ts';
import { createRenderPool, RenderWorkerError, type RenderPool } from '../../src/audio/render-pool.ts';
import { defaultSoundfontPath, readSoundfont, SoundfontError } from '../../src/audio/soundfont.ts';
import { SAMPLE_RATE, type StereoAudio } from '../../src/audio/stereo-audio.ts';
import { scheduleScore } from '../../src/audio/synth-schedule.ts';
import { demoScore } from '../fixtures/demo-score.ts';

SpessaLog.infoEnabled = false;

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

function peak(audio: StereoAudio): number {
  let max = 0;
  for (const channel of [audio.left, audio.right]) for (const sample of channel) max = Math.max(max, Math.abs(sample));
  return max;
}

function sameSamples(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The piano line alone, dry, at the given pan. */
function pianoScore(pan: number): Score {
  const demo = demoScore({ bars: 2 });
  const melody = demo.tracks[0];
  assert.ok(melody);
  return { ...demo, tracks: [{ ...melody, mix: { ...melody.mix, pan, reverb: 0, chorus: 0 } }] };
}

describe('soundfont', () => {
  it('GIVEN no path THEN it reads the bundled MuseScore General Lite, an SF3 RIFF sfbk file', async () => {
    const soundfont = await readSoundfont();
    assert.equal(soundfont.path, defaultSoundfontPath());
    assert.match(soundfont.path, /@librescore[\\/]sf3[\\/]MuseScore_General_Lite\.sf3\.wasm$/);
    assert.equal(Buffer.from(soundfont.bytes.subarray(0, 4)).toString('latin1'), 'RIFF');
    assert.equal(Buffer.from(soundfont.bytes.subarray(8, 12)).toString('latin1'), 'sfbk');
  });

  it('GIVEN a missing file THEN it throws a SoundfontError naming the path', async () => {
    const path = join(tmpdir(), 'motif-no-such-soundfont.sf2');
    await assert.rejects(readSoundfont({ path }), (error: unknown) => {
      assert.ok(error instanceof SoundfontError);
      assert.equal(error.path, path);
      assert.match(error.message, /Cannot read the SoundFont/);
      assert.ok(error.cause instanceof Error);
      return true;
    });
  });

  it('GIVEN a file that is not a SoundFont THEN it throws a SoundfontError, and so does createRenderPool', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'motif-sf-'));
    try {
      const path = join(dir, 'fake.sf2');
      await writeFile(path, 'RIFF\0\0\0\0WAVEfmt not a soundfont');
      await assert.rejects(
        readSoundfont({ path }),
        (error: unknown) => error instanceof SoundfontError && error.path === path,
      );
      await assert.rejects(createRenderPool({ soundfontPath: path, workers: 1 }), SoundfontError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('synth schedule', () => {
  it('GIVEN drums and melodic tracks THEN drums get channel 9 and melodic tracks avoid it', () => {
    const demo = demoScore({ bars: 1 });
    const drums = demo.tracks[3];
    assert.ok(drums);
    const many: Score = { ...demo, tracks: [drums, ...Array.from({ length: 10 }, () => demo.tracks[0] ?? drums)] };
    const schedule = scheduleScore(many, SAMPLE_RATE);
    assert.deepEqual(
      schedule.channels.map((setup) => setup.channel),
      [9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10],
    );
    assert.equal(schedule.channels[0]?.drums, true);
    const first = schedule.events[0];
    assert.ok(first);
    assert.equal(first.frame, 0);
    for (let i = 1; i < schedule.events.length; i++) {
      assert.ok((schedule.events[i - 1]?.frame ?? 0) <= (schedule.events[i]?.frame ?? 0));
    }
  });
});

describe('DattorroReverb', () => {
  it('GIVEN the same notes THEN it adds exactly the samples of spessasynth_core’s built-in reverb', async () => {
    const soundfont = await readSoundfont();
    await BasicSoundBank.isSF3DecoderReady;
    const bank = SoundBankLoader.fromArrayBuffer(soundfont.bytes.slice().buffer);
    const renderWith = (reverb: DattorroReverb | undefined): StereoAudio => {
      const synth = new SpessaSynthProcessor(SAMPLE_RATE, {
        maxBufferSize: 256,
        effectsEnabled: true,
        eventsEnabled: false,
        ...(reverb === undefined ? {} : { reverbProcessor: reverb }),
      });
      synth.soundBankManager.addSoundBank(bank, 'main');
      synth.controllerChange(0, MIDIControllers.reverbDepth, 127);
      const left = new Float32Array(SAMPLE_RATE);
      const right = new Float32Array(SAMPLE_RATE);
      synth.noteOn(0, 60, 110);
      synth.noteOn(0, 67, 90);
      for (let frame = 0; frame < SAMPLE_RATE; frame += 256) {
        if (frame === 256 * 40) synth.noteOff(0, 60);
        synth.process(left, right, frame, Math.min(256, SAMPLE_RATE - frame));
      }
      return { sampleRate: SAMPLE_RATE, left, right };
    };
    const builtIn = renderWith(undefined);
    const ours = renderWith(new DattorroReverb(SAMPLE_RATE));
    assert.ok(rms(builtIn.left) > 0.01);
    assert.ok(sameSamples(builtIn.left, ours.left));
    assert.ok(sameSamples(builtIn.right, ours.right));
  });
});

describe('render pool (real SoundFont)', () => {
  let pool: RenderPool;
  before(async () => {
    pool = await createRenderPool({ workers: 2 });
  });
  after(async () => {
    await pool.close();
  });

  it('GIVEN piano, bass, chords and drums THEN the audio lasts ceil(seconds * 48000) frames, sounds, does not clip', async () => {
    const score = demoScore({ bars: 4, tempo: 97 });
    const audio = await pool.render(score);
    const expected = Math.ceil(((score.lengthBeats * 60) / score.tempo) * SAMPLE_RATE);
    assert.equal(expected, 475_052);
    assert.equal(audio.sampleRate, SAMPLE_RATE);
    assert.equal(audio.left.length, expected);
    assert.equal(audio.right.length, expected);
    assert.ok(rms(audio.left) > 0.02, `left RMS ${rms(audio.left)}`);
    assert.ok(rms(audio.right) > 0.02, `right RMS ${rms(audio.right)}`);
    assert.ok(peak(audio) < 1, `peak ${peak(audio)}`);
    assert.ok(!sameSamples(audio.left, audio.right));
    // Every second has sound in it: no track fell silent halfway.
    for (let second = 0; second + SAMPLE_RATE <= expected; second += SAMPLE_RATE) {
      assert.ok(rms(audio.left.subarray(second, second + SAMPLE_RATE)) > 0.01);
    }
  });

  it('GIVEN a track panned hard left or right THEN that channel is the louder one', async () => {
    // The piano's samples are stereo, so even hard panned the far side keeps some sound.
    const left = await pool.render(pianoScore(0));
    const right = await pool.render(pianoScore(127));
    assert.ok(rms(left.left) > 0.01 && rms(right.right) > 0.01);
    assert.ok(rms(left.left) > 1.8 * rms(left.right), `left ${rms(left.left)} right ${rms(left.right)}`);
    assert.ok(rms(right.right) > 1.8 * rms(right.left), `left ${rms(right.left)} right ${rms(right.right)}`);
  });

  it('GIVEN the same Score twice THEN the renders are identical to the sample', async () => {
    const score = demoScore({ bars: 2, tempo: 128 });
    const [first, second] = await Promise.all([pool.render(score), pool.render(score)]);
    const third = await pool.render(score);
    assert.ok(sameSamples(first.left, second.left) && sameSamples(first.right, second.right));
    assert.ok(sameSamples(first.left, third.left) && sameSamples(first.right, third.right));
  });

  it('GIVEN an aborted render THEN it rejects with the abort reason and the pool keeps rendering', async () => {
    const controller = new AbortController();
    const long = pool.render(demoScore({ bars: 60 }), controller.signal);
    setTimeout(() => {
      controller.abort();
    }, 50);
    await assert.rejects(long, { name: 'AbortError' });
    const already = AbortSignal.abort();
    await assert.rejects(pool.render(demoScore({ bars: 1 }), already), { name: 'AbortError' });
    const audio = await pool.render(demoScore({ bars: 1 }));
    assert.equal(audio.left.length, 2 * SAMPLE_RATE);
  });

  it('GIVEN many sequential renders THEN each one is right, and close() ends the pool', async () => {
    const local = await createRenderPool({ workers: 1 });
    for (let i = 0; i < 12; i++) {
      const audio = await local.render(demoScore({ bars: 1, tempo: 100 + i }));
      assert.equal(audio.left.length, Math.ceil((4 * 60 * SAMPLE_RATE) / (100 + i)));
      assert.ok(rms(audio.left) > 0.01);
    }
    const pending = assert.rejects(local.render(demoScore({ bars: 30 })), RenderWorkerError);
    await local.close();
    await pending;
    await assert.rejects(local.render(demoScore({ bars: 1 })), RenderWorkerError);
  });
});

describe('render pool worker failures', () => {
  it('GIVEN a worker that crashes THEN that job rejects, and a replacement worker renders the next', async () => {
    await using pool = await createRenderPool({
      workers: 1,
      workerUrl: new URL('../fixtures/crashing-render-worker.ts', import.meta.url),
    });
    assert.equal(pool.size, 1);
    const crash = { ...demoScore({ bars: 1 }), title: 'crash' };
    await assert.rejects(pool.render(crash), (error: unknown) => {
      assert.ok(error instanceof RenderWorkerError);
      assert.match(error.message, /boom/);
      return true;
    });
    const audio = await pool.render(demoScore({ bars: 1 }));
    assert.equal(audio.left.length, SAMPLE_RATE);
    await assert.rejects(pool.render(crash), RenderWorkerError);
    assert.equal((await pool.render(demoScore({ bars: 1 }))).right.length, SAMPLE_RATE);
  });
});
