import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';

import { decryptAes256GcmRtpSize, encryptAes256GcmRtpSize, rtpSsrc } from '../fake-discord/voice-rtp.ts';

describe('fake voice server: aead_aes256_gcm_rtpsize', () => {
  const key = randomBytes(32);
  const opus = Buffer.from([0xfc, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7]);

  test('GIVEN a packet as @discordjs/voice builds it (12-byte header as AAD, 4-byte nonce suffix) THEN the Opus payload comes back', () => {
    const packet = encryptAes256GcmRtpSize(opus, key, {
      sequence: 65_535,
      timestamp: 4_000_000_000,
      ssrc: 77,
      nonce: 9,
    });
    assert.equal(packet.length, 12 + opus.length + 16 + 4);
    assert.deepEqual([...packet.subarray(-4)], [0, 0, 0, 9]);
    assert.equal(rtpSsrc(packet), 77);
    const result = decryptAes256GcmRtpSize(packet, key);
    assert.ok(result.ok);
    assert.deepEqual(
      { ...result.value, payload: [...result.value.payload], extension: [...result.value.extension] },
      {
        sequence: 65_535,
        timestamp: 4_000_000_000,
        ssrc: 77,
        payloadType: 120,
        marker: false,
        nonce: 9,
        extension: [],
        payload: [...opus],
      },
    );
  });

  test('GIVEN a header extension THEN its 4-byte header is authenticated, its body decrypted and stripped from the payload', () => {
    const extension = Buffer.from([0x10, 0xaa, 0, 0, 0x21, 1, 2, 0]);
    const packet = encryptAes256GcmRtpSize(opus, key, { sequence: 1, timestamp: 2, ssrc: 3, nonce: 4, extension });
    assert.deepEqual([...packet.subarray(12, 16)], [0xbe, 0xde, 0, 2]);
    const result = decryptAes256GcmRtpSize(packet, key);
    assert.ok(result.ok);
    assert.deepEqual([...result.value.extension], [...extension]);
    assert.deepEqual([...result.value.payload], [...opus]);

    const tamperedLength = Buffer.from(packet);
    tamperedLength.writeUInt16BE(1, 14); // the extension header is associated data: changing it breaks the tag
    assert.deepEqual(decryptAes256GcmRtpSize(tamperedLength, key), { ok: false, error: 'bad-tag' });
  });

  test('GIVEN a changed byte, a wrong key, or not RTP THEN it is refused', () => {
    const packet = encryptAes256GcmRtpSize(opus, key, { sequence: 1, timestamp: 2, ssrc: 3, nonce: 4 });
    const flipped = Buffer.from(packet);
    flipped.writeUInt8(flipped.readUInt8(14) ^ 1, 14);
    assert.deepEqual(decryptAes256GcmRtpSize(flipped, key), { ok: false, error: 'bad-tag' });
    const nonce = Buffer.from(packet);
    nonce.writeUInt8(5, nonce.length - 1);
    assert.deepEqual(decryptAes256GcmRtpSize(nonce, key), { ok: false, error: 'bad-tag' });
    assert.deepEqual(decryptAes256GcmRtpSize(packet, randomBytes(32)), { ok: false, error: 'bad-tag' });
    assert.deepEqual(decryptAes256GcmRtpSize(Buffer.alloc(8), key), { ok: false, error: 'not-rtp' });
    assert.equal(rtpSsrc(Buffer.alloc(8)), null);
  });
});
