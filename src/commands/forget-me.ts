/**
 * /forget-me: deletes every row and file Motif keeps about the caller, after they press Confirm (only they can).
 * Their unfinished pieces are cancelled first, so nothing of theirs is being made while it runs; the answer says
 * how many clips, feedback events, jobs and clip folders were deleted.
 */
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  type MessageActionRowComponentBuilder,
} from 'discord.js';

import { customId, type BotCommand, type ComponentHandler } from '../bot/command.ts';
import { UserError } from '../bot/user-error.ts';
import type { ClipStore } from '../db/clip-store.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import { plural } from './export-me.ts';

/** "forget:confirm:USER_ID", "forget:cancel:USER_ID". */
export const FORGET_PREFIX = 'forget';

export interface ForgetMeCommandOptions {
  readonly service: Pick<InferenceService, 'statusForUser' | 'cancel'>;
  readonly store: Pick<ClipStore, 'listForUser' | 'forgetUser'>;
}

export function createForgetMeCommand(options: ForgetMeCommandOptions): BotCommand {
  const { service, store } = options;

  const answer: ComponentHandler = {
    prefix: FORGET_PREFIX,
    async handle(interaction, argument) {
      const [action, owner] = argument.split(':');
      if (owner !== interaction.user.id) {
        throw new UserError({
          code: 'not-yours',
          message: 'Only the person who used /forget-me can answer this.',
        });
      }
      if (action !== 'confirm') {
        await interaction.update({ content: 'Nothing was deleted.', components: [] });
        return;
      }
      await interaction.deferUpdate();
      let cancelled = 0;
      for (const { job } of service.statusForUser(owner)) {
        if (job.status !== 'queued' && job.status !== 'running') continue;
        if (service.cancel(job.id, owner).ok) cancelled++;
      }
      const report = await store.forgetUser(owner);
      const lines = [
        `🗑️ Deleted everything Motif kept about you: ${plural(report.clips, 'clip')}, ${plural(report.feedbackEvents, 'feedback event')}, ${plural(report.jobs, 'job')}, and the files of ${plural(report.folders, 'clip')}.`,
      ];
      if (cancelled > 0) lines.push(`${plural(cancelled, 'unfinished piece')} cancelled first.`);
      if (report.foldersPending > 0) {
        lines.push(
          `The files of ${plural(report.foldersPending, 'clip')} could not be deleted yet; they will be soon.`,
        );
      }
      lines.push('Messages already posted in channels stay; delete them in Discord if you want them gone.');
      await interaction.editReply({ content: lines.join('\n'), components: [], allowedMentions: { parse: [] } });
    },
  };

  return {
    data: {
      name: 'forget-me',
      description: 'Delete everything Motif keeps about you (asks first)',
    },
    async execute(interaction) {
      const userId = interaction.user.id;
      const clips = store.listForUser(userId).total;
      const buttons = new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
        new ButtonBuilder()
          .setCustomId(customId(FORGET_PREFIX, `confirm:${userId}`))
          .setLabel('Delete everything')
          .setStyle(ButtonStyle.Danger),
        new ButtonBuilder()
          .setCustomId(customId(FORGET_PREFIX, `cancel:${userId}`))
          .setLabel('Keep it')
          .setStyle(ButtonStyle.Secondary),
      );
      await interaction.reply({
        content: `This deletes everything Motif keeps about you: your ${plural(clips, 'clip')} and their files, your 👍/👎 and plays, and your jobs (unfinished ones are cancelled). It cannot be undone.`,
        components: [buttons],
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    },
    components: [answer],
  };
}
