/**
 * Ogg Opus files (RFC 7845 on RFC 3533 pages): an identification header page, a comment header page, then
 * audio pages of at most one second each, granule positions counting 48 kHz samples including pre-skip.
 */
import { oggCrc32 } from './ogg-crc.ts';
import { encodeOpus, OPUS_FRAME_SIZE, type OpusEncoderOptions, type OpusStream } from './opus-encoder.ts';
import type { StereoAudio } from './stereo-audio.ts';

/** Settings for {@link encodeOggOpus}. */
export interface OggOpusOptions extends OpusEncoderOptions {
  /** TITLE comment; none when absent. */
  readonly title?: string;
  /** Vendor string of the comment header. Default "Motif". */
  readonly vendor?: string;
  /** Ogg logical stream serial number. Default a fixed value, so equal input gives equal bytes. */
  readonly serialNumber?: number;
}

/** The comment header's contents. */
export interface OggOpusTags {
  readonly vendor: string;
  readonly title?: string;
}

const DEFAULT_VENDOR = 'Motif';
const DEFAULT_SERIAL_NUMBER = 0x4d6f7469; // "Moti"
/** Audio pages carry at most this many 20 ms packets: one second, a unit a streaming player can pace. */
const PACKETS_PER_PAGE = 50;
const MAX_SEGMENTS = 255;
const PAGE_HEADER_SIZE = 27;
const CONTINUED = 0x01;
const BEGINNING_OF_STREAM = 0x02;
const END_OF_STREAM = 0x04;
const OUTPUT_SAMPLE_RATE = 48_000;

/**
 * Encodes a 48 kHz stereo clip as an Ogg Opus file that decodes to exactly the clip's length: the decoder
 * drops the encoder's lookahead (pre-skip) and the last page's granule position trims the padding.
 */
export function encodeOggOpus(audio: StereoAudio, options: OggOpusOptions = {}): Uint8Array {
  const encoderOptions: OpusEncoderOptions = {
    ...(options.bitrate === undefined ? {} : { bitrate: options.bitrate }),
    ...(options.complexity === undefined ? {} : { complexity: options.complexity }),
  };
  const tags: OggOpusTags = {
    vendor: options.vendor ?? DEFAULT_VENDOR,
    ...(options.title === undefined ? {} : { title: options.title }),
  };
  return writeOggOpus(encodeOpus(audio, encoderOptions), tags, options.serialNumber ?? DEFAULT_SERIAL_NUMBER);
}

/**
 * Muxes an encoded stereo Opus stream into Ogg pages. A page's granule position is the number of samples
 * decoded by the end of its last packet, pre-skip included; the last page's is preSkip + sampleCount,
 * which tells the decoder to drop the padding of the final frame.
 */
export function writeOggOpus(
  stream: OpusStream,
  tags: OggOpusTags,
  serialNumber: number = DEFAULT_SERIAL_NUMBER,
): Uint8Array {
  if (stream.packets.length === 0) throw new RangeError('an Ogg Opus stream needs at least one audio packet');
  const pages: Uint8Array[] = [];
  const emit = (page: Omit<PageContents, 'serialNumber' | 'sequence'>): void => {
    pages.push(writeOggPage({ ...page, serialNumber, sequence: pages.length }));
  };

  emit({ packets: [identificationHeader(stream.preSkip)], granule: 0, flags: BEGINNING_OF_STREAM, continues: false });
  // The comment header may span pages, and must end its last page.
  const pieces = splitForPages(commentHeader(tags));
  for (const [index, piece] of pieces.entries()) {
    emit({ packets: [piece], granule: 0, flags: index > 0 ? CONTINUED : 0, continues: index < pieces.length - 1 });
  }

  let page: Uint8Array[] = [];
  let segments = 0;
  for (const [index, packet] of stream.packets.entries()) {
    const packetSegments = Math.floor(packet.length / 255) + 1;
    if (page.length === PACKETS_PER_PAGE || segments + packetSegments > MAX_SEGMENTS) {
      emit({ packets: page, granule: index * OPUS_FRAME_SIZE, flags: 0, continues: false });
      page = [];
      segments = 0;
    }
    page.push(packet);
    segments += packetSegments;
  }
  const finalGranule = stream.preSkip + stream.sampleCount;
  emit({ packets: page, granule: finalGranule, flags: END_OF_STREAM, continues: false });
  return concatenate(pages);
}

