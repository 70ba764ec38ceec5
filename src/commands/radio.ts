/**
 * /radio style:lofi: an endless stream in a style (mixes and "for me" allowed) in the caller's voice channel. The
 * reply is the radio's now-playing message, kept up to date, with 👍 / 👎 to steer it (radio-buttons.ts); when the
 * radio ends, each segment heard is reported as the starter's 'radio-listen' with the seconds heard.
 */
import { ApplicationCommandOptionType, InteractionContextType } from 'discord.js';

import { escapeMarkdown } from '../markdown.ts';
import type { BotCommand } from '../bot/command.ts';
import { UserError } from '../bot/user-error.ts';
import { QUEUE_REFUSED, type RadioStation } from '../voice/radio.ts';
import { voiceTargetOf } from '../voice/voice-target.ts';
import { replyLasting } from './lasting-reply.ts';
import { MOOD_OPTION } from './mood-option.ts';
import { NowPlayingMessage } from './now-playing-message.ts';
import { createRadioButtons, radioVoteRow } from './radio-buttons.ts';
import { reportFeedback } from './report-feedback.ts';
import { styleChoices } from './style-choices.ts';
import { memberOf, orUserError } from './voice-asker.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';

/** The style value that asks for the caller's own blend. */
export const FOR_ME = 'for-me';

/** Segments heard for less than this are not reported as listened. */
const MIN_LISTEN_MS = 1000;

export function createRadioCommand(options: VoiceCommandsOptions): BotCommand {
  const { controls, settings, clips, log } = options;
  const now = options.clock ?? Date.now;

  const reportListening = async (radio: RadioStation, guildId: string, channelId: string | null): Promise<void> => {
    const position = radio.positionMs;
    for (const segment of radio.segments) {
      const heardMs = Math.min(segment.durationMs, Math.max(0, position - segment.startMs));
      if (heardMs < MIN_LISTEN_MS) continue;
      reportFeedback(
        options.feedback,
        {
          kind: 'radio-listen',
          userId: radio.owner.id,
          guildId,
          channelId,
          clipId: segment.jobId,
          clip: await clips.find(segment.jobId),
          value: Math.round(heardMs / 100) / 10,
          at: now(),
        },
        log,
      );
    }
  };

  return {
    data: {
      name: 'radio',
      description: 'Endless music in a style in your voice channel; 👍 / 👎 steer it',
      contexts: [InteractionContextType.Guild],
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'style',
          description: 'lofi, jazz ... a mix like lofi:0.6,jazz:0.4, or "for-me"',
          required: true,
          autocomplete: true,
          max_length: 100,
        },
        MOOD_OPTION,
      ],
    },

    async execute(interaction) {
      const member = memberOf(interaction);
      const guildId = member.guild.id;
      const typed = interaction.options.getString('style', true).trim();
      let style = typed;
      let label = typed;
      if (isForMe(typed)) {
        if (options.defaultStyle === undefined) {
          throw new UserError({
            code: 'no-taste',
            message: 'I do not know your taste yet, so there is no radio "for me": name a style (/radio style:lofi).',
          });
        }
        const chosen = options.defaultStyle(member.id, guildId);
        style = typeof chosen === 'string' ? chosen : chosen.style;
        label = `for ${member.displayName}`;
      }
      const radio = orUserError(
        controls.radio({
          target: voiceTargetOf(member),
          settings: settings.get(guildId),
          style,
          label,
          mood: interaction.options.getString('mood') ?? undefined,
          // Segments are not posted as clip messages: the radio is heard, its message is the now-playing one.
          textChannelId: null,
        }),
      );
      radio.on('stateChange', (_old, state) => {
        if (state.status !== 'stopped') return;
        void reportListening(radio, guildId, interaction.channelId).catch((error: unknown) => {
          log(`radio ${radio.label}: listening not reported: ${String(error)}`);
        });
      });

      const ended = (): string => {
        const state = radio.state;
        const made = `${radio.segments.length} ${radio.segments.length === 1 ? 'segment' : 'segments'}`;
        if (state.status === 'stopped' && state.reason === 'failed') {
          const why = state.error?.startsWith(QUEUE_REFUSED)
            ? 'the queue stayed full for two minutes'
            : 'I could not compose the next segment';
          return `📻 Radio **${escapeMarkdown(radio.label)}** stopped: ${why} (${made} played).`;
        }
        return `📻 Radio **${escapeMarkdown(radio.label)}** is over (${made}).`;
      };
      const { text } = controls.nowPlaying(guildId);
      const editReply = await replyLasting(
        interaction,
        { content: text, components: [radioVoteRow()] },
        { tokenLifetimeMs: options.interactionTokenLifetimeMs },
      );
      new NowPlayingMessage({
        controls,
        guildId,
        shown: text,
        minGapMs: options.nowPlayingGapMs,
        follows: () => radio.state.status !== 'stopped',
        edit: (content) => {
          const onAir = radio.state.status !== 'stopped';
          return editReply({ content: onAir ? content : ended(), components: onAir ? [radioVoteRow()] : [] });
        },
        log,
      }).start();
    },

    components: [createRadioButtons(options)],

    async autocomplete(interaction) {
      const focused = interaction.options.getFocused(true);
      if (focused.name !== 'style') {
        await interaction.respond([]);
        return;
      }
      const forMe = { name: 'for me: your own blend', value: FOR_ME };
      const typed = focused.value.trim().toLowerCase();
      const styles = styleChoices(focused.value);
      await interaction.respond(
        typed === '' || FOR_ME.startsWith(typed.replace(' ', '-')) ? [forMe, ...styles].slice(0, 25) : styles,
      );
    },
  };
}

function isForMe(style: string): boolean {
  const text = style.toLowerCase().replace(/\s+/g, '-');
  return text === FOR_ME || text === 'for-me:' || text === 'me';
}
