import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The server side of RFC 6455, just enough for a gateway on loopback: the opening handshake, masked client frames,
 * fragmentation, ping/pong, close codes. No extensions are negotiated (a client offering permessage-deflate gets
 * plain frames, which RFC 6455 §9.1 allows), so compression stays a gateway concern (zlib-stream), as on Discord.
 */

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  noStatus: 1005,
  abnormal: 1006,
  invalidPayload: 1007,
  tooBig: 1009,
} as const;

export interface WebSocketConnectionEvents {
  message: [data: Buffer, isBinary: boolean];
  close: [code: number, reason: string];
  error: [error: Error];
}

export type ReadyState = 'open' | 'closing' | 'closed';

/** Answers the HTTP upgrade; returns null (after writing a 400) when the request is not a valid WebSocket handshake. */
export function acceptWebSocket(request: IncomingMessage, socket: Duplex, head: Buffer): WebSocketConnection | null {
  const key = request.headers['sec-websocket-key'];
  const upgrade = request.headers.upgrade?.toLowerCase();
  const version = request.headers['sec-websocket-version'];
  if (request.method !== 'GET' || upgrade !== 'websocket' || typeof key !== 'string' || version !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return null;
  }
  const accept = createHash('sha1')
    .update(key + HANDSHAKE_GUID)
    .digest('base64');
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  const connection = new WebSocketConnection(socket);
  if (head.length > 0) connection.receive(head);
  return connection;
}

export class WebSocketConnection extends EventEmitter<WebSocketConnectionEvents> {
  #socket: Duplex;
  #buffer: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #fragmentOpcode = 0;
  #state: ReadyState = 'open';
  #closeCode: number = CloseCode.abnormal;
  #closeReason = '';
  #closeTimer: NodeJS.Timeout | null = null;

  constructor(socket: Duplex) {
    super();
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.receive(chunk);
    });
    socket.on('error', (error) => {
      this.emit('error', error);
    });
    socket.on('close', () => {
      this.#finish();
    });
  }

  get readyState(): ReadyState {
    return this.#state;
  }

  sendText(text: string): void {
    this.#sendFrame(Opcode.text, Buffer.from(text, 'utf8'));
  }

  sendBinary(data: Uint8Array): void {
    this.#sendFrame(Opcode.binary, Buffer.from(data));
  }

  /** Starts the closing handshake; the TCP connection ends when the client echoes the close (or after 1 s). */
  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.#state !== 'open') return;
    const reasonBytes = Buffer.from(reason, 'utf8').subarray(0, 123);
    const payload = Buffer.alloc(2 + reasonBytes.length);
    payload.writeUInt16BE(code, 0);
    reasonBytes.copy(payload, 2);
    this.#sendFrame(Opcode.close, payload);
    this.#state = 'closing';
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#closeTimer = setTimeout(() => {
      this.#socket.destroy();
    }, 1000);
    this.#closeTimer.unref();
  }

  /** Drops the TCP connection without a close frame: the client sees 1006, like a network failure. */
  terminate(): void {
    this.#closeCode = CloseCode.abnormal;
    this.#socket.destroy();
  }

  /** Feeds raw bytes from the socket (exposed for the bytes that arrived with the upgrade request). */
  receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#state !== 'closed') {
      const frame = readFrame(this.#buffer);
      if (frame === null) return;
      if (!frame.ok) {
        this.#fail(frame.error === 'too-big' ? CloseCode.tooBig : CloseCode.protocolError, frame.error);
        return;
      }
      this.#buffer = this.#buffer.subarray(frame.value.length);
      this.#handleFrame(frame.value);
    }
  }

  #handleFrame(frame: Frame): void {
    if (!frame.masked) {
      this.#fail(CloseCode.protocolError, 'client frames must be masked');
      return;
    }
    switch (frame.opcode) {
      case Opcode.ping:
        this.#sendFrame(Opcode.pong, frame.payload);
        return;
      case Opcode.pong:
        return;
      case Opcode.close: {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : CloseCode.noStatus;
        const reason = frame.payload.subarray(2).toString('utf8');
        if (this.#state === 'open') {
          this.#sendFrame(Opcode.close, frame.payload.subarray(0, 2));
          this.#closeCode = code;
          this.#closeReason = reason;
        }
        this.#state = 'closing';
        this.#socket.end();
        return;
      }
      case Opcode.text:
      case Opcode.binary:
        if (this.#fragments.length > 0) {
          this.#fail(CloseCode.protocolError, 'new message inside a fragmented one');
          return;
        }
        if (frame.fin) {
          this.#deliver(frame.opcode, frame.payload);
        } else {
          this.#fragmentOpcode = frame.opcode;
          this.#fragments.push(frame.payload);
        }
        return;
      case Opcode.continuation: {
        if (this.#fragments.length === 0) {
          this.#fail(CloseCode.protocolError, 'continuation without a first fragment');
          return;
        }
        this.#fragments.push(frame.payload);
        const size = this.#fragments.reduce((sum, part) => sum + part.length, 0);
        if (size > MAX_MESSAGE_BYTES) {
          this.#fail(CloseCode.tooBig, 'message too big');
          return;
        }
        if (frame.fin) {
          const message = Buffer.concat(this.#fragments);
          this.#fragments = [];
          this.#deliver(this.#fragmentOpcode, message);
        }
        return;
      }
      default:
        this.#fail(CloseCode.protocolError, `unknown opcode ${frame.opcode}`);
    }
  }

  #deliver(opcode: number, payload: Buffer): void {
    if (this.#state !== 'open') return;
    if (opcode === Opcode.text && !isUtf8(payload)) {
      this.#fail(CloseCode.invalidPayload, 'text frame is not UTF-8');
      return;
    }
    this.emit('message', payload, opcode === Opcode.binary);
  }

  #fail(code: number, reason: string): void {
    this.close(code, reason);
    this.#buffer = Buffer.alloc(0);
  }

  #sendFrame(opcode: number, payload: Buffer): void {
    if (this.#state !== 'open' || this.#socket.destroyed) return;
    this.#socket.write(Buffer.concat([frameHeader(opcode, payload.length), payload]));
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.emit('close', this.#closeCode, this.#closeReason);
  }
}

