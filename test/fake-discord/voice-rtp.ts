import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * RTP as Discord's voice servers take it (RFC 3550 header, payload type 120 = Opus) with the `*_rtpsize` transport
 * encryption: the header (fixed part, CSRCs and, when the X bit is set, the 4-byte extension header) is the AEAD's
 * associated data and stays clear; the extension body and the payload are encrypted; the 16-byte tag and then a
 * 4-byte big-endian nonce counter follow. For `aead_aes256_gcm_rtpsize` the 12-byte GCM nonce is that counter
 * followed by 8 zero bytes.
 */

export const RTP_HEADER_SIZE = 12;
export const OPUS_PAYLOAD_TYPE = 120;
const TAG_SIZE = 16;
const NONCE_SUFFIX_SIZE = 4;
const GCM_NONCE_SIZE = 12;

export interface DecryptedRtpPacket {
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly marker: boolean;
  /** The transport nonce counter (the packet's last 4 bytes). */
  readonly nonce: number;
  /** The decrypted header extension body (empty without the X bit). */
  readonly extension: Buffer;
  /** The decrypted payload, padding removed: one Opus packet. */
  readonly payload: Buffer;
}

export type RtpDecryptError = 'not-rtp' | 'too-short' | 'bad-tag' | 'bad-padding';

export type RtpDecryptResult = { ok: true; value: DecryptedRtpPacket } | { ok: false; error: RtpDecryptError };

/** The SSRC of an RTP packet, or null when the bytes are not RTP version 2. */
export function rtpSsrc(packet: Buffer): number | null {
  if (packet.length < RTP_HEADER_SIZE || packet.readUInt8(0) >> 6 !== 2) return null;
  return packet.readUInt32BE(8);
}

/** Decrypts one `aead_aes256_gcm_rtpsize` packet with the session's 32-byte key. */
export function decryptAes256GcmRtpSize(packet: Buffer, secretKey: Uint8Array): RtpDecryptResult {
  if (packet.length < RTP_HEADER_SIZE || packet.readUInt8(0) >> 6 !== 2) return { ok: false, error: 'not-rtp' };
  const first = packet.readUInt8(0);
  const hasPadding = (first & 0x20) !== 0;
  const hasExtension = (first & 0x10) !== 0;
  const csrcCount = first & 0x0f;
  const headerSize = RTP_HEADER_SIZE + 4 * csrcCount + (hasExtension ? 4 : 0);
  if (packet.length < headerSize + TAG_SIZE + NONCE_SUFFIX_SIZE) return { ok: false, error: 'too-short' };
  const extensionWords = hasExtension ? packet.readUInt16BE(headerSize - 2) : 0;

  const header = packet.subarray(0, headerSize);
  const nonceSuffix = packet.subarray(packet.length - NONCE_SUFFIX_SIZE);
  const tag = packet.subarray(packet.length - NONCE_SUFFIX_SIZE - TAG_SIZE, packet.length - NONCE_SUFFIX_SIZE);
  const encrypted = packet.subarray(headerSize, packet.length - NONCE_SUFFIX_SIZE - TAG_SIZE);
  const nonce = Buffer.alloc(GCM_NONCE_SIZE);
  nonceSuffix.copy(nonce, 0);

  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', secretKey, nonce);
    decipher.setAAD(header);
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(encrypted), decipher.final()]);
  } catch {
    return { ok: false, error: 'bad-tag' };
  }
  let end = plain.length;
  if (hasPadding) {
    const padding = plain.readUInt8(plain.length - 1);
    if (padding === 0 || padding > plain.length - 4 * extensionWords) return { ok: false, error: 'bad-padding' };
    end -= padding;
  }
  const extensionBytes = 4 * extensionWords;
  if (extensionBytes > end) return { ok: false, error: 'too-short' };
  return {
    ok: true,
    value: {
      sequence: packet.readUInt16BE(2),
      timestamp: packet.readUInt32BE(4),
      ssrc: packet.readUInt32BE(8),
      payloadType: packet.readUInt8(1) & 0x7f,
      marker: (packet.readUInt8(1) & 0x80) !== 0,
      nonce: nonceSuffix.readUInt32BE(0),
      extension: plain.subarray(0, extensionBytes),
      payload: plain.subarray(extensionBytes, end),
    },
  };
}

export interface EncryptRtpOptions {
  sequence: number;
  timestamp: number;
  ssrc: number;
  nonce: number;
  /** A one-byte-header extension body (RFC 8285, profile 0xBEDE), a whole number of 32-bit words. */
  extension?: Buffer;
}

/** The sender's side, as a voice client does it; the tests use it to check the decryption against known bytes. */
export function encryptAes256GcmRtpSize(payload: Buffer, secretKey: Uint8Array, options: EncryptRtpOptions): Buffer {
  const extension = options.extension ?? Buffer.alloc(0);
  if (extension.length % 4 !== 0) throw new RangeError('the extension body must be whole 32-bit words');
  const hasExtension = options.extension !== undefined;
  const header = Buffer.alloc(RTP_HEADER_SIZE + (hasExtension ? 4 : 0));
  header.writeUInt8(0x80 | (hasExtension ? 0x10 : 0), 0);
  header.writeUInt8(OPUS_PAYLOAD_TYPE, 1);
  header.writeUInt16BE(options.sequence, 2);
  header.writeUInt32BE(options.timestamp, 4);
  header.writeUInt32BE(options.ssrc, 8);
  if (hasExtension) {
    header.writeUInt16BE(0xbede, 12);
    header.writeUInt16BE(extension.length / 4, 14);
  }
  const nonce = Buffer.alloc(GCM_NONCE_SIZE);
  nonce.writeUInt32BE(options.nonce, 0);
  const cipher = createCipheriv('aes-256-gcm', secretKey, nonce);
  cipher.setAAD(header);
  const encrypted = Buffer.concat([cipher.update(Buffer.concat([extension, payload])), cipher.final()]);
  return Buffer.concat([header, encrypted, cipher.getAuthTag(), nonce.subarray(0, NONCE_SUFFIX_SIZE)]);
}
