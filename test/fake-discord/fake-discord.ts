import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Gateway, GatewayOp, type DropOptions, type GatewayOpHandler, type GatewaySession } from './gateway.ts';
import { buildInteraction, type InteractionSpec } from './interactions.ts';
import type { MessageContext } from './messages.ts';
import { multipartBoundary, parseMultipart, type MultipartPart } from './multipart.ts';
import {
  guildCreateObject,
  memberObject,
  userObject,
  type FakeGuildOptions,
  type FakeUserOptions,
  type JsonObject,
} from './objects.ts';
import {
  FakeDiscordRecords,
  WaitTimeoutError,
  type FakeMessage,
  type InteractionCallback,
  type InteractionRecord,
  type RecordedFrame,
  type RecordedRequest,
} from './records.ts';
import { RestApi, type RestResponse } from './rest.ts';
import { createSnowflakeGenerator } from './snowflake.ts';

export interface FakeDiscordOptions {
  /** The bot token: identify and `Authorization: Bot <token>` must carry it. */
  token: string;
  /** Also the bot user's id, as for every bot created since 2016. */
  applicationId: string;
  guilds: FakeGuildOptions[];
  botUsername?: string;
  /** HELLO's heartbeat_interval; Discord's is 41250 ms. */
  heartbeatIntervalMs?: number;
  /** How long the bot has to answer an interaction; Discord's 3 s by default. */
  callbackTimeoutMs?: number;
  /** How long an interaction's token works for follow-ups and edits; Discord's 15 minutes by default. */
  interactionTokenLifetimeMs?: number;
  /** Largest upload, per file; 10 MiB by default. */
  attachmentSizeLimit?: number;
  /**
   * Handlers for gateway opcodes beyond the core protocol, replacing the defaults: op 4 (voice state update) only
   * records by default (the voice fake will answer it with VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE); op 8 answers
   * with one GUILD_MEMBERS_CHUNK.
   */
  gatewayHandlers?: Partial<Record<number, GatewayOpHandler>>;
}

/** An interaction the fake dispatched and the bot's first answer to it. */
export interface AnsweredInteraction {
  id: string;
  token: string;
  /** The INTERACTION_CREATE `d`. */
  object: JsonObject;
  callback: InteractionCallback;
}

export interface DispatchInteractionOptions {
  /** How long to wait for the callback; the fake's callbackTimeoutMs by default. */
  timeoutMs?: number;
}

export interface FakeDiscord extends AsyncDisposable {
  /** For discord.js's `rest: { api }`, e.g. `http://127.0.0.1:PORT/api`. */
  readonly restUrl: string;
  /** What `GET /gateway/bot` answers, e.g. `ws://127.0.0.1:PORT/gateway`. */
  readonly gatewayUrl: string;
  /** READY's `resume_gateway_url`. */
  readonly resumeGatewayUrl: string;
  /** Every HTTP request, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Every gateway payload both ways, in order. */
  readonly frames: readonly RecordedFrame[];
  /** What the bot posted (originals, follow-ups, channel messages), edits applied. */
  readonly messages: readonly FakeMessage[];
  readonly interactions: ReadonlyMap<string, InteractionRecord>;
  /** The commands registered globally, or in a guild. */
  commands(guildId?: string): JsonObject[];
  messagesIn(channelId: string): FakeMessage[];
  /** The original response of an interaction (the deferred one once edited), or null. */
  originalOf(interactionId: string): FakeMessage | null;
  followUpsOf(interactionId: string): FakeMessage[];
  /** Sends INTERACTION_CREATE and resolves with the bot's callback; rejects if none comes in time. */
  dispatchInteraction(spec: InteractionSpec, options?: DispatchInteractionOptions): Promise<AnsweredInteraction>;
  /** Sends any dispatch event to the bot's current session; returns its sequence number. */
  dispatch(t: string, d: unknown): number;
  /** Closes the bot's socket and keeps the session for a resume: with a close code (4000) or abruptly. */
  dropConnection(options?: DropOptions): void;
  /** Changes how long interaction tokens work (for tokens old and new), e.g. to test what a bot does after expiry. */
  setInteractionTokenLifetime(ms: number): void;
  /** Op 7 Reconnect. */
  requestReconnect(): void;
  /** Op 9 Invalid Session. */
  invalidateSession(resumable: boolean): void;
  /** The first truthy value of `predicate`, re-checked whenever the fake records something. */
  waitFor<T>(predicate: () => T | null | undefined | false, timeoutMs?: number, signal?: AbortSignal): Promise<T>;
  close(): Promise<void>;
}

const DISCORD_HEARTBEAT_MS = 41_250;
const DISCORD_CALLBACK_MS = 3_000;
const DISCORD_TOKEN_LIFETIME_MS = 15 * 60_000;
const TEN_MIB = 10 * 1024 * 1024;

