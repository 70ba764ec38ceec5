import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { constants as zlibConstants, createDeflate, deflateSync, type Deflate } from 'node:zlib';

import type { JsonObject } from './objects.ts';
import type { FakeDiscordRecords } from './records.ts';
import { acceptWebSocket, type WebSocketConnection } from './websocket.ts';

/** Gateway opcodes (API v10). */
export const GatewayOp = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  presenceUpdate: 3,
  voiceStateUpdate: 4,
  resume: 6,
  reconnect: 7,
  requestGuildMembers: 8,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
} as const;

export const GatewayCloseCode = {
  unknownError: 4000,
  unknownOpcode: 4001,
  decodeError: 4002,
  notAuthenticated: 4003,
  authenticationFailed: 4004,
  alreadyAuthenticated: 4005,
  invalidSeq: 4007,
  invalidApiVersion: 4012,
  invalidIntents: 4013,
} as const;

export const GatewayIntent = { guilds: 1 << 0, guildMembers: 1 << 1, guildVoiceStates: 1 << 7 } as const;

const SUPPORTED_VERSIONS = new Set(['9', '10']);

/**
 * Answers an opcode the core protocol does not own. This is the seam for voice: op 4 (voice state update) gets a
 * handler that calls `session.dispatch('VOICE_STATE_UPDATE', ...)` and `session.dispatch('VOICE_SERVER_UPDATE', ...)`.
 */
export type GatewayOpHandler = (d: unknown, session: GatewaySession) => void;

export interface GatewayOptions {
  token: string;
  heartbeatIntervalMs: number;
  records: FakeDiscordRecords;
  /** Where READY tells the bot to resume (discord.js appends `?v=10&encoding=json`). */
  resumeUrl: () => string;
  /** READY's `d`, without `session_id` and `resume_gateway_url`, which the gateway adds. */
  readyData: (identify: JsonObject) => JsonObject;
  /** One GUILD_CREATE `d` per guild, sent after READY when the GUILDS intent is on. */
  guildCreates: () => JsonObject[];
  opHandlers: Partial<Record<number, GatewayOpHandler>>;
}

export interface DispatchRecord {
  s: number;
  t: string;
  d: unknown;
}

/** A gateway session: survives its socket, so that a RESUME on a new socket replays what was missed. */
export class GatewaySession {
  readonly id: string;
  readonly intents: number;
  readonly identify: JsonObject;
  readonly log: DispatchRecord[] = [];
  seq = 0;
  resumable = true;
  connection: GatewayConnection | null = null;

  constructor(identify: JsonObject, intents: number) {
    this.id = randomBytes(16).toString('hex');
    this.identify = identify;
    this.intents = intents;
  }

  /** Sends a dispatch now, or keeps it for the replay when the bot is between sockets. Returns its sequence. */
  dispatch(t: string, d: unknown): number {
    const record: DispatchRecord = { s: ++this.seq, t, d };
    this.log.push(record);
    if (this.connection?.state === 'live') this.connection.send({ op: GatewayOp.dispatch, t, s: record.s, d });
    return record.s;
  }
}

type ConnectionState = 'awaiting-identify' | 'live' | 'closed';

export class GatewayConnection {
  readonly id: number;
  readonly url: string;
  readonly socket: WebSocketConnection;
  state: ConnectionState = 'awaiting-identify';
  session: GatewaySession | null = null;
  #records: FakeDiscordRecords;
  #deflate: Deflate | null = null;
  #deflated: Buffer[] = [];
  #payloadCompression = false;

