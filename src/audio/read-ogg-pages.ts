/**
 * A small Ogg page reader (RFC 3533) for one logical stream, as written by ogg-opus-writer.ts: checks
 * capture patterns, versions and checksums, and reassembles packets that span pages.
 */
import { oggCrc32 } from './ogg-crc.ts';

/** One page and the packets that end on it. */
export interface OggPage {
  /** Position of the page in the file, in bytes. */
  readonly offset: number;
  readonly sequence: number;
  readonly serialNumber: number;
  /** Samples decoded by the end of the last packet ending here (Opus: at 48 kHz, pre-skip included); -1 if none ends here. */
  readonly granulePosition: number;
  /** The page starts with the rest of a packet from the previous page. */
  readonly continued: boolean;
  readonly beginningOfStream: boolean;
  readonly endOfStream: boolean;
  /** Packets completed on this page, whole (including parts carried over from earlier pages). */
  readonly packets: readonly Uint8Array[];
}

/** Why a byte sequence is not a valid Ogg stream. */
export type OggReadErrorCode =
  'bad-capture-pattern' | 'unsupported-version' | 'truncated' | 'bad-checksum' | 'unexpected-continuation';

export type OggReadResult =
  | { readonly ok: true; readonly value: readonly OggPage[] }
  | { readonly ok: false; readonly error: { readonly code: OggReadErrorCode; readonly message: string } };

const HEADER_SIZE = 27;
const CAPTURE_PATTERN = [0x4f, 0x67, 0x67, 0x53]; // "OggS"

/**
 * Reads every page of `bytes`, verifying each page's CRC-32. A packet still open at the end of the data
 * is dropped, as a decoder would.
 */
export function readOggPages(bytes: Uint8Array): OggReadResult {
  const pages: OggPage[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pending: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const fail = (code: OggReadErrorCode, message: string): OggReadResult => ({
      ok: false,
      error: { code, message: `page at byte ${offset}: ${message}` },
    });
    if (bytes.length - offset < HEADER_SIZE) return fail('truncated', 'header cut short');
    if (CAPTURE_PATTERN.some((byte, i) => bytes[offset + i] !== byte)) {
      return fail('bad-capture-pattern', 'no "OggS" capture pattern');
    }
    const version = view.getUint8(offset + 4);
    if (version !== 0) return fail('unsupported-version', `stream structure version ${version}`);
    const flags = view.getUint8(offset + 5);
    const segmentCount = view.getUint8(offset + 26);
    const lacingStart = offset + HEADER_SIZE;
    if (bytes.length < lacingStart + segmentCount) return fail('truncated', 'segment table cut short');
    const lacing = bytes.subarray(lacingStart, lacingStart + segmentCount);
    const bodySize = lacing.reduce((sum, value) => sum + value, 0);
    const pageEnd = lacingStart + segmentCount + bodySize;
    if (bytes.length < pageEnd) return fail('truncated', 'body cut short');

    const page = bytes.slice(offset, pageEnd);
    const storedChecksum = view.getUint32(offset + 22, true);
    page.fill(0, 22, 26);
    if (oggCrc32(page) !== storedChecksum) return fail('bad-checksum', 'CRC-32 does not match');

    const continued = (flags & 0x01) !== 0;
    if (continued && pending.length === 0) return fail('unexpected-continuation', 'continues no packet');
    if (!continued) pending = [];
    const packets: Uint8Array[] = [];
    let bodyOffset = lacingStart + segmentCount;
    let segmentStart = bodyOffset;
    for (const value of lacing) {
      bodyOffset += value;
      if (value < 255) {
        pending.push(bytes.subarray(segmentStart, bodyOffset));
        packets.push(concatenate(pending));
        pending = [];
        segmentStart = bodyOffset;
      }
    }
    if (segmentStart < bodyOffset) {
      // The page ends inside a packet (last lacing value 255): the rest follows on the next page.
      pending.push(bytes.subarray(segmentStart, bodyOffset));
    }

    pages.push({
      offset,
      sequence: view.getUint32(offset + 18, true),
      serialNumber: view.getUint32(offset + 14, true),
      granulePosition: Number(view.getBigInt64(offset + 6, true)),
      continued,
      beginningOfStream: (flags & 0x02) !== 0,
      endOfStream: (flags & 0x04) !== 0,
      packets,
    });
    offset = pageEnd;
  }
  return { ok: true, value: pages };
}

function concatenate(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0].slice();
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
