/** /styles: every style with its one-line description, and how to mix them. */
import { MessageFlags } from 'discord.js';

import type { BotCommand } from '../bot/command.ts';
import { STYLE_NAMES, STYLES } from '../music/styles.ts';

export function createStylesCommand(): BotCommand {
  return {
    data: { name: 'styles', description: 'The styles Motif composes in' },
    async execute(interaction) {
      const lines = STYLE_NAMES.map((name) => `**${name}**: ${STYLES[name].description}`);
      await interaction.reply({
        content: `${lines.join('\n')}\n\nMix them with weights: \`/compose style:lofi:0.6,jazz:0.4\`.`,
        flags: MessageFlags.Ephemeral,
      });
    },
  };
}
