import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { acceptWebSocket, type WebSocketConnection } from './websocket.ts';

/** A client frame, masked unless told otherwise (RFC 6455 §5.2). */
function frame(opcode: number, payload: Buffer, options: { fin?: boolean; masked?: boolean } = {}): Buffer {
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = options.masked ?? true;
  const head = Buffer.from([((options.fin ?? true) ? 0x80 : 0) | opcode, (masked ? 0x80 : 0) | payload.length]);
  const body = masked ? Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0))) : payload;
  return Buffer.concat([head, masked ? mask : Buffer.alloc(0), body]);
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('WebSocketConnection', () => {
  let server: Server;
  let port: number;
  const accepted: WebSocketConnection[] = [];
  before(async () => {
    server = createServer();
    server.on('upgrade', (request, socket, head: Buffer) => {
      const connection = acceptWebSocket(request, socket, head);
      if (connection) accepted.push(connection);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const connection of accepted) connection.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function handshake(): Promise<{ socket: Socket; connection: WebSocketConnection; received: () => Buffer }> {
    const before = accepted.length;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let bytes = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
    });
    socket.write(
      'GET /gateway HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await until(() => bytes.includes('\r\n\r\n') && accepted.length > before);
    // The accept value of RFC 6455 §1.3's own example.
    assert.match(bytes.toString('latin1'), /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
    const connection = accepted.at(-1);
    assert.ok(connection);
    const headerLength = bytes.indexOf('\r\n\r\n') + 4;
    return { socket, connection, received: () => bytes.subarray(headerLength) };
  }

  test('GIVEN a fragmented masked text message and a ping THEN one message, and a pong with the same payload', async () => {
    const { socket, connection, received } = await handshake();
    const message = once(connection, 'message');
    socket.write(Buffer.concat([frame(0x1, Buffer.from('{"op":'), { fin: false }), frame(0x9, Buffer.from('hi'))]));
    socket.write(frame(0x0, Buffer.from('1}')));
    const [data, isBinary] = (await message) as [Buffer, boolean];
    assert.equal(data.toString(), '{"op":1}');
    assert.equal(isBinary, false);
    await until(() => received().length >= 4);
    assert.deepEqual(received().subarray(0, 4), Buffer.from([0x8a, 2, 0x68, 0x69]));
    socket.destroy();
  });

  test('GIVEN an unmasked client frame THEN the server closes with 1002', async () => {
    const { socket, connection, received } = await handshake();
    const closed = once(connection, 'close');
    socket.write(frame(0x1, Buffer.from('x'), { masked: false }));
    await until(() => received().length >= 4);
    assert.deepEqual(received().subarray(0, 4), Buffer.from([0x88, 0x1e, 0x03, 0xea]));
    socket.write(frame(0x8, Buffer.from([0x03, 0xea])));
    const [code] = (await closed) as [number];
    assert.equal(code, 1002);
  });

  test('GIVEN a server message over 64 KiB THEN it uses the 64-bit length form', async () => {
    const { socket, connection, received } = await handshake();
    connection.sendText('x'.repeat(70_000));
    await until(() => received().length >= 70_010);
    assert.deepEqual(received().subarray(0, 2), Buffer.from([0x81, 127]));
    assert.equal(received().readBigUInt64BE(2), 70_000n);
    socket.destroy();
  });
});
