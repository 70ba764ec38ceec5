/**
 * /cancel: stops one of the caller's pieces: the one named by the `job` option (autocomplete lists theirs), or
 * else the newest one still waiting or being composed. Its message then says it was cancelled.
 */
import { ApplicationCommandOptionType, MessageFlags } from 'discord.js';

import type { BotCommand } from '../bot/command.ts';
import { escapeMarkdown } from '../markdown.ts';
import { UserError } from '../bot/user-error.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import { jobLabel } from './job-label.ts';

export function createCancelCommand(options: {
  readonly service: Pick<InferenceService, 'statusForUser' | 'cancel' | 'status'>;
}): BotCommand {
  const { service } = options;
  const activeJobs = (userId: string) =>
    service
      .statusForUser(userId)
      .map((view) => view.job)
      .filter((job) => job.status === 'queued' || job.status === 'running');

  return {
    data: {
      name: 'cancel',
      description: 'Stop a piece you asked for',
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'job',
          description: 'Which one (default: your newest)',
          autocomplete: true,
        },
      ],
    },
    async execute(interaction) {
      const named = interaction.options.getString('job');
      const jobs = activeJobs(interaction.user.id);
      const job = named === null ? jobs.sort((a, b) => b.createdAt - a.createdAt)[0] : service.status(named)?.job;
      if (job === undefined) {
        throw new UserError({
          code: 'nothing-to-cancel',
          message:
            named === null
              ? 'You have nothing waiting or being composed.'
              : 'There is no such piece: pick one from the list.',
        });
      }
      const cancelled = service.cancel(job.id, interaction.user.id);
      if (!cancelled.ok) throw new UserError({ code: cancelled.error.code, message: cancelled.error.message });
      await interaction.reply({
        content: `🚫 Cancelled ${escapeMarkdown(jobLabel(job))}.`,
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    },
    async autocomplete(interaction) {
      const typed = interaction.options.getFocused().toLowerCase();
      const choices = activeJobs(interaction.user.id)
        .map((job) => ({ name: `${jobLabel(job)} (${job.status})`.slice(0, 100), value: job.id }))
        .filter((choice) => choice.name.toLowerCase().includes(typed))
        .slice(0, 25);
      await interaction.respond(choices);
    },
  };
}
