import { createInflate, constants as zlibConstants } from 'node:zlib';

/** A minimal gateway client on Node's own WebSocket (undici), for testing the fake without discord.js. */
export interface GatewayPayload {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

export interface RawGatewayClient {
  /** The next payload from the fake, in order. */
  next(timeoutMs?: number): Promise<GatewayPayload>;
  send(payload: { op: number; d: unknown }): void;
  /** Resolves with the close code once the socket closes. */
  readonly closed: Promise<number>;
  close(code?: number): void;
}

export async function connectGateway(url: string, options: { zlibStream?: boolean } = {}): Promise<RawGatewayClient> {
  const queue: GatewayPayload[] = [];
  const waiters: ((payload: GatewayPayload) => void)[] = [];
  const push = (payload: GatewayPayload): void => {
    const waiter = waiters.shift();
    if (waiter) waiter(payload);
    else queue.push(payload);
  };

  const inflate = options.zlibStream === true ? createInflate({ flush: zlibConstants.Z_SYNC_FLUSH }) : null;
  let inflated: Buffer[] = [];
  inflate?.on('data', (chunk: Buffer) => {
    inflated.push(chunk);
  });

  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  socket.addEventListener('message', (event: { data: unknown }) => {
    const data = event.data;
    if (typeof data === 'string') {
      push(JSON.parse(data) as GatewayPayload);
      return;
    }
    if (inflate === null || !(data instanceof ArrayBuffer)) throw new Error('unexpected binary frame');
    inflate.write(Buffer.from(data), () => {
      const text = Buffer.concat(inflated).toString('utf8');
      inflated = [];
      push(JSON.parse(text) as GatewayPayload);
    });
  });
  const closed = new Promise<number>((resolve) => {
    socket.addEventListener('close', (event: CloseEvent) => {
      resolve(event.code);
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => {
      resolve();
    });
    socket.addEventListener('error', () => {
      reject(new Error(`cannot connect to ${url}`));
    });
  });

  return {
    next: (timeoutMs = 2000) => {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise<GatewayPayload>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(deliver), 1);
          reject(new Error(`no gateway payload within ${timeoutMs} ms`));
        }, timeoutMs);
        const deliver = (payload: GatewayPayload): void => {
          clearTimeout(timer);
          resolve(payload);
        };
        waiters.push(deliver);
      });
    },
    send: (payload) => {
      socket.send(JSON.stringify(payload));
    },
    closed,
    close: (code = 1000) => {
      socket.close(code);
      inflate?.close();
    },
  };
}
