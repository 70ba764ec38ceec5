/** /taste: what Motif has learned the caller likes, as a picture (likes and dislikes per dimension) and a sentence. */
import { InteractionContextType, MessageFlags } from 'discord.js';

import type { BotCommand } from '../bot/command.ts';
import { renderTastePicture } from '../taste/taste-picture.ts';
import { summariseTaste } from '../taste/taste-summary.ts';
import type { TasteReader } from '../taste/taste-reader.ts';

export interface TasteCommandOptions {
  readonly taste: Pick<TasteReader, 'profile'>;
}

export function createTasteCommand(options: TasteCommandOptions): BotCommand {
  return {
    data: {
      name: 'taste',
      description: 'What Motif has learned you like, as a picture',
      contexts: [InteractionContextType.Guild],
    },
    async execute(interaction) {
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      const summary = summariseTaste(options.taste.profile(interaction.user.id));
      const png = renderTastePicture(summary);
      await interaction.editReply({
        content: summary.sentence,
        files: [{ attachment: png, name: 'taste.png' }],
        allowedMentions: { parse: [] },
      });
    },
  };
}