  constructor(id: number, url: string, socket: WebSocketConnection, records: FakeDiscordRecords, zlibStream: boolean) {
    this.id = id;
    this.url = url;
    this.socket = socket;
    this.#records = records;
    if (zlibStream) {
      this.#deflate = createDeflate();
      this.#deflate.on('data', (chunk: Buffer) => {
        this.#deflated.push(chunk);
      });
    }
  }

  /** Identify's `compress: true` (payload compression), honoured only without transport compression, as Discord. */
  enablePayloadCompression(): void {
    if (this.#deflate === null) this.#payloadCompression = true;
  }

  send(payload: { op: number; d: unknown; t?: string | null; s?: number | null }): void {
    if (this.socket.readyState !== 'open') return;
    const full = { op: payload.op, d: payload.d, s: payload.s ?? null, t: payload.t ?? null };
    this.#records.frames.push({
      order: this.#records.nextOrder(),
      at: Date.now(),
      direction: 'sent',
      connectionId: this.id,
      op: full.op,
      t: full.t,
      s: full.s,
      d: full.d,
    });
    this.#records.changed();
    const text = JSON.stringify(full);
    const deflate = this.#deflate;
    if (deflate !== null) {
      // zlib-stream: one deflate context per connection, each payload ends with a sync flush (00 00 ff ff).
      // Flush callbacks run in write order, each after its own output, so each takes what has come out so far.
      deflate.write(text);
      deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        const frame = Buffer.concat(this.#deflated);
        this.#deflated = [];
        if (this.socket.readyState === 'open') this.socket.sendBinary(frame);
      });
    } else if (this.#payloadCompression) {
      this.socket.sendBinary(deflateSync(text));
    } else {
      this.socket.sendText(text);
    }
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  dispose(): void {
    this.state = 'closed';
    this.#deflate?.close();
  }
}

export type DropOptions = { code?: number; reason?: string; abrupt?: false } | { abrupt: true };

export class Gateway {
  readonly sessions = new Map<string, GatewaySession>();
  readonly connections = new Set<GatewayConnection>();
  #options: GatewayOptions;
  #nextConnectionId = 1;

  constructor(options: GatewayOptions) {
    this.#options = options;
  }

