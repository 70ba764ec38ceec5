import { EventEmitter } from 'node:events';

import type { MultipartPart } from './multipart.ts';
import type { AttachmentRecord, JsonObject } from './objects.ts';

/** One HTTP request the fake received, as the tests assert on it. */
export interface RecordedRequest {
  /** Position among every request and gateway frame the fake recorded, from 0. */
  order: number;
  at: number;
  method: string;
  /** The raw request target, e.g. `/api/v10/interactions/1/abc/callback?with_response=false`. */
  url: string;
  /** The route without the `/api/v10` prefix and query, e.g. `/interactions/1/abc/callback`. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The JSON body, or a multipart request's `payload_json`; null when there is none. */
  json: unknown;
  /** Every part of a multipart body, in order; empty otherwise. */
  parts: MultipartPart[];
  /** The parts that carry a file name. */
  files: RecordedFile[];
  /** Set when the fake has answered. */
  status: number | null;
  response: unknown;
}

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string | null;
  bytes: Buffer;
}

/** One gateway payload, received from the bot or sent to it. */
export interface RecordedFrame {
  order: number;
  at: number;
  direction: 'received' | 'sent';
  connectionId: number;
  op: number;
  t: string | null;
  s: number | null;
  d: unknown;
}

export type MessageKind = 'original' | 'follow-up' | 'channel';

/** A message the bot posted, as it stands now (edits applied). */
export interface FakeMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  /** The interaction it answers, for originals and follow-ups. */
  interactionId: string | null;
  kind: MessageKind;
  content: string;
  flags: number;
  embeds: unknown[];
  components: unknown[];
  attachments: AttachmentRecord[];
  createdAt: string;
  editedAt: string | null;
  edits: number;
  deleted: boolean;
}

export interface InteractionCallback {
  type: number;
  data: JsonObject | null;
  files: RecordedFile[];
  request: RecordedRequest;
}

export type InteractionStatus = 'pending' | 'acknowledged' | 'expired';

export interface InteractionRecord {
  id: string;
  token: string;
  /** The INTERACTION_CREATE payload as dispatched. */
  object: JsonObject;
  status: InteractionStatus;
  dispatchedAt: number;
  callback: InteractionCallback | null;
  originalMessageId: string | null;
  followUpIds: string[];
  channelId: string;
  guildId: string | null;
}

export class WaitTimeoutError extends Error {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, what: string) {
    super(`fake Discord: ${what} did not happen within ${timeoutMs} ms`);
    this.name = 'WaitTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** Everything the fake saw and holds, with one change signal that `waitFor` listens to. */
export class FakeDiscordRecords {
  readonly requests: RecordedRequest[] = [];
  readonly frames: RecordedFrame[] = [];
  readonly messages: FakeMessage[] = [];
  readonly interactions = new Map<string, InteractionRecord>();
  readonly attachments = new Map<string, AttachmentRecord>();
  readonly #changes = new EventEmitter<{ change: [] }>();
  #order = 0;

  constructor() {
    this.#changes.setMaxListeners(0);
  }

  nextOrder(): number {
    return this.#order++;
  }

  changed(): void {
    this.#changes.emit('change');
  }

  /**
   * Resolves with the first truthy value of `predicate`, checked now and after every change the fake records;
   * rejects with a WaitTimeoutError after `timeoutMs`, or when `signal` aborts.
   */
  async waitFor<T>(predicate: () => T | null | undefined | false, timeoutMs = 5000, signal?: AbortSignal): Promise<T> {
    const now = predicate();
    if (now !== null && now !== undefined && now !== false) return now;
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        let value: T | null | undefined | false;
        try {
          value = predicate();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value === null || value === undefined || value === false) return;
        finish();
        resolve(value);
      };
      const onAbort = (): void => {
        finish();
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new WaitTimeoutError(timeoutMs, predicate.toString().slice(0, 200)));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#changes.off('change', check);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#changes.on('change', check);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
