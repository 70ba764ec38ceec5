/**
 * /play: plays one of the caller's clips in their voice channel: the one named by the `clip` option (autocomplete
 * lists their recent clips), or else their newest. Queued behind what plays; the radio makes way for it.
 */
import { ApplicationCommandOptionType, InteractionContextType } from 'discord.js';

import { escapeMarkdown } from '../markdown.ts';
import type { ClipRecord } from '../bot/collaborators.ts';
import type { BotCommand } from '../bot/command.ts';
import { UserError } from '../bot/user-error.ts';
import { clock } from '../voice/now-playing.ts';
import { voiceClipOf, type VoiceClip, type VoiceUser } from '../voice/voice-clip.ts';
import type { PlayOutcome } from '../voice/voice-controls.ts';
import { voiceTargetOf } from '../voice/voice-target.ts';
import { memberOf, orUserError } from './voice-asker.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';

export function createPlayCommand(options: VoiceCommandsOptions): BotCommand {
  const { controls, settings, clips, recentClips } = options;
  return {
    data: {
      name: 'play',
      description: 'Play one of your clips in your voice channel (default: your newest)',
      contexts: [InteractionContextType.Guild],
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'clip',
          description: 'Which one (your recent clips)',
          autocomplete: true,
        },
      ],
    },
    async execute(interaction) {
      const member = memberOf(interaction);
      const named = interaction.options.getString('clip');
      const clip = named === null ? (await recentClips(interaction.user.id))[0] : await clips.find(named);
      if (clip === undefined) {
        throw new UserError({
          code: 'nothing-to-play',
          message:
            named === null
              ? 'You have no clips to play yet: make one with /compose.'
              : 'There is no such clip (any more): pick one from the list.',
        });
      }
      const played = orUserError(
        controls.play({
          target: voiceTargetOf(member),
          settings: settings.get(member.guild.id),
          clip: voiceClipFor(clip, { id: member.id, name: member.displayName }),
        }),
      );
      await interaction.reply({ content: playedLine(played), allowedMentions: { parse: [] } });
    },
    async autocomplete(interaction) {
      const typed = interaction.options.getFocused().toLowerCase();
      const choices = (await recentClips(interaction.user.id))
        .map((clip) => ({
          name: `${clip.meta.title} (${clip.meta.request.style}, ${clock(clip.meta.resolved.durationSeconds * 1000)})`.slice(
            0,
            100,
          ),
          value: clip.id,
        }))
        .filter((choice) => choice.name.toLowerCase().includes(typed))
        .slice(0, 25);
      await interaction.respond(choices);
    },
  };
}

/** A clip record as the player takes it; a UserError when its audio is gone. */
export function voiceClipFor(clip: ClipRecord, requestedBy: VoiceUser): VoiceClip {
  if (clip.files === undefined) {
    throw new UserError({ code: 'clip-gone', message: 'That clip’s audio is gone (it was deleted): pick another.' });
  }
  return voiceClipOf(clip.id, clip.files.ogg, clip.meta, requestedBy);
}

/** "▶ Playing **Blue Harbour** in Lounge." or "Queued **Blue Harbour** in Lounge (2nd in line)." */
export function playedLine(played: PlayOutcome): string {
  const title = escapeMarkdown(played.clip.title);
  const channel = escapeMarkdown(played.channelName);
  return played.position === 0
    ? `▶ Playing **${title}** in ${channel}.`
    : `Queued **${title}** in ${channel} (number ${played.position} in the queue).`;
}
