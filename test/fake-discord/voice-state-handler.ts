import type { FakeDiscord } from './fake-discord.ts';
import type { GatewayOpHandler, GatewaySession } from './gateway.ts';
import { memberObject, type FakeMemberOptions, type FakeUserOptions, type JsonObject } from './objects.ts';
import { VoiceCloseCode, type FakeVoiceServer } from './voice-server.ts';

/**
 * The main gateway's side of voice: op 4 (Update Voice State) answered as Discord does, with VOICE_STATE_UPDATE
 * (carrying `member`) and, when joining, VOICE_SERVER_UPDATE pointing at the fake voice server. Pass the result as
 * `gatewayHandlers: { 4: createVoiceStateHandler(...) }` to createFakeDiscord.
 */

export interface VoiceStateHandlerOptions {
  readonly voice: FakeVoiceServer;
  /** The bot user (its id is the application id). */
  readonly bot: FakeUserOptions;
  /** `joined_at` of the member objects; any ISO date. */
  readonly joinedAt?: string;
}

const JOINED_AT = '2026-01-01T00:00:00.000Z';

export function createVoiceStateHandler(options: VoiceStateHandlerOptions): GatewayOpHandler {
  const joinedAt = options.joinedAt ?? JOINED_AT;
  return (d: unknown, session: GatewaySession) => {
    if (!isObject(d) || typeof d.guild_id !== 'string') return;
    const guildId = d.guild_id;
    const channelId = typeof d.channel_id === 'string' ? d.channel_id : null;
    options.voice.setBotChannel(guildId, channelId);
    session.dispatch(
      'VOICE_STATE_UPDATE',
      voiceStateObject({
        guildId,
        channelId,
        member: { ...options.bot, bot: true },
        sessionId: session.id,
        selfMute: d.self_mute === true,
        selfDeaf: d.self_deaf === true,
        joinedAt,
      }),
    );
    if (channelId === null) return;
    session.dispatch('VOICE_SERVER_UPDATE', {
      token: options.voice.issueToken(guildId, options.bot.id, session.id),
      guild_id: guildId,
      endpoint: options.voice.endpoint,
    });
  };
}

export interface VoiceStateSpec {
  readonly guildId: string;
  readonly channelId: string | null;
  readonly member: FakeMemberOptions;
  /** The member's gateway session; any string for a user. */
  readonly sessionId?: string;
  readonly selfMute?: boolean;
  readonly selfDeaf?: boolean;
  readonly joinedAt?: string;
}

export function voiceStateObject(spec: VoiceStateSpec): JsonObject {
  return {
    guild_id: spec.guildId,
    channel_id: spec.channelId,
    user_id: spec.member.id,
    member: memberObject(spec.member, spec.joinedAt ?? JOINED_AT),
    session_id: spec.sessionId ?? `user-session-${spec.member.id}`,
    deaf: false,
    mute: false,
    self_deaf: spec.selfDeaf ?? false,
    self_mute: spec.selfMute ?? false,
    self_stream: false,
    self_video: false,
    suppress: false,
    request_to_speak_timestamp: null,
  };
}

/** Puts a member in a voice channel (or, with null, out of voice), as the bot will then see it. */
export function moveMemberToVoice(
  fake: Pick<FakeDiscord, 'dispatch'>,
  guildId: string,
  member: FakeMemberOptions,
  channelId: string | null,
): number {
  return fake.dispatch('VOICE_STATE_UPDATE', voiceStateObject({ guildId, channelId, member }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface MoveBotOptions {
  readonly fake: Pick<FakeDiscord, 'dispatch'>;
  readonly voice: FakeVoiceServer;
  readonly bot: FakeUserOptions;
  readonly guildId: string;
  readonly channelId: string;
}

/**
 * Someone drags the bot to another voice channel: its voice socket closes with 4014, and the main gateway sends its
 * new voice state and a new voice server, as Discord does.
 */
export function moveBotToVoice(options: MoveBotOptions): void {
  const { fake, voice, bot, guildId, channelId } = options;
  const session = voice.sessions.get(guildId);
  if (session === undefined) throw new Error(`fake voice: the bot has no voice session in guild ${guildId}`);
  voice.dropConnection(guildId, { code: VoiceCloseCode.disconnected, reason: 'Moved.' });
  fake.dispatch(
    'VOICE_STATE_UPDATE',
    voiceStateObject({ guildId, channelId, member: { ...bot, bot: true }, sessionId: session.sessionId }),
  );
  fake.dispatch('VOICE_SERVER_UPDATE', {
    token: voice.issueToken(guildId, bot.id, session.sessionId),
    guild_id: guildId,
    endpoint: voice.endpoint,
  });
}