/** Starts a fake Discord (gateway and REST) on a free loopback port. */
export async function createFakeDiscord(options: FakeDiscordOptions): Promise<FakeDiscord> {
  const records = new FakeDiscordRecords();
  const snowflake = createSnowflakeGenerator();
  const bot: FakeUserOptions = { id: options.applicationId, username: options.botUsername ?? 'Motif', bot: true };
  const joinedAt = new Date().toISOString();
  const attachmentSizeLimit = options.attachmentSizeLimit ?? TEN_MIB;
  const callbackTimeoutMs = options.callbackTimeoutMs ?? DISCORD_CALLBACK_MS;
  let tokenLifetimeMs = options.interactionTokenLifetimeMs ?? DISCORD_TOKEN_LIFETIME_MS;
  let origin = '';

  const messageContext: MessageContext = {
    snowflake,
    origin: () => origin,
    attachmentSizeLimit,
    register: (attachment) => {
      records.attachments.set(attachment.id, attachment);
    },
  };
  const rest = new RestApi({
    token: options.token,
    applicationId: options.applicationId,
    bot,
    guilds: options.guilds,
    records,
    messageContext,
    gatewayUrl: () => `${origin.replace('http', 'ws')}/gateway`,
    callbackTimeoutMs,
    tokenLifetimeMs: () => tokenLifetimeMs,
  });
  const gateway = new Gateway({
    token: options.token,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DISCORD_HEARTBEAT_MS,
    records,
    resumeUrl: () => `${origin.replace('http', 'ws')}/gateway-resume`,
    readyData: (identify) => ({
      v: 10,
      user: { ...userObject(bot), verified: true, mfa_enabled: false },
      guilds: options.guilds.map((guild) => ({ id: guild.id, unavailable: true })),
      shard: Array.isArray(identify.shard) ? identify.shard : [0, 1],
      application: { id: options.applicationId, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ['us-east'],
      user_settings: {},
      auth: {},
    }),
    guildCreates: () => options.guilds.map((guild) => guildCreateObject(guild, bot, joinedAt)),
    opHandlers: {
      [GatewayOp.voiceStateUpdate]: () => {
        // The voice seam: recorded as a received frame; the voice fake replaces this handler.
      },
      [GatewayOp.requestGuildMembers]: (d, session) => {
        answerMemberRequest(d, session, options.guilds, joinedAt);
      },
      ...options.gatewayHandlers,
    },
  });

  const server = createServer((request, response) => {
    void serve(request, response);
  });
  server.on('upgrade', (request: IncomingMessage, socket, head: Buffer) => {
    if (request.url?.startsWith('/gateway') === true) gateway.handleUpgrade(request, socket, head);
    else socket.destroy();
  });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const { entry, error } = record(request, Buffer.concat(chunks));
    let answer: RestResponse;
    if (error !== null) answer = error;
    else if (entry.path.startsWith('/attachments/')) answer = download(entry.path);
    else answer = rest.handle(entry);
    entry.status = answer.status;
    entry.response = 'json' in answer ? answer.json : null;
    records.changed();
    if ('json' in answer) {
      const body = JSON.stringify(answer.json);
      response.writeHead(answer.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    } else if ('bytes' in answer) {
      response.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': answer.bytes.length });
      response.end(answer.bytes);
    } else {
      response.writeHead(204);
      response.end();
    }
  }

  function record(request: IncomingMessage, body: Buffer): { entry: RecordedRequest; error: RestResponse | null } {
    const url = request.url ?? '/';
    const parsed = new URL(url, 'http://localhost');
    const path = parsed.pathname.replace(/^\/api(?:\/v\d+)?(?=\/)/, '');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const entry: RecordedRequest = {
      order: records.nextOrder(),
      at: Date.now(),
      method: request.method ?? 'GET',
      url,
      path,
      query: Object.fromEntries(parsed.searchParams),
      headers,
      json: null,
      parts: [],
      files: [],
      status: null,
      response: null,
    };
    records.requests.push(entry);
    const contentType = headers['content-type'];
    let jsonText: string | null = null;
    if (multipartBoundary(contentType) !== null) {
      const parts = parseMultipart(body, contentType);
      if (!parts.ok)
        return { entry, error: { status: 400, json: { code: 0, message: `400: Bad Request (${parts.error})` } } };
      entry.parts = parts.value;
      entry.files = parts.value.filter(isFile).map((part) => ({
        field: part.name,
        filename: part.filename,
        contentType: part.contentType,
        bytes: part.data,
      }));
      const payload = parts.value.find((part) => part.name === 'payload_json');
      if (payload !== undefined) jsonText = payload.data.toString('utf8');
    } else if (body.length > 0) {
      jsonText = body.toString('utf8');
    }
    if (jsonText !== null) {
      try {
        entry.json = JSON.parse(jsonText);
      } catch {
        return {
          entry,
          error: { status: 400, json: { code: 50109, message: 'The request body contains invalid JSON.' } },
        };
      }
    }
    return { entry, error: null };
  }

  function download(path: string): RestResponse {
    const id = /^\/attachments\/\d+\/(\d+)\//.exec(path)?.[1];
    const attachment = id === undefined ? undefined : records.attachments.get(id);
    if (attachment === undefined) return { status: 404, json: { message: '404: Not Found', code: 0 } };
    return { status: 200, bytes: attachment.bytes, contentType: attachment.contentType };
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    gateway.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  };

  const fake: FakeDiscord = {
    restUrl: `${origin}/api`,
    gatewayUrl: `${origin.replace('http', 'ws')}/gateway`,
    resumeGatewayUrl: `${origin.replace('http', 'ws')}/gateway-resume`,
    requests: records.requests,
    frames: records.frames,
    messages: records.messages,
    interactions: records.interactions,
    commands: (guildId) => rest.commands.get(guildId ?? 'global') ?? [],
    messagesIn: (channelId) => records.messages.filter((m) => m.channelId === channelId && !m.deleted),
    originalOf: (interactionId) => {
      const id = records.interactions.get(interactionId)?.originalMessageId;
      return records.messages.find((m) => m.id === id && !m.deleted) ?? null;
    },
    followUpsOf: (interactionId) =>
      records.messages.filter((m) => m.interactionId === interactionId && m.kind === 'follow-up' && !m.deleted),
    dispatchInteraction: async (spec, dispatchOptions = {}) => {
      const built = buildInteraction(spec, {
        applicationId: options.applicationId,
        guilds: options.guilds,
        joinedAt,
        snowflake,
        attachmentSizeLimit,
        commandId: (name, guildId) => rest.commandId(name, guildId),
        message: (messageId) => rest.messageObjectOf(messageId),
      });
      if (!built.ok) throw new Error(`fake Discord: cannot build the interaction: ${built.error}`);
      const object = built.value;
      const interaction: InteractionRecord = {
        id: String(object.id),
        token: String(object.token),
        object,
        status: 'pending',
        dispatchedAt: Date.now(),
        callback: null,
        originalMessageId: null,
        followUpIds: [],
        channelId: String(object.channel_id),
        guildId: typeof object.guild_id === 'string' ? object.guild_id : null,
      };
      records.interactions.set(interaction.id, interaction);
      gateway.dispatch('INTERACTION_CREATE', object);
      const timeoutMs = dispatchOptions.timeoutMs ?? callbackTimeoutMs;
      try {
        const callback = await records.waitFor(() => interaction.callback, timeoutMs);
        return { id: interaction.id, token: interaction.token, object, callback };
      } catch (error) {
        if (error instanceof WaitTimeoutError) {
          if (interaction.status === 'pending') interaction.status = 'expired';
          throw new WaitTimeoutError(timeoutMs, `a callback to interaction ${interaction.id}`);
        }
        throw error;
      }
    },
    dispatch: (t, d) => gateway.dispatch(t, d),
    dropConnection: (dropOptions) => {
      gateway.drop(dropOptions);
    },
    setInteractionTokenLifetime: (ms) => {
      tokenLifetimeMs = ms;
    },
    requestReconnect: () => {
      gateway.requestReconnect();
    },
    invalidateSession: (resumable) => {
      gateway.invalidateSessions(resumable);
    },
    waitFor: (predicate, timeoutMs, signal) => records.waitFor(predicate, timeoutMs, signal),
    close,
    [Symbol.asyncDispose]: close,
  };
  return fake;
}

function isFile(part: MultipartPart): part is MultipartPart & { filename: string } {
  return part.filename !== null;
}

function answerMemberRequest(d: unknown, session: GatewaySession, guilds: FakeGuildOptions[], joinedAt: string): void {
  if (typeof d !== 'object' || d === null) return;
  const request = d as JsonObject;
  const guild = guilds.find((g) => g.id === request.guild_id);
  if (guild === undefined) return;
  const query = typeof request.query === 'string' ? request.query.toLowerCase() : '';
  const ids = Array.isArray(request.user_ids) ? request.user_ids : null;
  const members = guild.members.filter((member) =>
    ids !== null ? ids.includes(member.id) : member.username.toLowerCase().startsWith(query),
  );
  session.dispatch('GUILD_MEMBERS_CHUNK', {
    guild_id: guild.id,
    members: members.map((member) => memberObject(member, joinedAt)),
    chunk_index: 0,
    chunk_count: 1,
    ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
  });
}
