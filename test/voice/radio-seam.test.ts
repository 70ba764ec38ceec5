/**
 * The radio's hand-overs: a radio segment is rendered without the mastering's 300 ms fade-out (and with the
 * shortest fade-in), so that segments spliced into one Ogg Opus stream join without an audible dip. Measured on
 * the decoded stream: the loudness of the 100 ms around each hand-over against the 100 ms before the fade would begin.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { ClipOptions } from '../../src/audio/clip-renderer.ts';
import { readOggPages } from '../../src/audio/read-ogg-pages.ts';
import { createRenderPool, type RenderPool } from '../../src/audio/render-pool.ts';
import { SEAMLESS_CLIP } from '../../src/inference/clip-job.ts';
import { prepareJobRequest } from '../../src/inference/job-request.ts';
import { DEFAULT_SAMPLING } from '../../src/inference/sampler.ts';
import { STYLE_NAMES } from '../../src/music/styles.ts';
import { OggOpusChain } from '../../src/voice/ogg-opus-chain.ts';
import { radioFirstRequest } from '../../src/voice/voice-controls.ts';
import { demoScore } from '../fixtures/demo-score.ts';

const RATE = 48_000;
const CONTEXT = { modelStyles: STYLE_NAMES, sampling: DEFAULT_SAMPLING };

describe('radio segments are rendered to join without a dip', () => {
  test('GIVEN the radio’s first request THEN it asks for a seamless render with no closing bar, and a stored seamless request prepares one', () => {
    const first = radioFirstRequest('lofi', undefined, 4, 1);
    assert.ok(first.ok);
    assert.equal(first.value.seamless, true);
    const stored: unknown = JSON.parse(JSON.stringify(first.value));
    const prepared = prepareJobRequest(stored, CONTEXT);
    assert.ok(prepared.ok, prepared.ok ? '' : prepared.error);
    assert.deepEqual(prepared.value.clip, { fadeInMs: 1, fadeOutMs: 0 });
    assert.equal(prepared.value.generate.ends, false, 'the next segment goes on: the model is not told it ends');

    const plain = prepareJobRequest({ ...first.value, seamless: undefined }, CONTEXT);
    assert.ok(plain.ok);
    assert.equal(plain.value.clip, undefined, 'an ordinary clip keeps the service’s fades');
    assert.notEqual(plain.value.generate.ends, false, 'an ordinary clip ends at its last bar');
    const wrong = prepareJobRequest({ ...first.value, seamless: 'yes' }, CONTEXT);
    assert.ok(!wrong.ok);
    assert.match(wrong.error, /seamless must be true or false/);
  });

  describe('decoded', () => {
    let pool: RenderPool;
    let dir: string;

    before(async () => {
      pool = await createRenderPool({ workers: 1 });
      dir = await mkdtemp(join(tmpdir(), 'motif-seam-'));
    });
    after(async () => {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    });

    /** Three 2-bar segments spliced as the radio splices them, decoded; the hand-overs' sample positions. */
    const spliced = async (
      options: ClipOptions | undefined,
      name: string,
    ): Promise<{ samples: Float32Array; handOvers: number[] }> => {
      const chain = new OggOpusChain();
      const chunks: Buffer[] = [];
      chain.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      const ended = new Promise((resolve) => chain.stream.once('end', resolve));
      const handOvers: number[] = [];
      let at = 0;
      let preSkip = 0;
      for (let index = 0; index < 3; index++) {
        const clip = await pool.renderClip(demoScore({ bars: 2, title: `Segment ${index + 1}` }), options);
        if (index === 0) preSkip = preSkipOf(clip.ogg);
        const appended = chain.append(clip.ogg);
        assert.ok(appended.ok);
        at += Math.round((appended.value.durationMs * RATE) / 1000);
        if (index < 2) handOvers.push(at - preSkip);
      }
      chain.end();
      await ended;
      const path = join(dir, `${name}.ogg`);
      await writeFile(path, Buffer.concat(chunks));
      return { samples: await decode(path), handOvers };
    };

    test('GIVEN seamless segments THEN the 100 ms around each hand-over are as loud as the music before it; with the default fades they dip', async () => {
      const seamless = await spliced(SEAMLESS_CLIP, 'seamless');
      const faded = await spliced(undefined, 'faded');
      const ratios = (audio: { samples: Float32Array; handOvers: number[] }): number[] =>
        audio.handOvers.map((at) => {
          const around = rms(audio.samples, at - ms(50), at + ms(50));
          const earlier = rms(audio.samples, at - ms(450), at - ms(350));
          return around / earlier;
        });
      const tail = (audio: { samples: Float32Array; handOvers: number[] }): number[] =>
        audio.handOvers.map(
          (at) => rms(audio.samples, at - ms(100), at) / rms(audio.samples, at - ms(450), at - ms(350)),
        );
      const smooth = ratios(seamless);
      const dipped = ratios(faded);
      console.log(
        `radio hand-overs: RMS of the 100 ms around / the 100 ms before: seamless ${fmt(smooth)}, ` +
          `with the 300 ms fade-out ${fmt(dipped)}; last 100 ms of a segment: seamless ${fmt(tail(seamless))}, ` +
          `faded ${fmt(tail(faded))}`,
      );
      for (const ratio of smooth)
        assert.ok(ratio > 0.6, `seamless hand-over at ${ratio.toFixed(2)} of the level before`);
      for (const ratio of tail(seamless)) assert.ok(ratio > 0.5, `a seamless segment ends at ${ratio.toFixed(2)}`);
      // The control: the same segments with the mastering's fades do dip, so the measure can tell.
      for (const ratio of tail(faded)) assert.ok(ratio < 0.2, `a faded segment ends at ${ratio.toFixed(2)}`);
    });
  });
});

function preSkipOf(ogg: Uint8Array): number {
  const pages = readOggPages(ogg);
  assert.ok(pages.ok);
  const head = pages.value[0]?.packets[0];
  assert.ok(head);
  return Buffer.from(head).readUInt16LE(10);
}

function ms(value: number): number {
  return Math.round((value * RATE) / 1000);
}

function fmt(values: readonly number[]): string {
  return values.map((v) => v.toFixed(2)).join(', ');
}

/** RMS of the mono mix over [from, to). */
function rms(samples: Float32Array, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, from); i < Math.min(samples.length, to); i++) {
    const value = samples[i] ?? 0;
    sum += value * value;
    n += 1;
  }
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/** Decodes with opusdec into 16-bit WAV; returns the mono mix, one value per 48 kHz frame. */
async function decode(path: string): Promise<Float32Array> {
  const result = spawnSync('opusdec', ['--force-wav', '--quiet', path, `${path}.wav`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`opusdec failed: ${result.stderr}`);
  const wav = await readFile(`${path}.wav`);
  let offset = 12;
  let channels = 2;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('latin1', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      channels = wav.readUInt16LE(offset + 10);
      assert.equal(wav.readUInt16LE(offset + 22), 16, '16-bit PCM');
    }
    if (id === 'data') {
      const start = offset + 8;
      const frames = Math.floor(Math.min(size, wav.length - start) / (2 * channels));
      const out = new Float32Array(frames);
      for (let frame = 0; frame < frames; frame++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += wav.readInt16LE(start + (frame * channels + c) * 2);
        out[frame] = sum / channels / 32768;
      }
      return out;
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error('no data chunk in the WAV');
}
