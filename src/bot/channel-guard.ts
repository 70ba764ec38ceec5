import type { BaseInteraction } from 'discord.js';

import type { GuildSettingsStore } from './guild-settings.ts';
import { UserError } from './user-error.ts';

/** Throws UserError when the guild's /settings keep Motif out of the interaction's channel. */
export function ensureAllowedChannel(settings: Pick<GuildSettingsStore, 'get'>, interaction: BaseInteraction): void {
  if (interaction.guildId === null || interaction.channelId === null) return;
  const allowed = settings.get(interaction.guildId).allowedChannels;
  if (allowed.length === 0 || allowed.includes(interaction.channelId)) return;
  throw new UserError({
    code: 'channel-not-allowed',
    message: `Motif composes in ${allowed.map((id) => `<#${id}>`).join(', ')} in this server: ask there.`,
  });
}
