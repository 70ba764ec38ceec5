/**
 * /export-me: everything Motif keeps about the caller (their jobs, clips, feedback events and user row) as one
 * JSON file, only for them. A file over the upload limit is not sent; the answer says so and how big it is.
 */
import { MessageFlags } from 'discord.js';

import { DEFAULT_ATTACHMENT_LIMIT } from '../bot/clip-message.ts';
import type { BotCommand } from '../bot/command.ts';
import type { ClipStore } from '../db/clip-store.ts';

export interface ExportMeCommandOptions {
  readonly store: Pick<ClipStore, 'exportUser'>;
}

export function createExportMeCommand(options: ExportMeCommandOptions): BotCommand {
  return {
    data: {
      name: 'export-me',
      description: 'All the data Motif keeps about you, as a JSON file',
    },
    async execute(interaction) {
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      const data = options.store.exportUser(interaction.user.id);
      const bytes = Buffer.from(`${JSON.stringify(data, null, 2)}\n`, 'utf8');
      const { tables } = data;
      const counts = `${plural(tables.clips.length, 'clip')}, ${plural(tables.feedback_events.length, 'feedback event')}, ${plural(tables.jobs.length, 'job')}`;
      const limit = interaction.attachmentSizeLimit > 0 ? interaction.attachmentSizeLimit : DEFAULT_ATTACHMENT_LIMIT;
      if (bytes.length > limit) {
        await interaction.editReply({
          content: `Your data (${counts}) is ${size(bytes.length)} as JSON, over the ${size(limit)} upload limit here, so I cannot attach it. Ask the bot's owner for a copy.`,
          allowedMentions: { parse: [] },
        });
        return;
      }
      await interaction.editReply({
        content: `Everything Motif keeps about you: ${counts}.`,
        files: [{ attachment: bytes, name: `motif-data-${interaction.user.id}.json` }],
        allowedMentions: { parse: [] },
      });
    },
  };
}

export function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
