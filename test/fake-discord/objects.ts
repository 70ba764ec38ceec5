/**
 * Builders for the API objects the fake sends, shaped like Discord's (API v10) so that discord.js's structures
 * (Guild, GuildMember, Message, Attachment, ChatInputCommandInteraction ...) construct from them as from the real thing.
 */

export type JsonObject = Record<string, unknown>;

export const ChannelType = { text: 0, voice: 2, category: 4 } as const;

export const MessageFlag = { ephemeral: 1 << 6, loading: 1 << 7 } as const;

/** Every permission bit up to 2^51: what an administrator sees. A decimal string, as the API sends bitfields. */
export const ALL_PERMISSIONS = ((1n << 51n) - 1n).toString();

export interface FakeUserOptions {
  id: string;
  username: string;
  globalName?: string;
  bot?: boolean;
}

export interface FakeMemberOptions extends FakeUserOptions {
  nick?: string;
  roles?: string[];
  /** The member's permissions in interactions, a decimal bitfield string; every permission by default. */
  permissions?: string;
}

export interface FakeChannelOptions {
  id: string;
  name: string;
  /** A Discord channel type: 0 text (the default), 2 voice, 4 category. */
  type?: number;
}

export interface FakeGuildOptions {
  id: string;
  name: string;
  channels: FakeChannelOptions[];
  members: FakeMemberOptions[];
  /** Defaults to the first member, or the bot when there is none. */
  ownerId?: string;
}

export function userObject(user: FakeUserOptions): JsonObject {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.globalName ?? null,
    avatar: null,
    avatar_decoration_data: null,
    banner: null,
    accent_color: null,
    public_flags: 0,
    flags: 0,
    bot: user.bot ?? false,
    system: false,
  };
}

export function memberObject(member: FakeMemberOptions, joinedAt: string): JsonObject {
  return {
    user: userObject(member),
    nick: member.nick ?? null,
    avatar: null,
    banner: null,
    roles: member.roles ?? [],
    joined_at: joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  };
}

export function channelObject(channel: FakeChannelOptions, guildId: string, position: number): JsonObject {
  const type = channel.type ?? ChannelType.text;
  const base: JsonObject = {
    id: channel.id,
    type,
    guild_id: guildId,
    name: channel.name,
    position,
    permission_overwrites: [],
    parent_id: null,
    nsfw: false,
    flags: 0,
  };
  if (type === ChannelType.voice) {
    return { ...base, bitrate: 64000, user_limit: 0, rtc_region: null, rate_limit_per_user: 0, last_message_id: null };
  }
  if (type === ChannelType.text) {
    return { ...base, topic: null, rate_limit_per_user: 0, last_message_id: null };
  }
  return base;
}

export function everyoneRole(guildId: string): JsonObject {
  return {
    id: guildId,
    name: '@everyone',
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: 0,
    permissions: ALL_PERMISSIONS,
    managed: false,
    mentionable: false,
    flags: 0,
  };
}

/** The GUILD_CREATE payload: a full guild with the bot among its members. */
export function guildCreateObject(guild: FakeGuildOptions, bot: FakeUserOptions, joinedAt: string): JsonObject {
  const members = [...guild.members, { ...bot, bot: true }];
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: guild.ownerId ?? guild.members[0]?.id ?? bot.id,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    nsfw_level: 0,
    premium_tier: 0,
    premium_subscription_count: 0,
    premium_progress_bar_enabled: false,
    preferred_locale: 'en-US',
    features: [],
    roles: [everyoneRole(guild.id)],
    emojis: [],
    stickers: [],
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    vanity_url_code: null,
    max_members: 500000,
    max_video_channel_users: 25,
    joined_at: joinedAt,
    large: false,
    unavailable: false,
    lazy: true,
    member_count: members.length,
    members: members.map((member) => memberObject(member, joinedAt)),
    channels: guild.channels.map((channel, index) => {
      const object = channelObject(channel, guild.id, index);
      delete object.guild_id; // GUILD_CREATE channels carry no guild_id
      return object;
    }),
    threads: [],
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export interface AttachmentRecord {
  id: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
  /** Where the bytes can be downloaded back from the fake. */
  url: string;
  description: string | null;
}

export function attachmentObject(attachment: AttachmentRecord): JsonObject {
  return {
    id: attachment.id,
    filename: attachment.filename,
    size: attachment.bytes.length,
    url: attachment.url,
    proxy_url: attachment.url,
    content_type: attachment.contentType,
    description: attachment.description,
    flags: 0,
  };
}

/** Guesses a media type from a file name, as Discord's CDN does. */
export function contentTypeOf(filename: string, declared: string | null): string {
  const byExtension: Record<string, string> = {
    ogg: 'audio/ogg',
    opus: 'audio/ogg',
    mid: 'audio/midi',
    midi: 'audio/midi',
    png: 'image/png',
    jpg: 'image/jpeg',
    wav: 'audio/wav',
    txt: 'text/plain; charset=utf-8',
    json: 'application/json; charset=utf-8',
  };
  const extension = filename.slice(filename.lastIndexOf('.') + 1).toLowerCase();
  return byExtension[extension] ?? (declared !== null && declared !== '' ? declared : 'application/octet-stream');
}
