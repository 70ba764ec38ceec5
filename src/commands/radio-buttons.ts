/**
 * The 👍 / 👎 under a radio's now-playing message: a vote on the segment on air, which steers what the radio makes
 * next (src/voice/radio.ts) and is the voter's like or dislike of that segment for the taste engine.
 */
import {
  ButtonStyle,
  ComponentType,
  MessageFlags,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
} from 'discord.js';

import { escapeMarkdown } from '../markdown.ts';
import { customId, type ComponentHandler } from '../bot/command.ts';
import { UserError } from '../bot/user-error.ts';
import { reportFeedback } from './report-feedback.ts';
import { guildIdOf, orUserError } from './voice-asker.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';

export const RADIO_VOTE_PREFIX = 'radio';

/** The row of 👍 / 👎 buttons. */
export function radioVoteRow(): APIActionRowComponent<APIComponentInMessageActionRow> {
  return {
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        custom_id: customId(RADIO_VOTE_PREFIX, 'up'),
        emoji: { name: '👍' },
        label: 'More like this',
      },
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        custom_id: customId(RADIO_VOTE_PREFIX, 'down'),
        emoji: { name: '👎' },
        label: 'Less like this',
      },
    ],
  };
}

export function createRadioButtons(options: VoiceCommandsOptions): ComponentHandler {
  const { controls, clips, log } = options;
  const now = options.clock ?? Date.now;
  return {
    prefix: RADIO_VOTE_PREFIX,
    async handle(interaction, argument) {
      const guildId = guildIdOf(interaction);
      if (argument !== 'up' && argument !== 'down') {
        throw new UserError({ code: 'unknown-component', message: 'This button no longer does anything.' });
      }
      const segment = orUserError(controls.radioVote(guildId, interaction.user.id, argument));
      reportFeedback(
        options.feedback,
        {
          kind: argument === 'up' ? 'like' : 'dislike',
          userId: interaction.user.id,
          guildId,
          channelId: interaction.channelId,
          clipId: segment.jobId,
          clip: await clips.find(segment.jobId),
          at: now(),
        },
        log,
      );
      const title = escapeMarkdown(segment.title);
      await interaction.reply({
        content:
          argument === 'up'
            ? `👍 Noted: the radio will keep to the line of **${title}**.`
            : `👎 Noted: the radio will steer away from **${title}**.`,
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    },
  };
}
