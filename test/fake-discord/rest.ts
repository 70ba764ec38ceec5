import { CallbackType, InteractionType } from './interactions.ts';
import { applyMessageBody, invalidFormBody, messageObject, type ApiError, type MessageContext } from './messages.ts';
import { MessageFlag, userObject, type FakeGuildOptions, type FakeUserOptions, type JsonObject } from './objects.ts';
import type { FakeDiscordRecords, FakeMessage, InteractionRecord, MessageKind, RecordedRequest } from './records.ts';

export type RestResponse =
  { status: number; json: unknown } | { status: 204 } | { status: number; bytes: Buffer; contentType: string };

export interface RestOptions {
  token: string;
  applicationId: string;
  bot: FakeUserOptions;
  guilds: FakeGuildOptions[];
  records: FakeDiscordRecords;
  messageContext: MessageContext;
  gatewayUrl: () => string;
  /** Discord's 3 s: a callback later than this gets 10062 Unknown interaction. */
  callbackTimeoutMs: number;
  /** Discord's 15 minutes: after this, the interaction's webhook routes answer 401 Invalid Webhook Token. */
  tokenLifetimeMs: () => number;
}

interface Route {
  method: string;
  pattern: RegExp;
  /** Whether the route needs `Authorization: Bot <token>` (interaction and webhook routes do not). */
  auth: boolean;
  handle: (request: RecordedRequest, params: string[]) => RestResponse;
}

const UNKNOWN_INTERACTION: ApiError = { status: 404, body: { code: 10062, message: 'Unknown interaction' } };
const UNKNOWN_WEBHOOK: ApiError = { status: 404, body: { code: 10015, message: 'Unknown Webhook' } };
const UNKNOWN_MESSAGE: ApiError = { status: 404, body: { code: 10008, message: 'Unknown Message' } };
const UNKNOWN_CHANNEL: ApiError = { status: 404, body: { code: 10003, message: 'Unknown Channel' } };
const MISSING_ACCESS: ApiError = { status: 403, body: { code: 50001, message: 'Missing Access' } };
const INVALID_WEBHOOK_TOKEN: ApiError = { status: 401, body: { code: 50027, message: 'Invalid Webhook Token' } };
const ALREADY_ACKNOWLEDGED: ApiError = {
  status: 400,
  body: { code: 40060, message: 'Interaction has already been acknowledged.' },
};

const COMMAND_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** The REST API (v10) routes the bot uses, over the fake's records. */
export class RestApi {
  readonly commands = new Map<string, JsonObject[]>();
  #options: RestOptions;
  #routes: Route[];

