/**
 * The buttons and the select under a finished clip. Anyone in the guild may press them; what they make (a
 * variation, an extension, a new track) is queued as the presser's job and credited to them, and every press
 * is reported to the feedback sink as the presser's event.
 */
import { randomInt } from 'node:crypto';

import { MessageFlags } from 'discord.js';

import type { InferenceService } from '../inference/inference-service.ts';
import type { JobRequest } from '../inference/job-request.ts';
import { ClipAction } from './clip-message.ts';
import type { ComponentHandler, ComponentInteraction } from './command.ts';
import { ensureAllowedChannel } from './channel-guard.ts';
import type { ClipLookup, ClipRecord, FeedbackKind, FeedbackSink, VoicePlayback } from './collaborators.ts';
import type { GuildSettingsStore } from './guild-settings.ts';
import type { JobReplies } from './job-replies.ts';
import { startJob } from './start-job.ts';
import { UserError } from './user-error.ts';

/** How much of the parent a 🔁 variation changes (0 keeps everything, 1 nothing). */
export const VARIATION_STRENGTH = 0.3;

export interface ClipButtonsOptions {
  readonly service: Pick<InferenceService, 'submit' | 'status'>;
  readonly replies: Pick<JobReplies, 'track'>;
  readonly clips: ClipLookup;
  readonly settings: Pick<GuildSettingsStore, 'get'>;
  readonly feedback?: FeedbackSink | undefined;
  readonly voice?: VoicePlayback | undefined;
  readonly log: (line: string) => void;
  /** A fresh seed for what a button makes; crypto-random by default. */
  readonly seed?: (() => number) | undefined;
  readonly clock?: (() => number) | undefined;
}

export function createClipButtons(options: ClipButtonsOptions): ComponentHandler[] {
  const { clips, settings, log } = options;
  const seed = options.seed ?? (() => randomInt(0, 2 ** 32));
  const clock = options.clock ?? Date.now;

  const findClip = async (clipId: string): Promise<ClipRecord> => {
    const clip = await clips.find(clipId);
    if (clip === undefined) {
      throw new UserError({
        code: 'clip-gone',
        message: 'I no longer have that clip, so I cannot build on it. Try /compose.',
      });
    }
    return clip;
  };

  const report = (
    interaction: ComponentInteraction,
    kind: FeedbackKind,
    clipId: string,
    clip: ClipRecord | undefined,
    jobId?: string,
  ): void => {
    const sink = options.feedback;
    if (sink === undefined) return;
    const event = {
      kind,
      userId: interaction.user.id,
      guildId: interaction.guildId,
      channelId: interaction.channelId,
      clipId,
      clip,
      ...(jobId === undefined ? {} : { jobId }),
      at: clock(),
    };
    // Feedback never blocks or breaks the answer to the press.
    Promise.resolve()
      .then(() => sink.onFeedback(event))
      .catch((error: unknown) => {
        log(
          `feedback ${kind} on clip ${clipId} by ${event.userId} was not recorded: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
  };

  const makeFrom = (
    prefix: string,
    kind: 'variation' | 'extend' | 'regenerate',
    build: (clip: ClipRecord, interaction: ComponentInteraction) => JobRequest,
  ): ComponentHandler => ({
    prefix,
    async handle(interaction, clipId) {
      ensureAllowedChannel(settings, interaction);
      const clip = await findClip(clipId);
      const request = build(clip, interaction);
      await startJob(options, interaction, request, {
        onQueued: (job) => {
          report(interaction, kind, clipId, clip, job.id);
        },
      });
    },
  });

  const taste = (prefix: string, kind: 'like' | 'dislike', answer: string): ComponentHandler => ({
    prefix,
    async handle(interaction, clipId) {
      const clip = await clips.find(clipId);
      report(interaction, kind, clipId, clip);
      await interaction.reply({ content: answer, flags: MessageFlags.Ephemeral });
    },
  });

  return [
    makeFrom(ClipAction.vary, 'variation', (clip) => ({
      kind: 'variation',
      parent: clip.meta,
      parentClipId: clip.id,
      strength: VARIATION_STRENGTH,
      seed: seed(),
    })),
    makeFrom(ClipAction.extend, 'extend', (clip) => ({
      kind: 'extension',
      parent: clip.meta,
      parentClipId: clip.id,
      seed: seed(),
    })),
    makeFrom(ClipAction.regenerate, 'regenerate', (clip, interaction) => {
      const track = interaction.isStringSelectMenu() ? interaction.values[0] : undefined;
      if (track !== 'melody' && track !== 'harmony' && track !== 'bass' && track !== 'drums') {
        throw new UserError({ code: 'bad-track', message: 'Pick one of melody, chords, bass or drums to regenerate.' });
      }
      return { kind: 'regenerate', parent: clip.meta, parentClipId: clip.id, track, seed: seed() };
    }),
    taste(ClipAction.like, 'like', '👍 Noted: I will lean your way next time.'),
    taste(ClipAction.dislike, 'dislike', '👎 Noted: I will make less like this for you.'),
    {
      prefix: ClipAction.play,
      async handle(interaction, clipId) {
        if (!interaction.inGuild()) {
          throw new UserError({ code: 'not-in-guild', message: 'Voice playback works in a server only.' });
        }
        if (!settings.get(interaction.guildId).voiceEnabled) {
          throw new UserError({
            code: 'voice-off',
            message: 'Voice playback is turned off in this server (/settings).',
          });
        }
        const voice = options.voice;
        if (voice === undefined) {
          await interaction.reply({
            content: 'Voice playback is not available yet: download the .ogg above, or play it inline.',
            flags: MessageFlags.Ephemeral,
          });
          return;
        }
        const clip = await findClip(clipId);
        await interaction.deferReply({ flags: MessageFlags.Ephemeral });
        const voiceChannelId = interaction.inCachedGuild() ? interaction.member.voice.channelId : null;
        const line = await voice.playInVoice({
          guildId: interaction.guildId,
          userId: interaction.user.id,
          voiceChannelId,
          textChannelId: interaction.channelId,
          clip,
        });
        report(interaction, 'play', clipId, clip);
        await interaction.editReply({ content: line, allowedMentions: { parse: [] } });
      },
    },
  ];
}
