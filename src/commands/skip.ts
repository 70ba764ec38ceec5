/**
 * /skip: ends what plays now (a clip, or the radio) and starts the next queued clip. The skipped clip (or the radio
 * segment on air) is reported as the skipper's 'skip' feedback.
 */
import { InteractionContextType } from 'discord.js';

import { escapeMarkdown } from '../markdown.ts';
import type { BotCommand } from '../bot/command.ts';
import { reportFeedback } from './report-feedback.ts';
import { guildIdOf, orUserError } from './voice-asker.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';

export function createSkipCommand(options: VoiceCommandsOptions): BotCommand {
  const { controls, clips, log } = options;
  const now = options.clock ?? Date.now;
  return {
    data: {
      name: 'skip',
      description: 'Skip what is playing in voice',
      contexts: [InteractionContextType.Guild],
    },
    async execute(interaction) {
      const guildId = guildIdOf(interaction);
      // What plays now is what gets skipped: its clip, or the radio's segment on air.
      const state = controls.player(guildId)?.state;
      const item = state?.status === 'playing' ? state.item : undefined;
      const clipId = item?.kind === 'clip' ? item.clip.id : item?.radio.current?.jobId;
      const skipped = orUserError(controls.skip(guildId));
      if (clipId !== undefined) {
        reportFeedback(
          options.feedback,
          {
            kind: 'skip',
            userId: interaction.user.id,
            guildId,
            channelId: interaction.channelId,
            clipId,
            clip: await clips.find(clipId),
            at: now(),
          },
          log,
        );
      }
      const next = skipped.next === null ? '' : ` Next: **${escapeMarkdown(skipped.next)}**.`;
      await interaction.reply({
        content: `⏭ Skipped **${escapeMarkdown(skipped.skipped)}**.${next}`,
        allowedMentions: { parse: [] },
      });
    },
  };
}
