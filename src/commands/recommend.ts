/**
 * /recommend: three ideas for the caller (a style, a mood, a tempo), each with the reason it was chosen and a
 * Compose button that queues exactly that idea, as a job of whoever presses it.
 */
import { randomInt } from 'node:crypto';

import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  InteractionContextType,
  MessageFlags,
  type MessageActionRowComponentBuilder,
} from 'discord.js';

import { ensureAllowedChannel } from '../bot/channel-guard.ts';
import type { BotCommand, ComponentHandler } from '../bot/command.ts';
import { customId } from '../bot/command.ts';
import type { GuildSettingsStore } from '../bot/guild-settings.ts';
import type { JobReplies } from '../bot/job-replies.ts';
import { startJob } from '../bot/start-job.ts';
import { UserError } from '../bot/user-error.ts';
import { parseComposeRequest } from '../inference/compose-request.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import { composeJobRequest } from '../inference/job-request.ts';
import type { Recommendation } from '../taste/recommend.ts';
import type { TasteReader } from '../taste/taste-reader.ts';

/** The custom-id prefix of the Compose buttons: "recommend:jazz:calm:96". */
export const RECOMMEND_PREFIX = 'recommend';

export interface RecommendCommandOptions {
  readonly service: Pick<InferenceService, 'submit' | 'status'>;
  readonly replies: Pick<JobReplies, 'track'>;
  readonly settings: Pick<GuildSettingsStore, 'get'>;
  readonly taste: Pick<TasteReader, 'recommend'>;
  /** Seeds (the ideas' exploration, and the clips the buttons make); crypto-random by default. */
  readonly seed?: (() => number) | undefined;
}

export function createRecommendCommand(options: RecommendCommandOptions): BotCommand {
  const seed = options.seed ?? (() => randomInt(0, 2 ** 32));
  const compose: ComponentHandler = {
    prefix: RECOMMEND_PREFIX,
    async handle(interaction, argument) {
      ensureAllowedChannel(options.settings, interaction);
      const [style, mood, tempo] = argument.split(':');
      const parsed = parseComposeRequest({ style, mood, tempo }, { style: 'pop', seed });
      if (!parsed.ok) {
        throw new UserError({ code: 'idea-gone', message: 'Motif no longer knows that idea: try /recommend again.' });
      }
      let request = parsed.value;
      const max = interaction.guildId === null ? undefined : options.settings.get(interaction.guildId).maxLengthSeconds;
      if (max !== undefined && request.lengthSeconds > max) request = { ...request, lengthSeconds: max };
      await startJob(options, interaction, composeJobRequest(request));
    },
  };

  return {
    data: {
      name: 'recommend',
      description: 'Three ideas to compose, picked from your taste',
      contexts: [InteractionContextType.Guild],
    },
    async execute(interaction) {
      const ideas = options.taste.recommend(interaction.user.id, interaction.guildId, seed());
      if (ideas.length === 0) {
        throw new UserError({ code: 'no-ideas', message: 'I have no ideas for you right now: try /compose.' });
      }
      const lines = ideas.map((idea, index) => `**${index + 1}. ${ideaName(idea)}** — ${idea.reason}`);
      const buttons = new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
        ideas.map((idea, index) =>
          new ButtonBuilder()
            .setCustomId(customId(RECOMMEND_PREFIX, `${idea.style}:${idea.mood}:${Math.round(idea.tempo)}`))
            .setLabel(`Compose ${index + 1}`)
            .setEmoji('🎼')
            .setStyle(index === 0 ? ButtonStyle.Primary : ButtonStyle.Secondary),
        ),
      );
      await interaction.reply({
        content: ['Ideas for you:', ...lines].join('\n'),
        components: [buttons],
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    },
    components: [compose],
  };
}

/** "calm jazz, 96 bpm". */
export function ideaName(idea: Pick<Recommendation, 'style' | 'mood' | 'tempo'>): string {
  return `${idea.mood} ${idea.style}, ${Math.round(idea.tempo)} bpm`;
}
