/**
 * Submits a job for an interaction and hands its message to the job replies: the one path /compose and the
 * clip buttons share. The request is checked and queued first (a refusal is the user's to fix: an ephemeral
 * answer, nothing queued), then the interaction is deferred publicly (well inside Discord's 3 s) and its
 * original response becomes the job's message.
 */
import type { ButtonInteraction, ChatInputCommandInteraction, StringSelectMenuInteraction } from 'discord.js';

import type { InferenceService } from '../inference/inference-service.ts';
import type { JobRecord } from '../inference/job-queue.ts';
import type { JobRequest } from '../inference/job-request.ts';
import { DEFAULT_ATTACHMENT_LIMIT } from './clip-message.ts';
import type { JobReplies } from './job-replies.ts';
import { UserError } from './user-error.ts';

export type JobInteraction = ChatInputCommandInteraction | ButtonInteraction | StringSelectMenuInteraction;

export interface StartJobContext {
  readonly service: Pick<InferenceService, 'submit' | 'status'>;
  readonly replies: Pick<JobReplies, 'track'>;
}

export interface StartJobOptions {
  /** Called once the job is queued, before the deferral (so before the job can finish). */
  readonly onQueued?: ((job: JobRecord) => void) | undefined;
  /** A line the job's message shows under its progress and its clip ("for you: jazz 60%, lofi 40% …"). */
  readonly note?: string | undefined;
}

export async function startJob(
  context: StartJobContext,
  interaction: JobInteraction,
  request: JobRequest,
  options: StartJobOptions = {},
): Promise<JobRecord> {
  const submitted = context.service.submit({
    userId: interaction.user.id,
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    interactionToken: interaction.token,
    request,
  });
  if (!submitted.ok) {
    const { code, message } = submitted.error;
    throw new UserError({ code, message: code === 'bad-request' ? `I cannot make that: ${message}` : message });
  }
  options.onQueued?.(submitted.job);
  const deferred = interaction.deferReply();
  context.replies.track(
    submitted.job,
    { deferred, attachmentSizeLimit: uploadLimit(interaction.attachmentSizeLimit), note: options.note },
    context.service.status(submitted.job.id)?.progress ?? {
      jobId: submitted.job.id,
      userId: submitted.job.userId,
      stage: 'queued',
      position: submitted.position,
    },
  );
  await deferred;
  return submitted.job;
}

/** The interaction's upload limit; Discord's default when the payload has none (an older API version). */
function uploadLimit(limit: number | undefined): number {
  return limit !== undefined && Number.isFinite(limit) && limit > 0 ? limit : DEFAULT_ATTACHMENT_LIMIT;
}
