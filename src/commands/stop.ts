/** /stop: stops playback (the radio too) and clears the queue; the bot stays in the channel until it is idle a while. */
import { InteractionContextType } from 'discord.js';

import type { BotCommand } from '../bot/command.ts';
import { guildIdOf, orUserError } from './voice-asker.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';

export function createStopCommand(options: VoiceCommandsOptions): BotCommand {
  return {
    data: {
      name: 'stop',
      description: 'Stop playback in voice and clear the queue',
      contexts: [InteractionContextType.Guild],
    },
    async execute(interaction) {
      const stopped = orUserError(options.controls.stop(guildIdOf(interaction)));
      const cleared =
        stopped.cleared === 0 ? '' : ` (${stopped.cleared} queued ${stopped.cleared === 1 ? 'clip' : 'clips'} cleared)`;
      await interaction.reply({ content: `⏹ Stopped${cleared}.`, allowedMentions: { parse: [] } });
    },
  };
}
