/**
 * What every voice command needs from its interaction: the asker's voice target (their voice channel and the bot's
 * permissions there, from discord.js's caches), and a voice result turned into the value or a UserError.
 */
import type { BaseInteraction, GuildMember } from 'discord.js';

import { UserError } from '../bot/user-error.ts';
import type { VoiceResult } from '../voice/voice-result.ts';
import { voiceTargetOf, type VoiceTarget } from '../voice/voice-target.ts';

/** The asker's voice target; a UserError outside a server. */
export function voiceAskerOf(interaction: BaseInteraction): VoiceTarget {
  return voiceTargetOf(memberOf(interaction));
}

/** The asker as a member of the server the interaction came from. */
export function memberOf(interaction: BaseInteraction): GuildMember {
  if (!interaction.inGuild()) {
    throw new UserError({ code: 'not-in-guild', message: 'Voice playback works in a server only.' });
  }
  if (!interaction.inCachedGuild()) {
    throw new UserError({
      code: 'guild-not-ready',
      message: 'I do not know this server yet (I may have just joined it): try again in a moment.',
    });
  }
  return interaction.member;
}

/** The guild of the interaction; a UserError outside a server. */
export function guildIdOf(interaction: BaseInteraction): string {
  if (!interaction.inGuild()) {
    throw new UserError({ code: 'not-in-guild', message: 'Voice playback works in a server only.' });
  }
  return interaction.guildId;
}

/** The value, or the voice error as a UserError (its code and message say what to change). */
export function orUserError<T>(result: VoiceResult<T>): T {
  if (!result.ok) throw new UserError({ code: result.error.code, message: result.error.message });
  return result.value;
}
