/** /queue: the caller's jobs: running ones with their progress, waiting ones with their place, the latest done. */
import { MessageFlags } from 'discord.js';

import type { BotCommand } from '../bot/command.ts';
import { progressText } from '../bot/clip-message.ts';
import { escapeMarkdown } from '../markdown.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import { jobLabel } from './job-label.ts';

const FINISHED_SHOWN = 3;

export function createQueueCommand(options: { readonly service: Pick<InferenceService, 'statusForUser'> }): BotCommand {
  return {
    data: { name: 'queue', description: 'Your pieces: waiting, being composed, and the latest ones' },
    async execute(interaction) {
      const views = options.service.statusForUser(interaction.user.id);
      const active = views.filter((view) => view.job.status === 'queued' || view.job.status === 'running');
      const finished = views.filter((view) => view.job.status !== 'queued' && view.job.status !== 'running');
      const lines = active.map((view) => {
        const state = view.progress === undefined ? 'being composed' : progressText(view.progress);
        return `• ${escapeMarkdown(jobLabel(view.job))}: ${state}`;
      });
      if (lines.length === 0) lines.push('Nothing of yours is waiting or being composed. Try /compose.');
      if (finished.length > 0) {
        lines.push('', 'Latest:');
        for (const view of finished.slice(0, FINISHED_SHOWN)) {
          lines.push(`• ${escapeMarkdown(jobLabel(view.job))}: ${view.job.status}`);
        }
      }
      await interaction.reply({
        content: lines.join('\n'),
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    },
  };
}
