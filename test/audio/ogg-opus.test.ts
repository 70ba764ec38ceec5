import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { encodeOggOpus } from '../../src/audio/ogg-opus-writer.ts';
import { encodeOpus } from '../../src/audio/opus-encoder.ts';
import { readOggPages, type OggPage } from '../../src/audio/read-ogg-pages.ts';
import type { StereoAudio } from '../../src/audio/stereo-audio.ts';
import { musicLike, rms, sine } from './test-signals.ts';

// These tests check the files with the reference tools from opus-tools (Debian package `opus-tools`).
const directory = mkdtempSync(join(tmpdir(), 'motif-ogg-opus-'));
after(() => {
  rmSync(directory, { recursive: true, force: true });
});

function run(command: string, args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function writeTemp(name: string, bytes: Uint8Array): string {
  const path = join(directory, name);
  writeFileSync(path, bytes);
  return path;
}

/** Decodes with opusdec to 16-bit stereo WAV and returns the channels. */
function decode(oggPath: string): StereoAudio {
  const wavPath = `${oggPath}.wav`;
  const { status, output } = run('opusdec', ['--force-wav', oggPath, wavPath]);
  assert.equal(status, 0, output);
  return parseWav(readFileSync(wavPath));
}

function parseWav(bytes: Uint8Array): StereoAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (offset: number): string => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  assert.equal(text(0), 'RIFF');
  assert.equal(text(8), 'WAVE');
  let offset = 12;
  let sampleRate = 0;
  while (offset + 8 <= bytes.length) {
    const id = text(offset);
    const size = view.getUint32(offset + 4, true);
    if (id === 'fmt ') {
      assert.equal(view.getUint16(offset + 10, true), 2, 'channels');
      assert.equal(view.getUint16(offset + 22, true), 16, 'bits per sample');
      sampleRate = view.getUint32(offset + 12, true);
    } else if (id === 'data') {
      const frames = Math.floor(Math.min(size, bytes.length - offset - 8) / 4);
      const left = new Float32Array(frames);
      const right = new Float32Array(frames);
      for (let n = 0; n < frames; n++) {
        left[n] = view.getInt16(offset + 8 + 4 * n, true) / 32768;
        right[n] = view.getInt16(offset + 10 + 4 * n, true) / 32768;
      }
      return { sampleRate, left, right };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error('no data chunk in the WAV file');
}

function pagesOf(bytes: Uint8Array): readonly OggPage[] {
  const result = readOggPages(bytes);
  if (!result.ok) assert.fail(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** Normalised correlation of two signals over [start, end), at lag 0. */
function correlation(a: Float32Array, b: Float32Array, start: number, end: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let n = start; n < end; n++) {
    const x = a[n] ?? 0;
    const y = b[n] ?? 0;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('encodeOggOpus', () => {
  for (const length of [960, 1, 12_345, 48_000 * 8 + 123]) {
    it(`GIVEN a clip of ${length} samples THEN opusinfo reports no problem and opusdec yields exactly ${length} samples`, () => {
      const path = writeTemp(`length-${length}.ogg`, encodeOggOpus(musicLike(0, 0.3, length), { title: 'length' }));
      const info = run('opusinfo', [path]);
      assert.equal(info.status, 0, info.output);
      assert.doesNotMatch(info.output, /warning|error/i);
      const decoded = decode(path);
      assert.equal(decoded.sampleRate, 48_000);
      assert.equal(decoded.left.length, length);
    });
  }

  it('GIVEN two sines THEN the decoded audio keeps their level, frequency and timing', () => {
    const input = sine(1000, 2, { left: 0.5, right: 0 });
    const third = sine(3000, 2, { left: 0, right: 0.25 });
    const audio: StereoAudio = { sampleRate: 48_000, left: input.left, right: third.right };
    const decoded = decode(writeTemp('sines.ogg', encodeOggOpus(audio)));
    const start = 4800;
    const end = 96_000 - 4800;
    for (const [name, original, output] of [
      ['left', audio.left, decoded.left],
      ['right', audio.right, decoded.right],
    ] as const) {
      const levelDb = 20 * Math.log10(rms(output, start, end) / rms(original, start, end));
      assert.ok(Math.abs(levelDb) < 1, `${name} level changed by ${levelDb} dB`);
      // A wrong pre-skip would shift the waveform and ruin the correlation at lag 0.
      const match = correlation(original, output, start, end);
      assert.ok(match > 0.99, `${name} correlation ${match}`);
    }
  });

  it('GIVEN a complexity THEN libopus uses it, and one outside 0-10 is refused', () => {
    const audio = musicLike(1, 0.5);
    const fastest = encodeOpus(audio, { complexity: 0 });
    const best = encodeOpus(audio, { complexity: 10 });
    assert.equal(fastest.packets.length, best.packets.length);
    assert.notDeepEqual(fastest.packets, best.packets, 'complexity changed nothing');
    assert.throws(() => encodeOpus(audio, { complexity: 11 }), RangeError);
    assert.throws(() => encodeOpus(audio, { complexity: 2.5 }), RangeError);
  });

  it('GIVEN a clip THEN every page has a valid CRC and the stream is laid out as RFC 7845 says', () => {
    const audio = musicLike(3, 0.5);
    const stream = encodeOpus(audio);
    const pages = pagesOf(encodeOggOpus(audio, { title: 'Motif test', vendor: 'Motif tests' }));

    assert.deepEqual(
      pages.map((page) => page.sequence),
      pages.map((_, index) => index),
    );
    assert.ok(pages.every((page) => page.serialNumber === pages[0]?.serialNumber));
    assert.deepEqual(
      pages.map((page) => page.beginningOfStream),
      pages.map((_, index) => index === 0),
    );
    assert.deepEqual(
      pages.map((page) => page.endOfStream),
      pages.map((_, index) => index === pages.length - 1),
    );

    const [head, tags, ...audioPages] = pages;
    assert.ok(head !== undefined && tags !== undefined);
    assert.equal(head.packets.length, 1);
    const opusHead = head.packets[0] ?? new Uint8Array();
    const headView = new DataView(opusHead.buffer, opusHead.byteOffset, opusHead.byteLength);
    assert.equal(new TextDecoder().decode(opusHead.subarray(0, 8)), 'OpusHead');
    assert.equal(opusHead.length, 19);
    assert.equal(headView.getUint8(8), 1, 'version');
    assert.equal(headView.getUint8(9), 2, 'channels');
    assert.equal(headView.getUint16(10, true), stream.preSkip, 'pre-skip');
    assert.equal(stream.preSkip, 312, 'libopus lookahead at 48 kHz');
    assert.equal(headView.getUint32(12, true), 48_000, 'input sample rate');
    assert.equal(headView.getInt16(16, true), 0, 'output gain');
    assert.equal(headView.getUint8(18), 0, 'mapping family');
    assert.equal(head.granulePosition, 0);
    const opusTags = new TextDecoder().decode(tags.packets[0]);
    assert.ok(
      opusTags.startsWith('OpusTags') && opusTags.includes('Motif tests') && opusTags.includes('TITLE=Motif test'),
    );
    assert.equal(tags.granulePosition, 0);

    // The audio packets come back byte for byte, at most one second per page, granules counting samples.
    assert.deepEqual(
      audioPages.flatMap((page) => page.packets),
      stream.packets,
    );
    assert.ok(
      stream.packets.some((packet) => packet.length >= 255),
      'some packet needs several lacing values',
    );
    let packets = 0;
    for (const page of audioPages.slice(0, -1)) {
      packets += page.packets.length;
      assert.ok(page.packets.length <= 50);
      assert.equal(page.granulePosition, packets * 960);
    }
    assert.equal(audioPages.at(-1)?.granulePosition, stream.preSkip + audio.left.length);
  });

  it('GIVEN a corrupted byte THEN readOggPages reports a checksum error', () => {
    const bytes = encodeOggOpus(sine(440, 1, { left: 0.5, right: 0.5 }));
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0x01;
    const result = readOggPages(bytes);
    if (result.ok) assert.fail('a corrupted page was accepted');
    assert.equal(result.error.code, 'bad-checksum');
  });

  it('GIVEN a title too long for one page THEN the comment header spans pages and still decodes', () => {
    const title = 'x'.repeat(70_000);
    const bytes = encodeOggOpus(sine(440, 1, { left: 0.5, right: 0.5 }), { title });
    const pages = pagesOf(bytes);
    const [, firstTagsPage, secondTagsPage] = pages;
    assert.ok(firstTagsPage !== undefined && secondTagsPage !== undefined);
    assert.equal(firstTagsPage.packets.length, 0, 'the first comment page ends inside the packet');
    assert.equal(secondTagsPage.continued, true);
    const tagsLength = secondTagsPage.packets[0]?.length;
    assert.equal(tagsLength, 8 + 4 + 'Motif'.length + 4 + 4 + 'TITLE='.length + title.length);
    const path = writeTemp('long-title.ogg', bytes);
    const info = run('opusinfo', [path]);
    assert.equal(info.status, 0, info.output);
    assert.equal(decode(path).left.length, 48_000);
  });

  it('GIVEN 60 s of stereo music THEN the file is well under 10 MiB', () => {
    const bytes = encodeOggOpus(musicLike(60, 0.5), { title: 'one minute' });
    console.log(`60 s of music at the default bit rate: ${(bytes.length / 2 ** 20).toFixed(2)} MiB`);
    assert.ok(bytes.length < 2.5 * 2 ** 20, `${bytes.length} bytes`);
  });
});
