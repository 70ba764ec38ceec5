/**
 * Where a voice command wants the bot: the asker's voice channel and whether the bot may join it, as plain data
 * (voiceTargetOf reads it from discord.js), checked by checkVoiceTarget before anything connects.
 */
import type { DiscordGatewayAdapterCreator } from '@discordjs/voice';
import { PermissionFlagsBits, type GuildMember } from 'discord.js';

import type { VoiceUser } from './voice-clip.ts';
import { voiceError, voiceOk, type VoiceResult } from './voice-result.ts';

export interface VoiceTarget {
  readonly guildId: string;
  readonly asker: VoiceUser;
  /** The asker's voice channel; null when they are not in one. */
  readonly channelId: string | null;
  readonly channelName: string | null;
  /** The bot may see and connect to the channel. */
  readonly botCanConnect: boolean;
  readonly botCanSpeak: boolean;
  /** The channel is at its user limit and the bot may not move members (which lets it join anyway). */
  readonly channelFull: boolean;
  /** The guild's voice adapter: `guild.voiceAdapterCreator`. */
  readonly adapterCreator: DiscordGatewayAdapterCreator;
}

/** A target the checks passed: the asker is in a channel the bot can join and speak in. */
export interface JoinableTarget extends VoiceTarget {
  readonly channelId: string;
  readonly channelName: string;
}

/** Reads the asker's voice state and the bot's permissions there from discord.js's caches. */
export function voiceTargetOf(member: GuildMember): VoiceTarget {
  const channel = member.voice.channel;
  const me = member.guild.members.me;
  const permissions = channel !== null && me !== null ? channel.permissionsFor(me) : null;
  return {
    guildId: member.guild.id,
    asker: { id: member.id, name: member.displayName },
    channelId: channel?.id ?? null,
    channelName: channel?.name ?? null,
    botCanConnect: permissions?.has([PermissionFlagsBits.ViewChannel, PermissionFlagsBits.Connect]) ?? false,
    botCanSpeak: permissions?.has(PermissionFlagsBits.Speak) ?? false,
    channelFull: channel !== null && channel.full && permissions?.has(PermissionFlagsBits.MoveMembers) !== true,
    adapterCreator: member.guild.voiceAdapterCreator,
  };
}

export interface VoiceSettings {
  /** The guild's `/settings` voice switch. */
  readonly voiceEnabled: boolean;
}

/** The reasons a voice command cannot go ahead, in the order a user should fix them. */
export function checkVoiceTarget(target: VoiceTarget, settings: VoiceSettings): VoiceResult<JoinableTarget> {
  if (!settings.voiceEnabled) {
    return voiceError(
      'voice-off',
      'Voice playback is turned off in this server (a manager can turn it on in /settings).',
    );
  }
  const { channelId, channelName } = target;
  if (channelId === null || channelName === null) {
    return voiceError('not-in-voice', 'Join a voice channel first, then ask again.');
  }
  if (!target.botCanConnect) {
    return voiceError(
      'missing-connect',
      `I am not allowed to connect to ${channelName}: give me the Connect permission there.`,
    );
  }
  if (!target.botCanSpeak) {
    return voiceError(
      'missing-speak',
      `I am not allowed to speak in ${channelName}: give me the Speak permission there.`,
    );
  }
  if (target.channelFull) return voiceError('channel-full', `${channelName} is full.`);
  return voiceOk({ ...target, channelId, channelName });
}
