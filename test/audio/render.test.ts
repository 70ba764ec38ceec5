import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { SoundBankLoader, SpessaLog, SpessaSynthProcessor } from 'spessasynth_core';

import type { Score } from '../../src/music/score.ts';
import { FdnReverb } from '../../src/audio/fdn-reverb.ts';
import { createRenderPool, RenderWorkerError, type RenderPool } from '../../src/audio/render-pool.ts';
import { renderClipInWorker } from '../../src/audio/clip-renderer.ts';
import type { RenderedClip } from '../../src/audio/rendered-clip.ts';
import { createSharedSampleBuffers, sharedSampleBytes } from '../../src/audio/shared-samples.ts';
import {
  parseSharingCompressedData,
  parseStreamedSoundBank,
  parseWhole,
  shareCompressedData,
} from '../../src/audio/sound-bank.ts';
import { defaultSoundfontPath, openPoolSoundfont, readSoundfont, SoundfontError } from '../../src/audio/soundfont.ts';
import { indexCompressedSamples, SAMPLE_HEADER_BYTES, findSampleChunks } from '../../src/audio/soundfont-index.ts';
import { AudioScratch, SAMPLE_RATE, type StereoAudio } from '../../src/audio/stereo-audio.ts';
import { scheduleScore } from '../../src/audio/synth-schedule.ts';
import { Synthesizer } from '../../src/audio/synthesizer.ts';
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

/** Feeds `input` through `reverb` in blocks of `block` frames, the way spessasynth_core calls it. */
function runReverb(reverb: FdnReverb, input: Float32Array, block = 128): StereoAudio {
  const left = new Float32Array(input.length);
  const right = new Float32Array(input.length);
  for (let frame = 0; frame < input.length; frame += block) {
    const count = Math.min(block, input.length - frame);
    reverb.process(input.subarray(frame, frame + count), left, right, frame, count);
  }
  return { sampleRate: SAMPLE_RATE, left, right };
}

function impulse(seconds: number): Float32Array {
  const input = new Float32Array(Math.round(seconds * SAMPLE_RATE));
  input[0] = 1;
  return input;
}

function whiteNoise(seconds: number, amplitude: number, offset = 0): Float32Array {
  let seed = 12345;
  return Float32Array.from({ length: Math.round(seconds * SAMPLE_RATE) }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return offset + amplitude * (2 * (seed / 2 ** 32) - 1);
  });
}

function energy(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return sum;
}

/** Broadband RT60 from the Schroeder backward integral: the -5 to -25 dB slope, extrapolated to 60 dB. */
function measuredRt60(samples: Float32Array): number {
  const remaining = new Float64Array(samples.length);
  let sum = 0;
  for (let i = samples.length - 1; i >= 0; i--) {
    sum += (samples[i] ?? 0) ** 2;
    remaining[i] = sum;
  }
  const level = (i: number): number => 10 * Math.log10((remaining[i] ?? 0) / sum);
  let at5 = 0;
  while (level(at5) > -5) at5++;
  let at25 = at5;
  while (at25 < samples.length - 1 && level(at25) > -25) at25++;
  return (3 * (at25 - at5)) / SAMPLE_RATE;
}

function correlation(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  for (let i = 0; i < a.length; i++) ab += (a[i] ?? 0) * (b[i] ?? 0);
  return ab / Math.sqrt(energy(a) * energy(b));
}

