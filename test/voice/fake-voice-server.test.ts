import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';

import {
  createTestCertificate,
  trustTestCertificate,
  type TestCertificate,
} from '../fake-discord/voice-certificate.ts';
import { encryptAes256GcmRtpSize } from '../fake-discord/voice-rtp.ts';
import { FakeVoiceServer, VoiceOp } from '../fake-discord/voice-server.ts';

interface VoicePayload {
  op: number;
  d: Record<string, unknown>;
  seq?: number;
}

/** A bare voice gateway client on Node's own WebSocket: the protocol by hand, for what the library never does. */
class RawVoiceClient {
  readonly socket: WebSocket;
  readonly received: VoicePayload[] = [];
  readonly closed: Promise<number>;
  #waiters: (() => void)[] = [];

  private constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.addEventListener('message', (event: { data: unknown }) => {
      this.received.push(JSON.parse(String(event.data)) as VoicePayload);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      this.socket.addEventListener('close', (event) => {
        resolve(event.code);
      });
    });
  }

  static async open(url: string): Promise<RawVoiceClient> {
    const client = new RawVoiceClient(url);
    await new Promise<void>((resolve, reject) => {
      client.socket.addEventListener('open', () => {
        resolve();
      });
      client.socket.addEventListener('error', () => {
        reject(new Error(`could not open ${url}`));
      });
    });
    return client;
  }

  send(op: number, d: unknown): void {
    this.socket.send(JSON.stringify({ op, d }));
  }

  async next(op: number): Promise<VoicePayload> {
    for (;;) {
      const found = this.received.find((payload) => payload.op === op);
      if (found !== undefined) {
        this.received.splice(this.received.indexOf(found), 1);
        return found;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

describe('fake voice server (by hand)', () => {
  let certificate: TestCertificate;
  let untrust: () => void;
  let voice: FakeVoiceServer;
  let udp: Socket;
  const url = (): string => `wss://${voice.endpoint}/?v=8`;

  before(async () => {
    certificate = await createTestCertificate();
    untrust = trustTestCertificate(certificate.caPem);
    voice = await FakeVoiceServer.start({ certificate, heartbeatIntervalMs: 500 });
    udp = createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
  });
  after(async () => {
    udp.close();
    await voice.close();
    untrust();
    await certificate.remove();
  });

  test('GIVEN a wrong token, a payload before identify, or another version THEN the close codes Discord uses', async () => {
    const wrong = await RawVoiceClient.open(url());
    assert.deepEqual((await wrong.next(VoiceOp.hello)).d, { heartbeat_interval: 500 });
    wrong.send(VoiceOp.identify, { server_id: 'g', user_id: 'u', session_id: 's', token: 'nope' });
    assert.equal(await wrong.closed, 4004);
    const early = await RawVoiceClient.open(url());
    early.send(VoiceOp.selectProtocol, { protocol: 'udp', data: {} });
    assert.equal(await early.closed, 4003);
    const old = await RawVoiceClient.open(`wss://${voice.endpoint}/?v=4`);
    assert.equal(await old.closed, 4012);
  });

  test('GIVEN identify, IP discovery and select protocol THEN a session key, and RTP with it is decrypted and kept', async () => {
    const token = voice.issueToken('g1', 'u1', 'session-1');
    const client = await RawVoiceClient.open(url());
    client.send(VoiceOp.identify, { server_id: 'g1', user_id: 'u1', session_id: 'session-1', token });
    const ready = (await client.next(VoiceOp.ready)).d;
    assert.equal(ready.ip, '127.0.0.1');
    assert.equal(ready.port, voice.udpPort);
    assert.deepEqual(ready.modes, ['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize']);
    const ssrc = Number(ready.ssrc);

    const discovery = Buffer.alloc(74);
    discovery.writeUInt16BE(1, 0);
    discovery.writeUInt16BE(70, 2);
    discovery.writeUInt32BE(ssrc, 4);
    udp.send(discovery, voice.udpPort, '127.0.0.1');
    const [answer] = (await once(udp, 'message')) as [Buffer];
    const { port } = udp.address();
    assert.deepEqual(
      [answer.readUInt16BE(0), answer.readUInt16BE(2), answer.readUInt32BE(4), answer.subarray(8, 17).toString()],
      [2, 70, ssrc, '127.0.0.1'],
    );
    assert.equal(answer.readUInt16BE(72), port);

    client.send(VoiceOp.heartbeat, { t: 1234, seq_ack: 1 });
    assert.deepEqual((await client.next(VoiceOp.heartbeatAck)).d, { t: 1234 });
    client.send(VoiceOp.selectProtocol, {
      protocol: 'udp',
      data: { address: '127.0.0.1', port, mode: 'aead_aes256_gcm_rtpsize' },
    });
    const description = await client.next(VoiceOp.sessionDescription);
    assert.equal(description.d.mode, 'aead_aes256_gcm_rtpsize');
    assert.equal(description.d.dave_protocol_version, 0);
    assert.equal(description.seq, 2, 'v8: the server numbers its messages');
    const key = Buffer.from(description.d.secret_key as number[]);
    assert.equal(key.length, 32);

    const opus = randomBytes(60);
    udp.send(
      encryptAes256GcmRtpSize(opus, key, { sequence: 7, timestamp: 960, ssrc, nonce: 1 }),
      voice.udpPort,
      '127.0.0.1',
    );
    udp.send(
      encryptAes256GcmRtpSize(opus, randomBytes(32), { sequence: 8, timestamp: 1920, ssrc, nonce: 2 }),
      voice.udpPort,
      '127.0.0.1',
    );
    udp.send(
      encryptAes256GcmRtpSize(opus, key, { sequence: 9, timestamp: 2880, ssrc, nonce: 1 }),
      voice.udpPort,
      '127.0.0.1',
    );
    await voice.waitFor(() => voice.errors.length >= 2, 2000, 'two rejected packets');
    const kept = voice.packets('g1');
    assert.equal(kept.length, 2);
    assert.deepEqual([kept[0]?.sequence, kept[0]?.ssrc, kept[0]?.opus.equals(opus)], [7, ssrc, true]);
    assert.match(voice.errors[0] ?? '', /did not decrypt: bad-tag/);
    assert.match(voice.errors[1] ?? '', /nonce 1 after 1/);

    // Resume on a new socket: the same session, and what the client missed comes again.
    voice.dropConnection('g1', { abrupt: true });
    await client.closed;
    const again = await RawVoiceClient.open(url());
    again.send(VoiceOp.resume, { server_id: 'g1', session_id: 'session-1', token, seq_ack: 1 });
    const replayed = await again.next(VoiceOp.sessionDescription);
    assert.equal(replayed.seq, 2);
    assert.equal((await again.next(VoiceOp.resumed)).seq, 3);
    assert.equal(voice.sessions.get('g1')?.resumes, 1);
    again.socket.close();

    const stranger = await RawVoiceClient.open(url());
    stranger.send(VoiceOp.resume, { server_id: 'g1', session_id: 'another', token, seq_ack: 0 });
    assert.equal(await stranger.closed, 4006);
  });
});
