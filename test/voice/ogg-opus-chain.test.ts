import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';

import { createAudioResource, StreamType } from '@discordjs/voice';

import { encodeOggOpus } from '../../src/audio/ogg-opus-writer.ts';
import { readOggPages } from '../../src/audio/read-ogg-pages.ts';
import { OggOpusChain, opusPacketSamples } from '../../src/voice/ogg-opus-chain.ts';
import { sine } from '../audio/test-signals.ts';
import { opusPacketsOf } from './voice-harness.ts';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('OggOpusChain', () => {
  const a = encodeOggOpus(sine(440, 1.5, { left: 0.3, right: 0.3 }), { title: 'A', serialNumber: 11 });
  const b = encodeOggOpus(sine(660, 2.5, { left: 0.3, right: 0.3 }), { title: 'B', serialNumber: 22 });

  test('GIVEN two clips THEN one valid Ogg Opus stream: one header, both clips’ packets in order, one serial, counting pages and granules', async () => {
    const chain = new OggOpusChain();
    const first = chain.append(a);
    const second = chain.append(b);
    assert.ok(first.ok && second.ok);
    assert.equal(first.value.packets, opusPacketsOf(a).length);
    assert.equal(second.value.packets, opusPacketsOf(b).length);
    assert.equal(chain.durationMs, first.value.durationMs + second.value.durationMs);
    assert.ok(Math.abs(first.value.durationMs - 1500) <= 20, `${first.value.durationMs} ms`);
    chain.end();
    const bytes = await collect(chain.stream);

    const read = readOggPages(bytes);
    assert.ok(read.ok, read.ok ? '' : read.error.message); // every CRC checks out
    const pages = read.value;
    assert.deepEqual(new Set(pages.map((p) => p.serialNumber)), new Set([11]));
    assert.deepEqual(
      pages.map((p) => p.sequence),
      pages.map((_, i) => i),
    );
    assert.deepEqual(
      pages.map((p) => [p.beginningOfStream, p.endOfStream]).filter(([bos, eos]) => bos === true || eos === true),
      [
        [true, false],
        [false, true],
      ],
    );
    assert.equal(pages[0]?.beginningOfStream, true);
    assert.equal(pages.at(-1)?.endOfStream, true);
    const packets = pages.flatMap((p) => p.packets.map((packet) => Buffer.from(packet)));
    assert.equal(
      Buffer.from(packets[0] ?? [])
        .subarray(0, 8)
        .toString('latin1'),
      'OpusHead',
    );
    assert.equal(
      Buffer.from(packets[1] ?? [])
        .subarray(0, 8)
        .toString('latin1'),
      'OpusTags',
    );
    assert.deepEqual(packets.slice(2), [...opusPacketsOf(a), ...opusPacketsOf(b)]);

    const granules = pages.filter((p) => p.packets.length > 0 && p.granulePosition > 0).map((p) => p.granulePosition);
    for (let i = 1; i < granules.length; i++) assert.ok((granules[i] ?? 0) > (granules[i - 1] ?? 0), 'granules grow');
    const preSkip = Buffer.from(packets[0] ?? []).readUInt16LE(10);
    const audioPackets = packets.slice(2);
    assert.equal(granules.at(-1), preSkip + audioPackets.reduce((sum, p) => sum + opusPacketSamples(p), 0));
  });

  test('GIVEN the chained stream THEN the same demuxer @discordjs/voice uses for StreamType.OggOpus reads every packet', async () => {
    const chain = new OggOpusChain();
    assert.ok(chain.append(a).ok);
    assert.ok(chain.append(b).ok);
    assert.ok(chain.append(a).ok);
    chain.end();
    // Fed in small pieces, as a socket or file would, so that pages straddle chunks.
    const bytes = await collect(chain.stream);
    const pieces = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) =>
      bytes.subarray(i * 1000, (i + 1) * 1000),
    );
    const resource = createAudioResource(Readable.from(pieces), { inputType: StreamType.OggOpus });
    const demuxed: Buffer[] = [];
    for await (const packet of resource.playStream) demuxed.push(packet as Buffer);
    assert.deepEqual(demuxed, [...opusPacketsOf(a), ...opusPacketsOf(b), ...opusPacketsOf(a)]);
  });

  test('GIVEN bytes that are not Ogg Opus, or a stream that ended THEN append refuses and writes nothing', () => {
    const chain = new OggOpusChain();
    const bad = chain.append(new Uint8Array([1, 2, 3, 4]));
    assert.equal(bad.ok ? null : bad.error.code, 'not-ogg');
    assert.equal(chain.durationMs, 0);
    chain.end();
    const late = chain.append(a);
    assert.equal(late.ok ? null : late.error.code, 'ended');
  });

  test('GIVEN Opus TOC bytes THEN packet durations follow RFC 6716', () => {
    assert.equal(opusPacketSamples(new Uint8Array([(31 << 3) | 0])), 960); // CELT 20 ms, one frame
    assert.equal(opusPacketSamples(new Uint8Array([(28 << 3) | 1])), 240); // CELT 5 ms, two frames
    assert.equal(opusPacketSamples(new Uint8Array([(3 << 3) | 3, 3])), 2880 * 3); // SILK 60 ms, three frames
    assert.equal(opusPacketSamples(new Uint8Array([(13 << 3) | 0])), 960); // hybrid 20 ms
    assert.equal(opusPacketSamples(new Uint8Array([])), 0);
  });
});