describe('FdnReverb', () => {
  it('GIVEN spessasynth_core THEN it uses our reverb with the GS defaults (Hall 2, time 64, level 64)', () => {
    const reverb = new FdnReverb(SAMPLE_RATE);
    const synth = new SpessaSynthProcessor(SAMPLE_RATE, { effectsEnabled: true, reverbProcessor: reverb });
    assert.equal(synth.reverbProcessor, reverb);
    assert.deepEqual(reverb.getSnapshot(), {
      character: 4,
      time: 64,
      level: 64,
      preLowpass: 0,
      preDelayTime: 0,
      delayFeedback: 0,
    });
  });

  it('GIVEN an impulse THEN the 2 s tail decays smoothly, by the RT60 that the default setting asks for', () => {
    const reverb = new FdnReverb(SAMPLE_RATE);
    const ir = runReverb(reverb, impulse(2));
    const tenth = SAMPLE_RATE / 10;
    for (const channel of [ir.left, ir.right]) {
      const first = energy(channel.subarray(0, tenth));
      const last = energy(channel.subarray(channel.length - tenth));
      assert.ok(first > 0);
      assert.ok(10 * Math.log10(first / last) > 40, `first/last 100 ms ${10 * Math.log10(first / last)} dB`);
      // Highs die faster than lows, so the broadband decay is somewhat shorter than the low-frequency RT60.
      const rt60 = measuredRt60(channel);
      assert.ok(rt60 > 0.7 * reverb.rt60 && rt60 < 1.05 * reverb.rt60, `RT60 ${rt60} s for ${reverb.rt60} s`);
      // Every 100 ms after the build-up holds less energy than the one before: no late echo or ringing.
      for (let at = 2 * tenth; at + 2 * tenth <= channel.length; at += tenth) {
        assert.ok(energy(channel.subarray(at + tenth, at + 2 * tenth)) < energy(channel.subarray(at, at + tenth)));
      }
    }
    assert.ok(reverb.rt60 > 1.5 && reverb.rt60 < 3, `default RT60 ${reverb.rt60} s`);
  });

  it('GIVEN a higher reverb time or a hall rather than a room THEN the tail lasts longer', () => {
    const tail = (character: number, time: number): number => {
      const reverb = new FdnReverb(SAMPLE_RATE);
      reverb.character = character;
      reverb.time = time;
      return measuredRt60(runReverb(reverb, impulse(6)).left);
    };
    assert.ok(tail(4, 32) < tail(4, 64) && tail(4, 64) < tail(4, 96));
    assert.ok(tail(0, 64) < tail(3, 64));
  });

  it('GIVEN an impulse THEN left and right differ and are decorrelated', () => {
    const ir = runReverb(new FdnReverb(SAMPLE_RATE), impulse(2));
    assert.ok(!sameSamples(ir.left, ir.right));
    const r = correlation(ir.left, ir.right);
    assert.ok(Math.abs(r) < 0.5, `correlation ${r}`);
  });

  it('GIVEN 20 s of white noise with a DC offset THEN the output stays bounded and holds no DC', () => {
    const reverb = new FdnReverb(SAMPLE_RATE);
    reverb.time = 127;
    const out = runReverb(reverb, whiteNoise(20, 0.25, 0.1), 256);
    assert.ok(peak(out) < 1, `peak ${peak(out)}`);
    const second = SAMPLE_RATE;
    for (const channel of [out.left, out.right]) {
      assert.ok(channel.every(Number.isFinite));
      const early = rms(channel.subarray(5 * second, 10 * second));
      const late = rms(channel.subarray(15 * second, 20 * second));
      assert.ok(early > 0.01 && late < 1.2 * early, `RMS 5-10 s ${early}, 15-20 s ${late}`);
      let mean = 0;
      for (const sample of channel.subarray(19 * second)) mean += sample / second;
      assert.ok(Math.abs(mean) < 0.01 * late, `mean ${mean}, RMS ${late}`);
    }
  });

  it('GIVEN silence THEN it adds nothing, and a tail ends in exact silence', () => {
    const quiet = runReverb(new FdnReverb(SAMPLE_RATE), new Float32Array(SAMPLE_RATE));
    assert.ok(quiet.left.every((sample) => sample === 0) && quiet.right.every((sample) => sample === 0));
    const tail = runReverb(new FdnReverb(SAMPLE_RATE), impulse(12));
    const lastSecond = tail.left.subarray(11 * SAMPLE_RATE);
    assert.ok(lastSecond.every((sample) => sample === 0));
    assert.ok(rms(tail.left.subarray(0, SAMPLE_RATE)) > 0);
  });

  it('GIVEN the same input THEN the output is identical, whatever the block size', () => {
    const input = whiteNoise(1, 0.3);
    input.fill(0, SAMPLE_RATE / 2);
    const first = runReverb(new FdnReverb(SAMPLE_RATE), input, 128);
    const again = runReverb(new FdnReverb(SAMPLE_RATE), input, 128);
    const odd = runReverb(new FdnReverb(SAMPLE_RATE), input, 77);
    // Longer than a processing chunk and than the shortest delay line: processed in pieces, to the same samples.
    const long = runReverb(new FdnReverb(SAMPLE_RATE), input, 4800);
    assert.ok(sameSamples(first.left, again.left) && sameSamples(first.right, again.right));
    assert.ok(sameSamples(first.left, odd.left) && sameSamples(first.right, odd.right));
    assert.ok(sameSamples(first.left, long.left) && sameSamples(first.right, long.right));
    const smallRoom = (block: number): StereoAudio => {
      const reverb = new FdnReverb(SAMPLE_RATE);
      reverb.character = 0; // Room 1: the shortest lines (about 700 samples)
      return runReverb(reverb, input, block);
    };
    const [small, smallLong] = [smallRoom(128), smallRoom(4800)];
    assert.ok(sameSamples(small.left, smallLong.left) && sameSamples(small.right, smallLong.right));
  });

  it('GIVEN level 0 or a delay character THEN it is silent or falls back to Room 1', () => {
    const muted = new FdnReverb(SAMPLE_RATE);
    muted.level = 0;
    assert.equal(peak(runReverb(muted, impulse(0.5))), 0);
    const room = new FdnReverb(SAMPLE_RATE);
    room.character = 0;
    const delay = new FdnReverb(SAMPLE_RATE);
    delay.character = 6;
    assert.equal(delay.getSnapshot().character, 6);
    const a = runReverb(room, impulse(0.5));
    const b = runReverb(delay, impulse(0.5));
    assert.ok(sameSamples(a.left, b.left) && sameSamples(a.right, b.right));
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

/** One GM program over most of the keyboard at four velocities, so it reaches many of the program's samples. */
function programScore(program: number): Score {
  const notes = Array.from({ length: 80 }, (_, i) => ({
    pitch: 28 + i,
    start: i / 8,
    duration: 0.5,
    velocity: [30, 70, 105, 127][i % 4] ?? 100,
  }));
  const track = {
    name: 'Keys',
    role: 'melody',
    instrument: { program, name: `GM ${program}` },
    mix: { volume: 100, pan: 64, reverb: 40, chorus: 0 },
    notes,
  } as const;
  return { ...demoScore({ bars: 1 }), title: `program ${program}`, tempo: 240, lengthBeats: 11, tracks: [track] };
}

describe('shared decoded samples', () => {
  it('GIVEN the bundled SF3 THEN every compressed sample is found in the file bytes and read from there', async () => {
    const { bytes } = await readSoundfont({ shared: true });
    const soundBank = SoundBankLoader.fromArrayBuffer(bytes.buffer as ArrayBuffer);
    assert.ok(bytes.buffer instanceof SharedArrayBuffer);
    assert.ok(soundBank.samples.length > 1000);
    assert.equal(shareCompressedData(soundBank, bytes), soundBank.samples.length);
    const first = soundBank.samples[0]?.getRawData(true);
    assert.ok(first !== undefined && first.buffer === bytes.buffer);
  });

  it('GIVEN the bundled SF3 THEN the parse without the sample data gives the same samples, read from the file bytes', async () => {
    const { bytes } = await readSoundfont({ shared: true });
    const whole = SoundBankLoader.fromArrayBuffer(bytes.buffer as ArrayBuffer);
    const skeleton = parseSharingCompressedData(bytes);
    assert.ok(skeleton !== undefined);
    assert.equal(skeleton.samples.length, whole.samples.length);
    assert.equal(skeleton.presets.length, whole.presets.length);
    assert.equal(skeleton.instruments.length, whole.instruments.length);
    for (const [index, sample] of skeleton.samples.entries()) {
      const expected = whole.samples[index];
      assert.ok(expected !== undefined);
      assert.deepEqual(
        [
          sample.name,
          sample.sampleRate,
          sample.loopStart,
          sample.loopEnd,
          sample.sampleType,
          sample.linkedSample?.name,
        ],
        [
          expected.name,
          expected.sampleRate,
          expected.loopStart,
          expected.loopEnd,
          expected.sampleType,
          expected.linkedSample?.name,
        ],
      );
      const stream = sample.getRawData(true);
      assert.equal(stream.buffer, bytes.buffer);
      assert.ok(Buffer.from(stream).equals(expected.getRawData(true)), `sample ${index}`);
    }
  });

  it('GIVEN the bundled SF3 opened for a pool THEN only its index is read: the same skeleton and streams as from the bytes in memory', async () => {
    const { bytes } = await readSoundfont();
    const opened = await openPoolSoundfont();
    const close = async (): Promise<void> => {
      if (opened.kind === 'streamed') await opened.file.close();
    };
    try {
      assert.ok(opened.kind === 'streamed', `opened ${opened.kind}`);
      const inMemory = indexCompressedSamples((at, length) => bytes.subarray(at, at + length), bytes.byteLength);
      assert.ok(inMemory !== undefined);
      assert.ok(opened.index.skeleton.byteLength < 1_000_000, `${opened.index.skeleton.byteLength} bytes`);
      assert.ok(Buffer.from(opened.index.skeleton).equals(inMemory.skeleton));
      assert.deepEqual([...opened.index.streams], [...inMemory.streams]);
      assert.equal(
        opened.index.streams.length,
        2 * SoundBankLoader.fromArrayBuffer(bytes.buffer as ArrayBuffer).samples.length,
      );
    } finally {
      await close();
    }
  });

  it('GIVEN a streamed parse THEN it reads no stream until a render, then only those of the samples played, and renders as the whole file does', async () => {
    const { bytes } = await readSoundfont();
    const index = indexCompressedSamples((at, length) => bytes.subarray(at, at + length), bytes.byteLength);
    assert.ok(index !== undefined);
    const reads: number[] = [];
    const readStream = (start: number, end: number): Uint8Array => {
      reads.push(start);
      return bytes.slice(start, end);
    };
    const bank = parseStreamedSoundBank(index, readStream);
    assert.ok(bank !== undefined);
    assert.equal(bank.samples.length, parseWhole(bytes).samples.length);
    assert.deepEqual(reads, []);

    const score = demoScore({ bars: 2, tempo: 112 });
    const expected = (await Synthesizer.load(bytes)).render(score);
    const streamed = (await Synthesizer.loadStreamed(index, readStream)).render(score);
    assert.ok(sameSamples(streamed.left, expected.left) && sameSamples(streamed.right, expected.right));
    assert.ok(reads.length > 0 && reads.length < 100, `${reads.length} streams read`);
    assert.equal(new Set(reads).size, reads.length, 'a stream is read once');

    // With shared samples, a second Synthesizer adopts the decoded copies and reads nothing.
    const buffers = createSharedSampleBuffers();
    (await Synthesizer.loadStreamed(index, readStream, { sharedSamples: buffers })).render(score);
    const readsBefore = reads.length;
    const second = (await Synthesizer.loadStreamed(index, readStream, { sharedSamples: buffers })).render(score);
    assert.equal(reads.length, readsBefore);
    assert.ok(sameSamples(second.left, expected.left) && sameSamples(second.right, expected.right));
  });

  it('GIVEN an SF3 with a sample stored as PCM THEN the pool reads it whole and renders from it', async () => {
    const { bytes } = await readSoundfont({ path: join(defaultSoundfontPath(), '..', 'TimGM6mb.sf3.wasm') });
    const chunks = findSampleChunks((at, length) => bytes.subarray(at, at + length), bytes.byteLength);
    assert.ok(chunks !== undefined);
    // The last real sample (the one before the EOS header) loses its compressed flag.
    const copy = bytes.slice();
    const flagAt = chunks.shdr.offset + (chunks.shdr.length / SAMPLE_HEADER_BYTES - 2) * SAMPLE_HEADER_BYTES + 44;
    copy[flagAt] = (copy[flagAt] ?? 0) & ~0x10;
    const dir = await mkdtemp(join(tmpdir(), 'motif-sf-'));
    try {
      const path = join(dir, 'mixed.sf3');
      await writeFile(path, copy);
      const opened = await openPoolSoundfont(path);
      assert.equal(opened.kind, 'whole');
      const score = demoScore({ bars: 1, tempo: 120 });
      const expected = (await Synthesizer.load(copy)).render(score);
      await using pool = await createRenderPool({ soundfontPath: path, workers: 1 });
      const audio = await pool.render(score);
      assert.ok(rms(audio.left) > 0.001);
      assert.ok(sameSamples(audio.left, expected.left) && sameSamples(audio.right, expected.right));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('GIVEN two Synthesizers on one set of shared samples THEN the second decodes nothing and both render byte for byte as an unshared one', async () => {
    const { bytes } = await readSoundfont();
    const score = demoScore({ bars: 2, tempo: 112 });
    const unshared = (await Synthesizer.load(bytes)).render(score);
    const buffers = createSharedSampleBuffers();
    const first = (await Synthesizer.load(bytes, { sharedSamples: buffers })).render(score);
    const decoded = sharedSampleBytes(buffers);
    assert.ok(decoded > 1_000_000, `${decoded} bytes decoded`);
    const second = (await Synthesizer.load(bytes, { sharedSamples: buffers })).render(score);
    assert.equal(sharedSampleBytes(buffers), decoded);
    for (const audio of [first, second]) {
      assert.ok(sameSamples(audio.left, unshared.left) && sameSamples(audio.right, unshared.right));
    }
  });

  it('GIVEN a 2-worker pool THEN both workers render a Score byte for byte as a single unshared Synthesizer does', async () => {
    const { bytes } = await readSoundfont();
    const score = { ...demoScore({ bars: 2, tempo: 131 }), title: 'shared' };
    const expected = (await Synthesizer.load(bytes)).render(score);
    await using pool = await createRenderPool({ workers: 2 });
    const decodedAtStart = pool.decodedSampleBytes;
    assert.equal(decodedAtStart, 0);
    // Started together: one job per worker, both wanting the same samples at once.
    const renders = await Promise.all([pool.render(score), pool.render(score)]);
    renders.push(await pool.render(score));
    assert.ok(pool.decodedSampleBytes > 1_000_000);
    for (const audio of renders) {
      assert.ok(sameSamples(audio.left, expected.left) && sameSamples(audio.right, expected.right));
    }
  });

  it('GIVEN 12 programs, each rendered by one worker THEN the other worker renders them without decoding again: RSS stays flat', async () => {
    await using pool = await createRenderPool({ workers: 2 });
    const pairs = [
      [0, 4],
      [11, 19],
      [24, 33],
      [40, 48],
      [56, 65],
      [73, 81],
    ].map(([a = 0, b = 0]) => [programScore(a), programScore(b)] as const);
    const renderPairs = async (swap: boolean): Promise<void> => {
      for (const [a, b] of pairs) {
        // Two jobs on two idle workers: the first goes to the first worker, the second to the second.
        await Promise.all(swap ? [pool.render(b), pool.render(a)] : [pool.render(a), pool.render(b)]);
      }
    };
    await renderPairs(false);
    const decoded = pool.decodedSampleBytes;
    const rss = process.memoryUsage().rss;
    // Each worker now plays what the other decoded. Unshared, each would decode and keep it again: +decoded.
    await renderPairs(true);
    const growth = process.memoryUsage().rss - rss;
    assert.equal(pool.decodedSampleBytes, decoded);
    assert.ok(decoded > 40_000_000, `${decoded} bytes decoded`);
    assert.ok(growth < 0.25 * decoded, `RSS grew ${growth} bytes; decoded samples ${decoded} bytes`);
  });
});

/** Everything of a clip that must not depend on what the worker rendered before (timings do). */
function clipBytes(clip: RenderedClip): unknown {
  const report = Object.fromEntries(Object.entries(clip.report).filter(([key]) => key !== 'timings'));
  return { ogg: Buffer.from(clip.ogg), mid: Buffer.from(clip.mid), png: Buffer.from(clip.png), report };
}

describe('reused audio buffers', () => {
  // A long clip, a shorter one in the same (larger) buffers, then a longer one that makes them grow.
  const scores = [
    { ...demoScore({ bars: 4, tempo: 100 }), title: 'long' },
    { ...programScore(48), title: 'short' },
    { ...demoScore({ bars: 6, tempo: 90 }), title: 'longer' },
  ];

  it('GIVEN clips rendered back to back with one scratch THEN each is byte for byte the clip made without it', async () => {
    const { bytes } = await readSoundfont();
    const synthesizer = await Synthesizer.load(bytes);
    const scratch = new AudioScratch();
    const reused = scores.map((score) => clipBytes(renderClipInWorker(synthesizer, score, {}, () => false, scratch)));
    assert.ok(scratch.byteLength > 0);
    for (const [index, score] of scores.entries()) {
      const fresh = clipBytes(renderClipInWorker(synthesizer, score, {}, () => false));
      assert.deepEqual(reused[index], fresh, score.title);
    }
  });

  it('GIVEN a long clip then much shorter ones THEN the scratch lets the long buffers go and reuses close sizes', () => {
    const scratch = new AudioScratch();
    const long = scratch.take('a', 1000);
    assert.equal(scratch.byteLength, 4000);
    const close = scratch.take('a', 600);
    assert.equal(close.buffer, long.buffer, 'more than half of the buffer: reused');
    const short = scratch.take('a', 400);
    assert.notEqual(short.buffer, long.buffer);
    assert.equal(scratch.byteLength, 1600, 'less than half: replaced by a buffer of that length');
    assert.equal(scratch.zeroed('b', 3).join(','), '0,0,0');
  });

  it('GIVEN two different clips back to back in one worker THEN each is byte for byte the clip a fresh worker makes', async () => {
    const reused: unknown[] = [];
    {
      await using pool = await createRenderPool({ workers: 1 });
      for (const score of scores) reused.push(clipBytes(await pool.renderClip(score)));
    }
    for (const [index, score] of scores.entries()) {
      await using fresh = await createRenderPool({ workers: 1 });
      assert.deepEqual(reused[index], clipBytes(await fresh.renderClip(score)), score.title);
    }
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