/** OpusHead (RFC 7845 §5.1): version 1, two channels, mapping family 0, no output gain. */
function identificationHeader(preSkip: number): Uint8Array {
  const header = new Uint8Array(19);
  const view = new DataView(header.buffer);
  header.set(ascii('OpusHead'), 0);
  view.setUint8(8, 1);
  view.setUint8(9, 2);
  view.setUint16(10, preSkip, true);
  view.setUint32(12, OUTPUT_SAMPLE_RATE, true);
  view.setInt16(16, 0, true);
  view.setUint8(18, 0);
  return header;
}

/** OpusTags (RFC 7845 §5.2): vendor string and user comments, lengths little-endian, text UTF-8. */
function commentHeader(tags: OggOpusTags): Uint8Array {
  const encoder = new TextEncoder();
  const vendor = encoder.encode(tags.vendor);
  const comments = tags.title === undefined ? [] : [encoder.encode(`TITLE=${tags.title}`)];
  const size = 8 + 4 + vendor.length + 4 + comments.reduce((sum, comment) => sum + 4 + comment.length, 0);
  const header = new Uint8Array(size);
  const view = new DataView(header.buffer);
  header.set(ascii('OpusTags'), 0);
  let offset = 8;
  for (const field of [vendor, null, ...comments]) {
    if (field === null) {
      view.setUint32(offset, comments.length, true);
      offset += 4;
      continue;
    }
    view.setUint32(offset, field.length, true);
    header.set(field, offset + 4);
    offset += 4 + field.length;
  }
  return header;
}

/**
 * Splits one packet into the pieces for successive pages: every piece but the last fills a page with 255
 * segments of 255 bytes; the last (possibly empty) piece ends the packet.
 */
function splitForPages(packet: Uint8Array): Uint8Array[] {
  const pageCapacity = MAX_SEGMENTS * 255;
  const pieces: Uint8Array[] = [];
  let offset = 0;
  while (packet.length - offset >= pageCapacity) {
    pieces.push(packet.subarray(offset, offset + pageCapacity));
    offset += pageCapacity;
  }
  pieces.push(packet.subarray(offset));
  return pieces;
}

interface PageContents {
  readonly packets: readonly Uint8Array[];
  readonly granule: number;
  readonly serialNumber: number;
  readonly sequence: number;
  readonly flags: number;
  /** The last packet goes on in the next page: its lacing gets no terminating value under 255. */
  readonly continues: boolean;
}

/**
 * One Ogg page (RFC 3533 §6). Each packet is laced as 255-byte segments ended by one shorter segment
 * (possibly empty), except a last packet that continues on the next page.
 */
function writeOggPage({ packets, granule, serialNumber, sequence, flags, continues }: PageContents): Uint8Array {
  const lacing: number[] = [];
  for (const [index, packet] of packets.entries()) {
    let remaining = packet.length;
    while (remaining >= 255) {
      lacing.push(255);
      remaining -= 255;
    }
    const continuesOnNextPage = continues && index === packets.length - 1;
    if (!continuesOnNextPage) lacing.push(remaining);
  }
  if (lacing.length > MAX_SEGMENTS) throw new RangeError(`an Ogg page holds ${MAX_SEGMENTS} segments at most`);
  const bodySize = packets.reduce((sum, packet) => sum + packet.length, 0);
  const page = new Uint8Array(PAGE_HEADER_SIZE + lacing.length + bodySize);
  const view = new DataView(page.buffer);
  page.set(ascii('OggS'), 0);
  view.setUint8(4, 0); // stream structure version
  view.setUint8(5, flags);
  view.setBigInt64(6, BigInt(granule), true);
  view.setUint32(14, serialNumber >>> 0, true);
  view.setUint32(18, sequence, true);
  view.setUint32(22, 0, true); // checksum, filled in below
  view.setUint8(26, lacing.length);
  page.set(lacing, PAGE_HEADER_SIZE);
  let offset = PAGE_HEADER_SIZE + lacing.length;
  for (const packet of packets) {
    page.set(packet, offset);
    offset += packet.length;
  }
  view.setUint32(22, oggCrc32(page), true);
  return page;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function concatenate(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