  constructor(options: RestOptions) {
    this.#options = options;
    const app = '(\\d+)';
    const token = '([^/]+)';
    this.#routes = [
      { method: 'GET', pattern: /^\/gateway\/bot$/, auth: true, handle: () => this.#gatewayBot() },
      { method: 'GET', pattern: /^\/gateway$/, auth: false, handle: () => ok({ url: options.gatewayUrl() }) },
      { method: 'GET', pattern: /^\/users\/@me$/, auth: true, handle: () => this.#me() },
      { method: 'GET', pattern: /^\/applications\/@me$/, auth: true, handle: () => this.#application() },
      ...this.#commandRoutes(new RegExp(`^/applications/${app}/commands`), 'global'),
      ...this.#commandRoutes(new RegExp(`^/applications/${app}/guilds/(\\d+)/commands`), 'guild'),
      {
        method: 'POST',
        pattern: new RegExp(`^/interactions/(\\d+)/${token}/callback$`),
        auth: false,
        handle: (request, [id, tok]) => this.#callback(request, id ?? '', tok ?? ''),
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/webhooks/${app}/${token}$`),
        auth: false,
        handle: (request, [appId, tok]) => this.#followUp(request, appId ?? '', tok ?? ''),
      },
      ...['GET', 'PATCH', 'DELETE'].map((method) => ({
        method,
        pattern: new RegExp(`^/webhooks/${app}/${token}/messages/(@original|\\d+)$`),
        auth: false,
        handle: (request: RecordedRequest, [appId, tok, messageId]: string[]) =>
          this.#webhookMessage(request, appId ?? '', tok ?? '', messageId ?? ''),
      })),
      {
        method: 'POST',
        pattern: /^\/channels\/(\d+)\/messages$/,
        auth: true,
        handle: (request, [channelId]) => this.#channelMessage(request, channelId ?? ''),
      },
      {
        method: 'GET',
        pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
        auth: true,
        handle: (_request, [channelId, messageId]) => this.#getChannelMessage(channelId ?? '', messageId ?? ''),
      },
      {
        method: 'PATCH',
        pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
        auth: true,
        handle: (request, [channelId, messageId]) =>
          this.#editChannelMessage(request, channelId ?? '', messageId ?? ''),
      },
      {
        method: 'GET',
        pattern: /^\/channels\/(\d+)$/,
        auth: true,
        handle: (_request, [channelId]) => this.#channel(channelId ?? ''),
      },
    ];
  }

  handle(request: RecordedRequest): RestResponse {
    let pathMatched = false;
    // Clients percent-encode reserved characters in route parameters (discord.js sends `%40original`).
    const path = request.path.replace(/%40/gi, '@');
    for (const route of this.#routes) {
      const match = route.pattern.exec(path);
      if (match === null) continue;
      pathMatched = true;
      if (route.method !== request.method) continue;
      if (route.auth && request.headers.authorization !== `Bot ${this.#options.token}`) {
        return { status: 401, json: { message: '401: Unauthorized', code: 0 } };
      }
      return route.handle(
        request,
        match.slice(1).map((part) => decodeURIComponent(part)),
      );
    }
    return pathMatched
      ? { status: 405, json: { message: '405: Method Not Allowed', code: 0 } }
      : { status: 404, json: { message: '404: Not Found', code: 0 } };
  }

  /** The message object of a message the bot posted, for a component's `message` field. */
  messageObjectOf(messageId: string): JsonObject | null {
    const message = this.#options.records.messages.find((m) => m.id === messageId && !m.deleted);
    return message === undefined ? null : this.#messageObject(message);
  }

  commandId(name: string, guildId: string): string | null {
    const byName = (scope: string): string | null => {
      const id = this.commands.get(scope)?.find((command) => command.name === name)?.id;
      return typeof id === 'string' ? id : null;
    };
    return byName(guildId) ?? byName('global');
  }

  #gatewayBot(): RestResponse {
    return ok({
      url: this.#options.gatewayUrl(),
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
    });
  }

  #me(): RestResponse {
    return ok({
      ...userObject({ ...this.#options.bot, bot: true }),
      verified: true,
      mfa_enabled: false,
      locale: 'en-US',
    });
  }

  #application(): RestResponse {
    const bot = this.#options.bot;
    return ok({
      id: this.#options.applicationId,
      name: bot.username,
      icon: null,
      description: '',
      bot_public: false,
      bot_require_code_grant: false,
      bot: userObject({ ...bot, bot: true }),
      flags: 0,
      verify_key: '0'.repeat(64),
      team: null,
      owner: userObject(this.#options.guilds[0]?.members[0] ?? bot),
    });
  }

  #commandRoutes(prefix: RegExp, scope: 'global' | 'guild'): Route[] {
    const source = prefix.source;
    const list = new RegExp(`${source}$`);
    const one = new RegExp(`${source}/(\\d+)$`);
    const scopeOf = (params: string[]): { appId: string; key: string; guildId: string | null } => {
      const guildId = scope === 'guild' ? (params[1] ?? '') : null;
      return { appId: params[0] ?? '', key: guildId ?? 'global', guildId };
    };
    const guard = (appId: string, guildId: string | null): RestResponse | null => {
      if (appId !== this.#options.applicationId) return apiError(MISSING_ACCESS);
      if (guildId !== null && !this.#options.guilds.some((guild) => guild.id === guildId))
        return apiError(MISSING_ACCESS);
      return null;
    };
    return [
      {
        method: 'GET',
        pattern: list,
        auth: true,
        handle: (_request, params) => {
          const { appId, key, guildId } = scopeOf(params);
          return guard(appId, guildId) ?? ok(this.commands.get(key) ?? []);
        },
      },
      {
        method: 'PUT',
        pattern: list,
        auth: true,
        handle: (request, params) => {
          const { appId, key, guildId } = scopeOf(params);
          const refused = guard(appId, guildId);
          if (refused !== null) return refused;
          if (!Array.isArray(request.json)) return apiError(invalidFormBody('_', 'LIST_TYPE', 'Must be an array.'));
          const previous = this.commands.get(key) ?? [];
          const next: JsonObject[] = [];
          for (const [index, body] of request.json.entries()) {
            const command = this.#command(body, previous, guildId);
            if (!command.ok) return apiError(prefixErrors(command.error, String(index)));
            next.push(command.value);
          }
          this.commands.set(key, next);
          return ok(next);
        },
      },
      {
        method: 'POST',
        pattern: list,
        auth: true,
        handle: (request, params) => {
          const { appId, key, guildId } = scopeOf(params);
          const refused = guard(appId, guildId);
          if (refused !== null) return refused;
          const previous = this.commands.get(key) ?? [];
          const command = this.#command(request.json, previous, guildId);
          if (!command.ok) return apiError(command.error);
          const existed = previous.some((c) => c.id === command.value.id);
          this.commands.set(key, [...previous.filter((c) => c.id !== command.value.id), command.value]);
          return { status: existed ? 200 : 201, json: command.value };
        },
      },
      {
        method: 'GET',
        pattern: one,
        auth: true,
        handle: (_request, params) => {
          const { appId, key, guildId } = scopeOf(params);
          const found = this.commands.get(key)?.find((c) => c.id === params.at(-1));
          return guard(appId, guildId) ?? (found === undefined ? apiError(unknownCommand()) : ok(found));
        },
      },
      {
        method: 'DELETE',
        pattern: one,
        auth: true,
        handle: (_request, params) => {
          const { appId, key, guildId } = scopeOf(params);
          const refused = guard(appId, guildId);
          if (refused !== null) return refused;
          const previous = this.commands.get(key) ?? [];
          if (!previous.some((c) => c.id === params.at(-1))) return apiError(unknownCommand());
          this.commands.set(
            key,
            previous.filter((c) => c.id !== params.at(-1)),
          );
          return { status: 204 };
        },
      },
    ];
  }

  #command(
    body: unknown,
    previous: JsonObject[],
    guildId: string | null,
  ): { ok: true; value: JsonObject } | { ok: false; error: ApiError } {
    if (!isObject(body)) return { ok: false, error: invalidFormBody('_', 'DICT_TYPE', 'Must be an object.') };
    const type = typeof body.type === 'number' ? body.type : 1;
    const name = body.name;
    if (typeof name !== 'string' || !COMMAND_NAME.test(name) || (type === 1 && name !== name.toLowerCase())) {
      return {
        ok: false,
        error: invalidFormBody('name', 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid'),
      };
    }
    const description = typeof body.description === 'string' ? body.description : '';
    if (type === 1 && (description.length < 1 || description.length > 100)) {
      return {
        ok: false,
        error: invalidFormBody('description', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.'),
      };
    }
    const existing = previous.find((c) => c.name === name && c.type === type);
    const snowflake = this.#options.messageContext.snowflake;
    const command: JsonObject = {
      id: typeof existing?.id === 'string' ? existing.id : snowflake(),
      application_id: this.#options.applicationId,
      version: snowflake(),
      type,
      name,
      name_localizations: body.name_localizations ?? null,
      description,
      description_localizations: body.description_localizations ?? null,
      options: Array.isArray(body.options) ? body.options : [],
      default_member_permissions: body.default_member_permissions ?? null,
      dm_permission: body.dm_permission ?? true,
      contexts: body.contexts ?? null,
      integration_types: body.integration_types ?? [0],
      nsfw: body.nsfw ?? false,
    };
    if (guildId !== null) command.guild_id = guildId;
    return { ok: true, value: command };
  }

  #callback(request: RecordedRequest, id: string, token: string): RestResponse {
    const interaction = this.#options.records.interactions.get(id);
    if (interaction?.token !== token) return apiError(UNKNOWN_INTERACTION);
    if (interaction.status === 'acknowledged') return apiError(ALREADY_ACKNOWLEDGED);
    if (interaction.status === 'expired' || Date.now() - interaction.dispatchedAt > this.#options.callbackTimeoutMs) {
      interaction.status = 'expired';
      return apiError(UNKNOWN_INTERACTION);
    }
    if (!isObject(request.json) || typeof request.json.type !== 'number') {
      return apiError(invalidFormBody('type', 'BASE_TYPE_REQUIRED', 'This field is required'));
    }
    const type = request.json.type;
    const data = isObject(request.json.data) ? request.json.data : null;
    const kind = interaction.object.type;
    const allowed: Record<number, readonly number[]> = {
      [InteractionType.applicationCommand]: [4, 5, 9],
      [InteractionType.messageComponent]: [4, 5, 6, 7, 9],
      [InteractionType.autocomplete]: [8],
    };
    if (!(typeof kind === 'number' ? (allowed[kind] ?? []) : []).includes(type)) {
      return apiError(
        invalidFormBody('type', 'INTERACTION_RESPONSE_TYPE_INVALID', 'Invalid interaction response type'),
      );
    }

    let message: FakeMessage | null = null;
    switch (type) {
      case CallbackType.channelMessageWithSource: {
        const created = this.#createMessage('original', interaction, data ?? {}, request, (data?.flags ?? 0) as number);
        if (!created.ok) return apiError(created.error);
        message = created.value;
        interaction.originalMessageId = message.id;
        break;
      }
      case CallbackType.deferredChannelMessageWithSource: {
        const flags = MessageFlag.loading | (Number(data?.flags ?? 0) & MessageFlag.ephemeral);
        message = this.#newMessage('original', interaction.channelId, interaction.guildId, interaction.id, flags);
        this.#options.records.messages.push(message);
        interaction.originalMessageId = message.id;
        break;
      }
      case CallbackType.deferredUpdateMessage:
      case CallbackType.updateMessage: {
        const target = this.#componentMessage(interaction);
        if (target === null) return apiError(UNKNOWN_MESSAGE);
        if (type === CallbackType.updateMessage) {
          const edited = this.#editMessage(target, data ?? {}, request);
          if (!edited.ok) return apiError(edited.error);
        }
        message = target;
        interaction.originalMessageId = target.id;
        break;
      }
    }

    interaction.status = 'acknowledged';
    interaction.callback = { type, data, files: request.files, request };
    this.#options.records.changed();
    if (request.query.with_response !== 'true') return { status: 204 };
    return ok({
      interaction: {
        id: interaction.id,
        type: interaction.object.type,
        response_message_id: message?.id ?? null,
        response_message_loading: message !== null && (message.flags & MessageFlag.loading) !== 0,
        response_message_ephemeral: message !== null && (message.flags & MessageFlag.ephemeral) !== 0,
      },
      resource: { type, ...(message === null ? {} : { message: this.#messageObject(message) }) },
    });
  }

  #followUp(request: RecordedRequest, appId: string, token: string): RestResponse {
    const interaction = this.#interactionByToken(appId, token);
    if (interaction?.status !== 'acknowledged') return apiError(UNKNOWN_WEBHOOK);
    if (this.#tokenExpired(interaction)) return apiError(INVALID_WEBHOOK_TOKEN);
    const body = isObject(request.json) ? request.json : {};
    // The first follow-up after a deferred reply fills the "thinking" message instead of posting a new one.
    const original = this.#original(interaction);
    let message: FakeMessage;
    if (original !== null && (original.flags & MessageFlag.loading) !== 0) {
      const edited = this.#editMessage(original, body, request);
      if (!edited.ok) return apiError(edited.error);
      message = original;
    } else {
      const created = this.#createMessage('follow-up', interaction, body, request, Number(body.flags ?? 0));
      if (!created.ok) return apiError(created.error);
      message = created.value;
      interaction.followUpIds.push(message.id);
    }
    this.#options.records.changed();
    return request.query.wait === 'true' ? ok(this.#messageObject(message)) : { status: 204 };
  }

  #webhookMessage(request: RecordedRequest, appId: string, token: string, messageId: string): RestResponse {
    const interaction = this.#interactionByToken(appId, token);
    if (interaction === null) return apiError(UNKNOWN_WEBHOOK);
    if (this.#tokenExpired(interaction)) return apiError(INVALID_WEBHOOK_TOKEN);
    const message =
      messageId === '@original'
        ? this.#original(interaction)
        : (this.#options.records.messages.find(
            (m) => m.id === messageId && m.interactionId === interaction.id && !m.deleted,
          ) ?? null);
    if (message === null) return apiError(UNKNOWN_MESSAGE);
    switch (request.method) {
      case 'GET':
        return ok(this.#messageObject(message));
      case 'DELETE':
        message.deleted = true;
        this.#options.records.changed();
        return { status: 204 };
      default: {
        const edited = this.#editMessage(message, isObject(request.json) ? request.json : {}, request);
        if (!edited.ok) return apiError(edited.error);
        this.#options.records.changed();
        return ok(this.#messageObject(message));
      }
    }
  }

  #channelMessage(request: RecordedRequest, channelId: string): RestResponse {
    const guild = this.#options.guilds.find((g) => g.channels.some((c) => c.id === channelId));
    if (guild === undefined) return apiError(UNKNOWN_CHANNEL);
    const body = isObject(request.json) ? request.json : {};
    const message = this.#newMessage('channel', channelId, guild.id, null, Number(body.flags ?? 0));
    const applied = applyMessageBody(message, body, request.files, this.#options.messageContext, 'create');
    if (!applied.ok) return apiError(applied.error);
    this.#options.records.messages.push(message);
    this.#options.records.changed();
    return ok(this.#messageObject(message));
  }

  #getChannelMessage(channelId: string, messageId: string): RestResponse {
    const message = this.#options.records.messages.find(
      (m) => m.id === messageId && m.channelId === channelId && !m.deleted,
    );
    return message === undefined ? apiError(UNKNOWN_MESSAGE) : ok(this.#messageObject(message));
  }

  /**
   * Edit Message: every message here is the bot's own. An ephemeral interaction response is not a channel message:
   * Discord answers Unknown Message for it.
   */
  #editChannelMessage(request: RecordedRequest, channelId: string, messageId: string): RestResponse {
    const message = this.#options.records.messages.find(
      (m) => m.id === messageId && m.channelId === channelId && !m.deleted,
    );
    if (message === undefined || (message.flags & MessageFlag.ephemeral) !== 0) return apiError(UNKNOWN_MESSAGE);
    const edited = this.#editMessage(message, isObject(request.json) ? request.json : {}, request);
    if (!edited.ok) return apiError(edited.error);
    this.#options.records.changed();
    return ok(this.#messageObject(message));
  }

  #tokenExpired(interaction: InteractionRecord): boolean {
    return Date.now() - interaction.dispatchedAt > this.#options.tokenLifetimeMs();
  }

  #channel(channelId: string): RestResponse {
    for (const guild of this.#options.guilds) {
      const index = guild.channels.findIndex((c) => c.id === channelId);
      const channel = guild.channels[index];
      if (channel !== undefined) {
        return ok({ id: channel.id, type: channel.type ?? 0, guild_id: guild.id, name: channel.name, position: index });
      }
    }
    return apiError(UNKNOWN_CHANNEL);
  }

  #createMessage(
    kind: MessageKind,
    interaction: InteractionRecord,
    body: JsonObject,
    request: RecordedRequest,
    flags: number,
  ): { ok: true; value: FakeMessage } | { ok: false; error: ApiError } {
    const message = this.#newMessage(kind, interaction.channelId, interaction.guildId, interaction.id, flags);
    const applied = applyMessageBody(message, body, request.files, this.#options.messageContext, 'create');
    if (!applied.ok) return applied;
    this.#options.records.messages.push(message);
    return { ok: true, value: message };
  }

  #editMessage(
    message: FakeMessage,
    body: JsonObject,
    request: RecordedRequest,
  ): { ok: true } | { ok: false; error: ApiError } {
    const applied = applyMessageBody(message, body, request.files, this.#options.messageContext, 'edit');
    if (!applied.ok) return applied;
    message.flags &= ~MessageFlag.loading;
    message.editedAt = new Date().toISOString();
    message.edits += 1;
    return { ok: true };
  }

  #newMessage(
    kind: MessageKind,
    channelId: string,
    guildId: string | null,
    interactionId: string | null,
    flags: number,
  ): FakeMessage {
    return {
      id: this.#options.messageContext.snowflake(),
      channelId,
      guildId,
      interactionId,
      kind,
      content: '',
      flags,
      embeds: [],
      components: [],
      attachments: [],
      createdAt: new Date().toISOString(),
      editedAt: null,
      edits: 0,
      deleted: false,
    };
  }

  #interactionByToken(appId: string, token: string): InteractionRecord | null {
    if (appId !== this.#options.applicationId) return null;
    for (const interaction of this.#options.records.interactions.values()) {
      if (interaction.token === token) return interaction;
    }
    return null;
  }

  #original(interaction: InteractionRecord): FakeMessage | null {
    const id = interaction.originalMessageId;
    return this.#options.records.messages.find((m) => m.id === id && !m.deleted) ?? null;
  }

  #componentMessage(interaction: InteractionRecord): FakeMessage | null {
    const message = interaction.object.message;
    const id = isObject(message) ? message.id : undefined;
    return this.#options.records.messages.find((m) => m.id === id && !m.deleted) ?? null;
  }

  #messageObject(message: FakeMessage): JsonObject {
    const interaction =
      message.interactionId === null ? null : (this.#options.records.interactions.get(message.interactionId) ?? null);
    return messageObject(message, { bot: this.#options.bot, applicationId: this.#options.applicationId, interaction });
  }
}

function ok(json: unknown): RestResponse {
  return { status: 200, json };
}

function apiError(error: ApiError): RestResponse {
  return { status: error.status, json: error.body };
}

function unknownCommand(): ApiError {
  return { status: 404, body: { code: 10063, message: 'Unknown application command' } };
}

function prefixErrors(error: ApiError, index: string): ApiError {
  return error.body.errors === undefined
    ? error
    : { ...error, body: { ...error.body, errors: { [index]: error.body.errors } } };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
