/** /leave: stops everything and leaves the voice channel. */
import { InteractionContextType } from 'discord.js';

import type { BotCommand } from '../bot/command.ts';
import { guildIdOf, orUserError } from './voice-asker.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';

export function createLeaveCommand(options: VoiceCommandsOptions): BotCommand {
  return {
    data: {
      name: 'leave',
      description: 'Leave the voice channel',
      contexts: [InteractionContextType.Guild],
    },
    async execute(interaction) {
      const left = orUserError(options.controls.leave(guildIdOf(interaction)));
      await interaction.reply({ content: `👋 Left <#${left.channelId}>.`, allowedMentions: { parse: [] } });
    },
  };
}
