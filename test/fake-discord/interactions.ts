import { randomBytes } from 'node:crypto';

import {
  ALL_PERMISSIONS,
  ChannelType,
  channelObject,
  memberObject,
  type FakeGuildOptions,
  type JsonObject,
} from './objects.ts';

/** Interaction types (API v10). */
export const InteractionType = { applicationCommand: 2, messageComponent: 3, autocomplete: 4 } as const;

/** Interaction callback types (API v10). */
export const CallbackType = {
  pong: 1,
  channelMessageWithSource: 4,
  deferredChannelMessageWithSource: 5,
  deferredUpdateMessage: 6,
  updateMessage: 7,
  autocompleteResult: 8,
  modal: 9,
} as const;

export interface CommandOptionSpec {
  name: string;
  /** An application command option type: 1 subcommand, 3 string, 4 integer, 5 boolean, 10 number ... */
  type: number;
  value?: string | number | boolean;
  options?: CommandOptionSpec[];
  focused?: boolean;
}

interface SpecBase {
  /** Defaults to the first guild. */
  guildId?: string;
  /** Defaults to the guild's first text channel (for components: the message's channel). */
  channelId?: string;
  /** The member who acts; defaults to the guild's first member. */
  userId?: string;
  locale?: string;
}

export interface CommandSpec extends SpecBase {
  kind: 'command';
  name: string;
  options?: CommandOptionSpec[];
}

export interface ComponentSpec extends SpecBase {
  kind: 'component';
  customId: string;
  /** The bot's message the component is on. */
  messageId: string;
  /** 2 button (the default), 3 string select. */
  componentType?: number;
  values?: string[];
}

export interface AutocompleteSpec extends SpecBase {
  kind: 'autocomplete';
  name: string;
  /** One of them carries `focused: true`. */
  options: CommandOptionSpec[];
}

export type InteractionSpec = CommandSpec | ComponentSpec | AutocompleteSpec;

export interface InteractionContext {
  applicationId: string;
  guilds: FakeGuildOptions[];
  joinedAt: string;
  snowflake: () => string;
  attachmentSizeLimit: number;
  /** The registered command of that name (guild first, then global), for `data.id`. */
  commandId: (name: string, guildId: string) => string | null;
  /** The message object a component sits on. */
  message: (messageId: string) => JsonObject | null;
}

export type BuildResult = { ok: true; value: JsonObject } | { ok: false; error: string };

/** Builds an INTERACTION_CREATE payload shaped like Discord's for a guild interaction. */
export function buildInteraction(spec: InteractionSpec, context: InteractionContext): BuildResult {
  const guild = spec.guildId === undefined ? context.guilds[0] : context.guilds.find((g) => g.id === spec.guildId);
  if (guild === undefined) return { ok: false, error: `no guild ${spec.guildId ?? '(none configured)'}` };
  const member = spec.userId === undefined ? guild.members[0] : guild.members.find((m) => m.id === spec.userId);
  if (member === undefined) return { ok: false, error: `no member ${spec.userId ?? '(none)'} in guild ${guild.id}` };

  let message: JsonObject | null = null;
  if (spec.kind === 'component') {
    message = context.message(spec.messageId);
    if (message === null) return { ok: false, error: `no message ${spec.messageId} to click on` };
  }
  const messageChannel = typeof message?.channel_id === 'string' ? message.channel_id : undefined;
  const channelId =
    spec.channelId ??
    messageChannel ??
    guild.channels.find((c) => (c.type ?? ChannelType.text) === ChannelType.text)?.id;
  const channel = guild.channels.find((c) => c.id === channelId);
  if (channel === undefined) return { ok: false, error: `no channel ${channelId ?? '(none)'} in guild ${guild.id}` };

  const locale = spec.locale ?? 'en-US';
  const base: JsonObject = {
    id: context.snowflake(),
    application_id: context.applicationId,
    token: `aW50ZXJhY3Rpb246${randomBytes(48).toString('base64url')}`,
    version: 1,
    guild: { id: guild.id, locale: 'en-US', features: [] },
    guild_id: guild.id,
    guild_locale: 'en-US',
    channel: { ...channelObject(channel, guild.id, guild.channels.indexOf(channel)), permissions: ALL_PERMISSIONS },
    channel_id: channel.id,
    member: { ...memberObject(member, context.joinedAt), permissions: member.permissions ?? ALL_PERMISSIONS },
    app_permissions: ALL_PERMISSIONS,
    locale,
    entitlements: [],
    authorizing_integration_owners: { '0': guild.id },
    context: 0,
    attachment_size_limit: context.attachmentSizeLimit,
  };

  switch (spec.kind) {
    case 'command':
    case 'autocomplete': {
      const data: JsonObject = {
        id: context.commandId(spec.name, guild.id) ?? context.snowflake(),
        name: spec.name,
        type: 1,
      };
      if (spec.options !== undefined) {
        data.options = spec.options;
        const resolved = resolvedOptions(spec.options, guild, context.joinedAt);
        if (resolved !== null) data.resolved = resolved;
      }
      const type = spec.kind === 'command' ? InteractionType.applicationCommand : InteractionType.autocomplete;
      return { ok: true, value: { ...base, type, data } };
    }
    case 'component': {
      const componentType = spec.componentType ?? 2;
      const data: JsonObject = { custom_id: spec.customId, component_type: componentType };
      if (spec.values !== undefined) data.values = spec.values;
      return { ok: true, value: { ...base, type: InteractionType.messageComponent, data, message } };
    }
  }
}

/** Option types whose values are ids that Discord resolves into objects (`data.resolved`). */
const OptionType = { user: 6, channel: 7 } as const;

/** `data.resolved` for the user and channel options (subcommands included), as Discord sends it; null if none. */
function resolvedOptions(options: CommandOptionSpec[], guild: FakeGuildOptions, joinedAt: string): JsonObject | null {
  const channels: JsonObject = {};
  const users: JsonObject = {};
  const members: JsonObject = {};
  const walk = (list: CommandOptionSpec[]): void => {
    for (const option of list) {
      if (option.options !== undefined) walk(option.options);
      const id = String(option.value);
      if (option.type === OptionType.channel) {
        const channel = guild.channels.find((c) => c.id === id);
        if (channel !== undefined) {
          const object = channelObject(channel, guild.id, guild.channels.indexOf(channel));
          channels[id] = { ...object, permissions: ALL_PERMISSIONS };
        }
      }
      if (option.type === OptionType.user) {
        const member = guild.members.find((m) => m.id === id);
        if (member !== undefined) {
          const { user, ...rest } = memberObject(member, joinedAt);
          users[id] = user;
          members[id] = { ...rest, permissions: member.permissions ?? ALL_PERMISSIONS };
        }
      }
    }
  };
  walk(options);
  const resolved: JsonObject = {};
  if (Object.keys(channels).length > 0) resolved.channels = channels;
  if (Object.keys(users).length > 0) {
    resolved.users = users;
    resolved.members = members;
  }
  return Object.keys(resolved).length > 0 ? resolved : null;
}
