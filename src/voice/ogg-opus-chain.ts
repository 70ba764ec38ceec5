/**
 * One endless Ogg Opus stream made of many clips, for the radio: the first clip goes out as it is (its OpusHead
 * and OpusTags open the stream); each later clip's audio pages follow with the stream's serial number, the next
 * page sequence numbers and granule positions that keep counting, CRCs recomputed. The Opus packets are copied,
 * never decoded or re-encoded, so @discordjs/voice's `StreamType.OggOpus` demuxer reads one continuous stream and
 * the audio player never goes idle between segments. RFC 7845 (Ogg Opus), RFC 3533 (Ogg), RFC 6716 §3.1 (TOC byte).
 */
import { PassThrough, type Readable } from 'node:stream';

import { oggCrc32 } from '../audio/ogg-crc.ts';
import { readOggPages } from '../audio/read-ogg-pages.ts';

const FLAG_CONTINUED = 0x01;
const FLAG_BEGINNING = 0x02;
const FLAG_END = 0x04;
const HEADER_PACKETS = 2;

export type OggChainErrorCode = 'ended' | 'not-ogg' | 'not-opus' | 'channel-mismatch';

export type OggChainResult =
  | { ok: true; value: { packets: number; durationMs: number } }
  | { ok: false; error: { code: OggChainErrorCode; message: string } };

export class OggOpusChain {
  /** The Ogg Opus bytes, for `createAudioResource(chain.stream, { inputType: StreamType.OggOpus })`. */
  readonly stream: Readable;
  #out = new PassThrough({ highWaterMark: 1 << 20 });
  #serial = -1;
  #channels = 0;
  #nextSequence = 0;
  /** 48 kHz samples decoded so far, the first clip's pre-skip included: the next granule positions' base. */
  #granule = 0;
  #durationMs = 0;
  #ended = false;

  constructor() {
    this.stream = this.#out;
  }

  /** Audio appended so far, in milliseconds of Opus packets. */
  get durationMs(): number {
    return this.#durationMs;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Appends one clip's Ogg Opus file; nothing is written when it is not a valid one. */
  append(ogg: Uint8Array): OggChainResult {
    if (this.#ended) return fail('ended', 'the stream has ended');
    const read = readOggPages(ogg);
    if (!read.ok) return fail('not-ogg', read.error.message);
    const pages = read.value;
    const head = pages[0]?.packets[0];
    if (head === undefined || !startsWith(head, 'OpusHead') || head.length < 19) {
      return fail('not-opus', 'the first packet is not an OpusHead');
    }
    const channels = head[9] ?? 0;
    if (this.#serial !== -1 && channels !== this.#channels) {
      return fail('channel-mismatch', `a ${channels}-channel clip cannot follow ${this.#channels}-channel audio`);
    }

    const first = this.#serial === -1;
    if (first) {
      this.#serial = pages[0]?.serialNumber ?? 0;
      this.#channels = channels;
      // The first clip's pre-skip is part of the decoded samples that granule positions count.
      this.#granule = readUint16(head, 10);
    }
    const chunks: Buffer[] = [];
    let packetsSeen = 0;
    let audioPackets = 0;
    let samples = 0;
    for (const [index, page] of pages.entries()) {
      const firstPacket = packetsSeen;
      packetsSeen += page.packets.length;
      const end = pages[index + 1]?.offset ?? ogg.length;
      if (firstPacket < HEADER_PACKETS) {
        // OpusHead and OpusTags pages: only the first clip's open the stream (audio starts on a fresh page).
        if (first) chunks.push(this.#rewrite(ogg.subarray(page.offset, end), page.granulePosition));
        continue;
      }
      for (const packet of page.packets) samples += opusPacketSamples(packet);
      audioPackets += page.packets.length;
      const granule = page.packets.length === 0 ? -1 : this.#granule + samples;
      chunks.push(this.#rewrite(ogg.subarray(page.offset, end), granule));
    }
    this.#granule += samples;
    const durationMs = (samples / 48_000) * 1000;
    this.#durationMs += durationMs;
    for (const chunk of chunks) this.#out.write(chunk);
    return { ok: true, value: { packets: audioPackets, durationMs } };
  }

  /** Closes the stream with an empty end-of-stream page; the player then plays out what it has and stops. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#serial !== -1) {
      const page = Buffer.alloc(27);
      page.write('OggS', 0, 'latin1');
      page.writeUInt8(FLAG_END, 5);
      page.writeBigInt64LE(-1n, 6);
      page.writeUInt32LE(this.#serial, 14);
      page.writeUInt32LE(this.#nextSequence++, 18);
      page.writeUInt32LE(oggCrc32(page), 22);
      this.#out.end(page);
    } else {
      this.#out.end();
    }
  }

  /** Stops at once: whatever was not read is dropped. */
  destroy(): void {
    this.#ended = true;
    this.#out.destroy();
  }

  /** A copy of the page with this stream's sequence number and granule position, BOS/EOS cleared past the start. */
  #rewrite(bytes: Uint8Array, granule: number): Buffer {
    const out = Buffer.from(bytes);
    let flags = out.readUInt8(5) & FLAG_CONTINUED;
    if (this.#nextSequence === 0) flags |= FLAG_BEGINNING;
    out.writeUInt8(flags, 5);
    out.writeBigInt64LE(BigInt(granule), 6);
    out.writeUInt32LE(this.#serial, 14);
    out.writeUInt32LE(this.#nextSequence++, 18);
    writeChecksum(out);
    return out;
  }
}

/** Samples (at 48 kHz) that one Opus packet decodes to, from its TOC byte (RFC 6716 §3.1). */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const config = toc >> 3;
  let frameSamples: number;
  if (config < 12) frameSamples = [480, 960, 1920, 2880][config % 4] ?? 960;
  else if (config < 16) frameSamples = config % 2 === 0 ? 480 : 960;
  else frameSamples = [120, 240, 480, 960][config % 4] ?? 960;
  const code = toc & 0x03;
  const frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  return frameSamples * frames;
}

function writeChecksum(page: Buffer): void {
  page.writeUInt32LE(0, 22);
  page.writeUInt32LE(oggCrc32(page), 22);
}

function startsWith(bytes: Uint8Array, text: string): boolean {
  return Buffer.from(bytes.subarray(0, text.length)).toString('latin1') === text;
}

function readUint16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}

function fail(code: OggChainErrorCode, message: string): OggChainResult {
  return { ok: false, error: { code, message } };
}