interface Frame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
  /** Bytes the frame took in the buffer, header included. */
  length: number;
}

type FrameResult = { ok: true; value: Frame } | { ok: false; error: 'too-big' | 'reserved-bits' | 'bad-control-frame' };

/** Reads one frame from the start of `buffer`; null when it is not all there yet. */
function readFrame(buffer: Buffer): FrameResult | null {
  if (buffer.length < 2) return null;
  const first = buffer.readUInt8(0);
  const second = buffer.readUInt8(1);
  const fin = (first & 0x80) !== 0;
  const opcode = first & 0x0f;
  const masked = (second & 0x80) !== 0;
  if ((first & 0x70) !== 0) return { ok: false, error: 'reserved-bits' };
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    const big = buffer.readBigUInt64BE(2);
    if (big > BigInt(MAX_MESSAGE_BYTES)) return { ok: false, error: 'too-big' };
    length = Number(big);
    offset = 10;
  }
  if (length > MAX_MESSAGE_BYTES) return { ok: false, error: 'too-big' };
  if (opcode >= 0x8 && (!fin || length > 125)) return { ok: false, error: 'bad-control-frame' };
  const maskOffset = offset;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return null;
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (masked) {
    for (let i = 0; i < payload.length; i++) {
      payload.writeUInt8(payload.readUInt8(i) ^ buffer.readUInt8(maskOffset + (i % 4)), i);
    }
  }
  return { ok: true, value: { fin, opcode, masked, payload, length: offset + length } };
}

function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) return Buffer.from([0x80 | opcode, length]);
  if (length < 0x10000) {
    const header = Buffer.alloc(4);
    header.writeUInt8(0x80 | opcode, 0);
    header.writeUInt8(126, 1);
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header.writeUInt8(0x80 | opcode, 0);
  header.writeUInt8(127, 1);
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