  /** The newest session still able to receive (connected or resumable): where dispatches go. */
  get currentSession(): GatewaySession | null {
    const sessions = [...this.sessions.values()].filter((session) => session.resumable);
    return sessions.at(-1) ?? null;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const socketConnection = acceptWebSocket(request, socket, head);
    if (socketConnection === null) return;
    const compress = url.searchParams.get('compress');
    const connection = new GatewayConnection(
      this.#nextConnectionId++,
      request.url ?? '/',
      socketConnection,
      this.#options.records,
      compress === 'zlib-stream',
    );
    this.connections.add(connection);
    socketConnection.on('message', (data, isBinary) => {
      this.#onMessage(connection, data, isBinary);
    });
    socketConnection.on('close', (code) => {
      this.#onClose(connection, code);
    });
    socketConnection.on('error', () => {
      // A reset socket is a drop; 'close' follows and handles it.
    });

    const version = url.searchParams.get('v');
    if (version === null || !SUPPORTED_VERSIONS.has(version)) {
      connection.close(GatewayCloseCode.invalidApiVersion, 'Invalid API version.');
      return;
    }
    if ((url.searchParams.get('encoding') ?? 'json') !== 'json') {
      connection.close(GatewayCloseCode.decodeError, 'The fake gateway speaks encoding=json only.');
      return;
    }
    if (compress !== null && compress !== 'zlib-stream') {
      connection.close(GatewayCloseCode.decodeError, `The fake gateway does not speak compress=${compress}.`);
      return;
    }
    connection.send({ op: GatewayOp.hello, d: { heartbeat_interval: this.#options.heartbeatIntervalMs } });
  }

  /** Sends a dispatch to the current session (kept for replay if the bot is between sockets). */
  dispatch(t: string, d: unknown): number {
    const session = this.currentSession;
    if (session === null) throw new Error('fake Discord: no gateway session; has the bot logged in?');
    return session.dispatch(t, d);
  }

  /** Closes every live socket but keeps sessions resumable: with a close code (default 4000) or, abruptly, none. */
  drop(options: DropOptions = {}): void {
    for (const connection of this.connections) {
      if (options.abrupt === true) connection.socket.terminate();
      else connection.close(options.code ?? GatewayCloseCode.unknownError, options.reason ?? 'Dropped by the test.');
    }
  }

  /** Op 7: asks the bot to reconnect and resume. */
  requestReconnect(): void {
    for (const connection of this.connections) {
      if (connection.state === 'live') connection.send({ op: GatewayOp.reconnect, d: null });
    }
  }

  /** Op 9 to every live socket; without `resumable` the sessions are gone and the bot must identify again. */
  invalidateSessions(resumable: boolean): void {
    for (const connection of this.connections) {
      if (connection.state !== 'live') continue;
      if (!resumable && connection.session !== null) connection.session.resumable = false;
      connection.send({ op: GatewayOp.invalidSession, d: resumable });
    }
  }

  close(): void {
    for (const connection of this.connections) {
      connection.socket.terminate();
      connection.dispose();
    }
    this.connections.clear();
  }

  #onMessage(connection: GatewayConnection, data: Buffer, isBinary: boolean): void {
    const records = this.#options.records;
    let payload: unknown;
    try {
      payload = JSON.parse(data.toString('utf8'));
    } catch {
      connection.close(GatewayCloseCode.decodeError, 'Error while decoding payload.');
      return;
    }
    if (isBinary || !isObject(payload) || typeof payload.op !== 'number') {
      connection.close(GatewayCloseCode.decodeError, 'Error while decoding payload.');
      return;
    }
    const op = payload.op;
    records.frames.push({
      order: records.nextOrder(),
      at: Date.now(),
      direction: 'received',
      connectionId: connection.id,
      op,
      t: null,
      s: null,
      d: payload.d ?? null,
    });
    records.changed();

    switch (op) {
      case GatewayOp.heartbeat:
        connection.send({ op: GatewayOp.heartbeatAck, d: null });
        return;
      case GatewayOp.identify:
        this.#identify(connection, payload.d);
        return;
      case GatewayOp.resume:
        this.#resume(connection, payload.d);
        return;
      default: {
        if (connection.state !== 'live' || connection.session === null) {
          connection.close(GatewayCloseCode.notAuthenticated, 'Not authenticated.');
          return;
        }
        if (op === GatewayOp.presenceUpdate) return;
        const handler = this.#options.opHandlers[op];
        if (handler === undefined) {
          connection.close(GatewayCloseCode.unknownOpcode, 'Unknown opcode.');
          return;
        }
        handler(payload.d, connection.session);
      }
    }
  }

  #identify(connection: GatewayConnection, d: unknown): void {
    if (connection.state !== 'awaiting-identify') {
      connection.close(GatewayCloseCode.alreadyAuthenticated, 'Already authenticated.');
      return;
    }
    if (!isObject(d) || d.token !== this.#options.token) {
      connection.close(GatewayCloseCode.authenticationFailed, 'Authentication failed.');
      return;
    }
    if (typeof d.intents !== 'number' || !Number.isInteger(d.intents) || d.intents < 0) {
      connection.close(GatewayCloseCode.invalidIntents, 'Invalid intent(s).');
      return;
    }
    if (d.compress === true) connection.enablePayloadCompression();
    const session = new GatewaySession(d, d.intents);
    this.sessions.set(session.id, session);
    connection.session = session;
    connection.state = 'live';
    session.connection = connection;
    session.dispatch('READY', {
      ...this.#options.readyData(d),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.#options.resumeUrl(),
    });
    if ((session.intents & GatewayIntent.guilds) !== 0) {
      for (const guild of this.#options.guildCreates()) session.dispatch('GUILD_CREATE', guild);
    }
  }

  #resume(connection: GatewayConnection, d: unknown): void {
    if (connection.state !== 'awaiting-identify') {
      connection.close(GatewayCloseCode.alreadyAuthenticated, 'Already authenticated.');
      return;
    }
    if (!isObject(d) || d.token !== this.#options.token) {
      connection.close(GatewayCloseCode.authenticationFailed, 'Authentication failed.');
      return;
    }
    const session = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
    if (session === undefined || !session.resumable) {
      connection.send({ op: GatewayOp.invalidSession, d: false });
      return;
    }
    const seq = typeof d.seq === 'number' ? d.seq : 0;
    if (seq > session.seq) {
      connection.close(GatewayCloseCode.invalidSeq, 'Invalid seq.');
      return;
    }
    const previous = session.connection;
    if (previous !== null && previous !== connection) {
      previous.session = null;
      previous.socket.terminate();
    }
    connection.session = session;
    session.connection = connection;
    for (const missed of session.log.filter((record) => record.s > seq)) {
      connection.send({ op: GatewayOp.dispatch, t: missed.t, s: missed.s, d: missed.d });
    }
    connection.state = 'live';
    session.dispatch('RESUMED', null);
  }

  #onClose(connection: GatewayConnection, code: number): void {
    connection.dispose();
    this.connections.delete(connection);
    const session = connection.session;
    if (session === null || session.connection !== connection) return;
    session.connection = null;
    // A client that closes with 1000 or 1001 ends its session; any other close leaves it resumable.
    if (code === 1000 || code === 1001) session.resumable = false;
    this.#options.records.changed();
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
