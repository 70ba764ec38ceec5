import { randomBytes, randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import type { TestCertificate } from './voice-certificate.ts';
import { decryptAes256GcmRtpSize, OPUS_PAYLOAD_TYPE, rtpSsrc } from './voice-rtp.ts';
import { acceptWebSocket, type WebSocketConnection } from './websocket.ts';

/**
 * A fake Discord voice server on loopback: the voice gateway (version 8, JSON, over TLS) and the UDP media socket.
 * Hello → Identify → Ready (ssrc, UDP port) → IP discovery over UDP → Select Protocol → Session Description (mode
 * `aead_aes256_gcm_rtpsize`, DAVE protocol version 0), heartbeats with `seq_ack`, Speaking, Resume → Resumed. Every
 * RTP packet is decrypted and its Opus payload kept, with its arrival time, per guild, for the tests.
 */

export const VoiceOp = {
  identify: 0,
  selectProtocol: 1,
  ready: 2,
  heartbeat: 3,
  sessionDescription: 4,
  speaking: 5,
  heartbeatAck: 6,
  resume: 7,
  hello: 8,
  resumed: 9,
  clientsConnect: 11,
  clientDisconnect: 13,
} as const;

export const VoiceCloseCode = {
  unknownOpcode: 4001,
  decodeError: 4002,
  notAuthenticated: 4003,
  authenticationFailed: 4004,
  alreadyAuthenticated: 4005,
  sessionNoLongerValid: 4006,
  sessionTimeout: 4009,
  serverNotFound: 4011,
  unknownProtocol: 4012,
  disconnected: 4014,
  voiceServerCrashed: 4015,
  unknownEncryptionMode: 4016,
} as const;

export const ENCRYPTION_MODES = ['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'] as const;

/** One Opus packet the bot sent, decrypted. */
export interface ReceivedOpusPacket {
  readonly guildId: string;
  readonly ssrc: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly nonce: number;
  readonly opus: Buffer;
  /** performance.now() at arrival. */
  readonly at: number;
}

/** One voice gateway payload, either way. */
export interface VoiceFrame {
  readonly at: number;
  readonly guildId: string | null;
  readonly direction: 'received' | 'sent';
  readonly op: number;
  readonly d: unknown;
}

/** A voice session (one bot in one guild): outlives its socket so that a Resume can pick it up. */
export interface FakeVoiceSession {
  readonly guildId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly ssrc: number;
  readonly secretKey: Buffer;
  /** What identify asked for (`max_dave_protocol_version`). */
  readonly maxDaveProtocolVersion: number | null;
  mode: string | null;
  /** The client's UDP address, once IP discovery happened. */
  remote: { address: string; port: number } | null;
  /** The last server sequence number sent, and the last one the client acknowledged. */
  seq: number;
  seqAck: number | null;
  socket: WebSocketConnection | null;
  resumes: number;
  keepAlives: number;
  speaking: boolean;
  /** The nonce last seen, to check that it only grows. */
  lastNonce: number;
  /** False once the server ended it (a non-resumable close): a Resume is refused. */
  resumable: boolean;
  readonly sent: { seq: number; payload: string }[];
}

export type VoiceDropOptions = { code?: number; reason?: string; abrupt?: false } | { abrupt: true };

export interface FakeVoiceServerOptions {
  readonly certificate: Pick<TestCertificate, 'certPem' | 'keyPem'>;
  /** Hello's heartbeat_interval; Discord's is 13750 ms. */
  readonly heartbeatIntervalMs?: number;
}

interface ExpectedIdentity {
  readonly guildId: string;
  readonly userId: string;
  readonly sessionId: string;
}

interface VoiceServerEvents {
  changed: [];
}

export class FakeVoiceServer {
  /** `host:port` for VOICE_SERVER_UPDATE's `endpoint`. */
  readonly endpoint: string;
  readonly udpPort: number;
  readonly sessions = new Map<string, FakeVoiceSession>();
  readonly frames: VoiceFrame[] = [];
  /** Protocol violations seen (bad tags, unknown SSRCs, nonces going back); the tests expect none. */
  readonly errors: string[] = [];
  /** Each guild's voice channel as the bot last asked for it through op 4 (null: it left). */
  readonly botChannels = new Map<string, string | null>();
  #packets = new Map<string, ReceivedOpusPacket[]>();
  #tokens = new Map<string, ExpectedIdentity>();
  #https: Server;
  #udp: Socket;
  #heartbeatIntervalMs: number;
  #events = new EventEmitter<VoiceServerEvents>();
  #sockets = new Set<WebSocketConnection>();
  /** Every session ever identified, current and replaced, for matching late datagrams by SSRC. */
  #allSessions: FakeVoiceSession[] = [];

  private constructor(https: Server, udp: Socket, options: FakeVoiceServerOptions) {
    this.#https = https;
    this.#udp = udp;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 13_750;
    this.endpoint = `127.0.0.1:${(https.address() as AddressInfo).port}`;
    this.udpPort = udp.address().port;
    this.#events.setMaxListeners(0);
    https.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrade(request, socket, head);
    });
    udp.on('message', (message, remote) => {
      this.#onDatagram(message, remote);
    });
  }

  static async start(options: FakeVoiceServerOptions): Promise<FakeVoiceServer> {
    const https = createServer({ cert: options.certificate.certPem, key: options.certificate.keyPem });
    https.on('request', (_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain' });
      response.end('Upgrade Required');
    });
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    const udp = createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    return new FakeVoiceServer(https, udp, options);
  }

  /** A token for VOICE_SERVER_UPDATE; identify must then carry this guild, user and gateway session. */
  issueToken(guildId: string, userId: string, sessionId: string): string {
    const token = randomBytes(8).toString('hex');
    this.#tokens.set(token, { guildId, userId, sessionId });
    return token;
  }

  /** Decrypted Opus packets the bot sent in a guild, in arrival order (every SSRC it had there). */
  packets(guildId: string): readonly ReceivedOpusPacket[] {
    return this.#packets.get(guildId) ?? [];
  }

  /** Forgets what a guild received (between tests). */
  clearPackets(guildId: string): void {
    this.#packets.delete(guildId);
  }

  /** Ends the voice socket of a guild: with a close code (4015 is resumable, 4006 is not) or abruptly (a reset). */
  dropConnection(guildId: string, options: VoiceDropOptions = {}): void {
    const session = this.sessions.get(guildId);
    const socket = session?.socket;
    if (session === undefined || socket === null || socket === undefined) {
      throw new Error(`fake voice: no live voice socket in guild ${guildId}`);
    }
    if (options.abrupt === true) {
      socket.terminate();
      return;
    }
    const code = options.code ?? VoiceCloseCode.voiceServerCrashed;
    if (code !== VoiceCloseCode.voiceServerCrashed && code >= 4000) session.resumable = false;
    socket.close(code, options.reason ?? 'Dropped by the test.');
  }

  /** Called by the op 4 handler: the bot's wanted channel in a guild. */
  setBotChannel(guildId: string, channelId: string | null): void {
    this.botChannels.set(guildId, channelId);
    this.#changed();
  }

  /** The first truthy value of `predicate`, re-checked whenever the server records something. */
  async waitFor<T>(
    predicate: () => T | null | undefined | false,
    timeoutMs = 5000,
    what = 'a voice condition',
  ): Promise<T> {
    const now = predicate();
    if (now !== null && now !== undefined && now !== false) return now;
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = predicate();
        if (value === null || value === undefined || value === false) return;
        finish();
        resolve(value);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`fake voice: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#events.off('changed', check);
      };
      this.#events.on('changed', check);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.terminate();
    this.#https.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.#https.close(() => {
        resolve();
      });
    });
    await new Promise<void>((resolve) => {
      this.#udp.close(() => {
        resolve();
      });
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #changed(): void {
    this.#events.emit('changed');
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'https://localhost');
    const connection = acceptWebSocket(request, socket, head);
    if (connection === null) return;
    this.#sockets.add(connection);
    let session: FakeVoiceSession | null = null;
    const send = (op: number, d: unknown, withSeq: boolean): void => {
      if (connection.readyState !== 'open') return;
      let payload: Record<string, unknown> = { op, d };
      if (withSeq && session !== null) {
        session.seq += 1;
        payload = { op, d, seq: session.seq };
        session.sent.push({ seq: session.seq, payload: JSON.stringify(payload) });
      }
      this.frames.push({ at: performance.now(), guildId: session?.guildId ?? null, direction: 'sent', op, d });
      connection.sendText(JSON.stringify(payload));
      this.#changed();
    };

    connection.on('message', (data, isBinary) => {
      let payload: unknown;
      try {
        payload = isBinary ? null : JSON.parse(data.toString('utf8'));
      } catch {
        payload = null;
      }
      if (!isObject(payload) || typeof payload.op !== 'number') {
        // DAVE's binary opcodes never come with protocol version 0.
        connection.close(VoiceCloseCode.decodeError, 'Failed to decode payload.');
        return;
      }
      const d = payload.d;
      this.frames.push({
        at: performance.now(),
        guildId: session?.guildId ?? null,
        direction: 'received',
        op: payload.op,
        d,
      });
      this.#changed();
      switch (payload.op) {
        case VoiceOp.identify: {
          if (session !== null) {
            connection.close(VoiceCloseCode.alreadyAuthenticated, 'Already authenticated.');
            return;
          }
          const identified = this.#identify(d);
          if (identified === null) {
            connection.close(VoiceCloseCode.authenticationFailed, 'Authentication failed.');
            return;
          }
          session = identified;
          session.socket = connection;
          send(
            VoiceOp.ready,
            {
              ssrc: session.ssrc,
              ip: '127.0.0.1',
              port: this.udpPort,
              modes: [...ENCRYPTION_MODES],
              heartbeat_interval: this.#heartbeatIntervalMs,
              experiments: [],
            },
            true,
          );
          return;
        }
        case VoiceOp.resume: {
          if (session !== null) {
            connection.close(VoiceCloseCode.alreadyAuthenticated, 'Already authenticated.');
            return;
          }
          const resumed = this.#resume(d);
          if (resumed === null) {
            connection.close(VoiceCloseCode.sessionNoLongerValid, 'Session no longer valid.');
            return;
          }
          session = resumed;
          const previous = session.socket;
          if (previous !== null && previous !== connection) previous.terminate();
          session.socket = connection;
          session.resumes += 1;
          const seqAck = isObject(d) && typeof d.seq_ack === 'number' ? d.seq_ack : -1;
          for (const missed of session.sent.filter((entry) => entry.seq > seqAck)) connection.sendText(missed.payload);
          send(VoiceOp.resumed, null, true);
          return;
        }
        case VoiceOp.heartbeat: {
          if (isObject(d) && session !== null && typeof d.seq_ack === 'number') session.seqAck = d.seq_ack;
          send(VoiceOp.heartbeatAck, { t: isObject(d) ? d.t : d }, false);
          return;
        }
        default:
          break;
      }
      if (session === null) {
        connection.close(VoiceCloseCode.notAuthenticated, 'Not authenticated.');
        return;
      }
      switch (payload.op) {
        case VoiceOp.selectProtocol: {
          const data = isObject(d) && isObject(d.data) ? d.data : null;
          const mode = data?.mode;
          if (!isObject(d) || d.protocol !== 'udp' || data === null) {
            connection.close(VoiceCloseCode.unknownProtocol, 'Unknown protocol.');
            return;
          }
          if (mode !== 'aead_aes256_gcm_rtpsize') {
            // The fake decrypts AES-GCM only; @discordjs/voice picks it whenever Node's OpenSSL has it.
            connection.close(VoiceCloseCode.unknownEncryptionMode, 'Unknown encryption mode.');
            return;
          }
          const remote = session.remote;
          if (remote === null || data.address !== remote.address || data.port !== remote.port) {
            this.errors.push(`select protocol before or against IP discovery: ${JSON.stringify(data)}`);
          }
          session.mode = mode;
          send(
            VoiceOp.sessionDescription,
            {
              mode,
              secret_key: [...session.secretKey],
              dave_protocol_version: 0,
              audio_codec: 'opus',
              media_session_id: randomBytes(8).toString('hex'),
            },
            true,
          );
          return;
        }
        case VoiceOp.speaking:
          session.speaking = isObject(d) && typeof d.speaking === 'number' && d.speaking !== 0;
          return;
        default:
          connection.close(VoiceCloseCode.unknownOpcode, 'Unknown opcode.');
      }
    });
    connection.on('close', () => {
      this.#sockets.delete(connection);
      if (session?.socket === connection) session.socket = null;
      this.#changed();
    });
    connection.on('error', () => {
      // A reset; 'close' follows.
    });

    if (url.searchParams.get('v') !== '8') {
      connection.close(VoiceCloseCode.unknownProtocol, 'The fake voice gateway speaks version 8 only.');
      return;
    }
    send(VoiceOp.hello, { heartbeat_interval: this.#heartbeatIntervalMs }, false);
  }

  #identify(d: unknown): FakeVoiceSession | null {
    if (!isObject(d) || typeof d.token !== 'string') return null;
    const expected = this.#tokens.get(d.token);
    if (expected === undefined) return null;
    if (d.server_id !== expected.guildId || d.user_id !== expected.userId || d.session_id !== expected.sessionId) {
      return null;
    }
    const used = new Set(this.#allSessions.map((s) => s.ssrc));
    let ssrc = randomInt(1, 2 ** 31);
    while (used.has(ssrc)) ssrc = randomInt(1, 2 ** 31);
    const session: FakeVoiceSession = {
      guildId: expected.guildId,
      userId: expected.userId,
      sessionId: expected.sessionId,
      ssrc,
      secretKey: randomBytes(32),
      maxDaveProtocolVersion: typeof d.max_dave_protocol_version === 'number' ? d.max_dave_protocol_version : null,
      mode: null,
      remote: null,
      seq: 0,
      seqAck: null,
      socket: null,
      resumes: 0,
      keepAlives: 0,
      speaking: false,
      lastNonce: -1,
      resumable: true,
      sent: [],
    };
    this.sessions.set(session.guildId, session);
    this.#allSessions.push(session);
    return session;
  }

  #resume(d: unknown): FakeVoiceSession | null {
    if (!isObject(d) || typeof d.server_id !== 'string') return null;
    const session = this.sessions.get(d.server_id);
    if (session === undefined || !session.resumable || d.session_id !== session.sessionId) return null;
    const token = typeof d.token === 'string' ? this.#tokens.get(d.token) : undefined;
    if (token?.guildId !== session.guildId) return null;
    return session;
  }

  #sessionBySsrc(ssrc: number): FakeVoiceSession | undefined {
    return this.#allSessions.find((session) => session.ssrc === ssrc);
  }

  #onDatagram(message: Buffer, remote: RemoteInfo): void {
    // IP discovery: type 1, length 70, SSRC, 64 bytes of address, port.
    if (message.length === 74 && message.readUInt16BE(0) === 1) {
      const session = this.#sessionBySsrc(message.readUInt32BE(4));
      if (session === undefined) {
        this.errors.push(`IP discovery for an unknown SSRC ${message.readUInt32BE(4)}`);
        return;
      }
      session.remote = { address: remote.address, port: remote.port };
      const answer = Buffer.alloc(74);
      answer.writeUInt16BE(2, 0);
      answer.writeUInt16BE(70, 2);
      answer.writeUInt32BE(session.ssrc, 4);
      answer.write(remote.address, 8, 'utf8');
      answer.writeUInt16BE(remote.port, 72);
      this.#udp.send(answer, remote.port, remote.address);
      this.#changed();
      return;
    }
    // Keep-alive: an 8-byte counter.
    if (message.length === 8) {
      for (const session of this.#allSessions) {
        if (session.remote?.port === remote.port && session.remote.address === remote.address) session.keepAlives += 1;
      }
      return;
    }
    const ssrc = rtpSsrc(message);
    const session = ssrc === null ? undefined : this.#sessionBySsrc(ssrc);
    if (session === undefined) {
      this.errors.push(`a datagram of ${message.length} bytes for no known SSRC`);
      return;
    }
    const at = performance.now();
    const decrypted = decryptAes256GcmRtpSize(message, session.secretKey);
    if (!decrypted.ok) {
      this.errors.push(`RTP packet from SSRC ${session.ssrc} did not decrypt: ${decrypted.error}`);
      return;
    }
    const packet = decrypted.value;
    if (packet.payloadType !== OPUS_PAYLOAD_TYPE) this.errors.push(`payload type ${packet.payloadType} is not Opus`);
    if (packet.nonce <= session.lastNonce) this.errors.push(`nonce ${packet.nonce} after ${session.lastNonce}`);
    session.lastNonce = packet.nonce;
    const list = this.#packets.get(session.guildId) ?? [];
    list.push({
      guildId: session.guildId,
      ssrc: session.ssrc,
      sequence: packet.sequence,
      timestamp: packet.timestamp,
      nonce: packet.nonce,
      opus: Buffer.from(packet.payload),
      at,
    });
    this.#packets.set(session.guildId, list);
    this.#changed();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
