/**
 * /compose: a new clip. Options style (autocomplete, mixes allowed), mood, tempo, key, length, seed,
 * instruments, and a free-text prompt read by keywords (compose-prompt.ts); an explicit option wins over the
 * prompt. A bad value is answered ephemerally and nothing is queued; a good request is queued, deferred, and
 * its message then follows the job (src/bot/job-replies.ts).
 */
import { randomInt } from 'node:crypto';

import { ApplicationCommandOptionType, InteractionContextType, type ChatInputCommandInteraction } from 'discord.js';

import { ensureAllowedChannel } from '../bot/channel-guard.ts';
import type { BotCommand } from '../bot/command.ts';
import type { GuildSettingsStore } from '../bot/guild-settings.ts';
import type { JobReplies } from '../bot/job-replies.ts';
import { startJob } from '../bot/start-job.ts';
import { UserError } from '../bot/user-error.ts';
import {
  DEFAULT_LENGTH_SECONDS,
  MAX_LENGTH_SECONDS,
  MAX_TEMPO,
  MIN_LENGTH_SECONDS,
  MIN_TEMPO,
  parseComposeRequest,
  type ComposeInput,
} from '../inference/compose-request.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import { composeJobRequest } from '../inference/job-request.ts';
import { MAX_PROMPT_LENGTH, parsePrompt } from './compose-prompt.ts';
import { MOOD_OPTION } from './mood-option.ts';
import { styleChoices } from './style-choices.ts';

export interface ComposeCommandOptions {
  readonly service: Pick<InferenceService, 'submit' | 'status'>;
  readonly replies: Pick<JobReplies, 'track'>;
  readonly settings: Pick<GuildSettingsStore, 'get'>;
  /**
   * The style when neither the option nor the prompt names one ("for me" blends plug in here), with an optional
   * line the job's message shows; pop by default.
   */
  readonly defaultStyle?: ((userId: string, guildId: string | null) => string | DefaultStyle) | undefined;
  /** A fresh seed when none is given; crypto-random by default. */
  readonly seed?: (() => number) | undefined;
}

/** A default style and the line that says why it was chosen ("🎯 For you: jazz 60%, lofi 40% — because …"). */
export interface DefaultStyle {
  readonly style: string;
  readonly note?: string | undefined;
}

export function createComposeCommand(options: ComposeCommandOptions): BotCommand {
  const seed = options.seed ?? (() => randomInt(0, 2 ** 32));
  const defaultStyle = options.defaultStyle ?? (() => 'pop');
  return {
    data: {
      name: 'compose',
      description: 'Compose a new piece of music',
      contexts: [InteractionContextType.Guild],
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'style',
          description: 'jazz, lofi, rock ... or a mix like lofi:0.6,jazz:0.4',
          autocomplete: true,
          max_length: 100,
        },
        MOOD_OPTION,
        {
          type: ApplicationCommandOptionType.Integer,
          name: 'tempo',
          description: `Beats per minute (${MIN_TEMPO}-${MAX_TEMPO})`,
          min_value: MIN_TEMPO,
          max_value: MAX_TEMPO,
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'key',
          description: 'C, Bb, F#, D minor ...',
          max_length: 20,
        },
        {
          type: ApplicationCommandOptionType.Integer,
          name: 'length',
          description: `Seconds (${MIN_LENGTH_SECONDS}-${MAX_LENGTH_SECONDS}, default ${DEFAULT_LENGTH_SECONDS})`,
          min_value: MIN_LENGTH_SECONDS,
          max_value: MAX_LENGTH_SECONDS,
        },
        {
          type: ApplicationCommandOptionType.Integer,
          name: 'seed',
          description: 'The same seed and options give the same piece',
          min_value: 0,
          max_value: 0xffffffff,
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'instruments',
          description: 'melody=flute,harmony=rhodes,bass=upright,drums=brush',
          max_length: 200,
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'prompt',
          description: 'In words: "sad slow piano in D minor"',
          max_length: MAX_PROMPT_LENGTH,
        },
      ],
    },

    async execute(interaction) {
      ensureAllowedChannel(options.settings, interaction);
      const { input, ignored } = composeInput(interaction);
      // Only asked for when needed: "for me" reads the person's history.
      const chosen =
        (input.style ?? '').trim() === '' ? defaultStyle(interaction.user.id, interaction.guildId) : undefined;
      const fallback = typeof chosen === 'string' ? { style: chosen } : chosen;
      const parsed = parseComposeRequest(input, { style: fallback?.style ?? 'pop', seed });
      if (!parsed.ok) {
        const message = capitalise(parsed.error.message);
        throw new UserError({ code: parsed.error.code, message: message.endsWith('.') ? message : `${message}.` });
      }
      let request = parsed.value;
      const max = interaction.guildId === null ? undefined : options.settings.get(interaction.guildId).maxLengthSeconds;
      if (max !== undefined && request.lengthSeconds > max) {
        if (input.length !== undefined) {
          throw new UserError({
            code: 'too-long',
            message: `Clips in this server are at most ${max} seconds: ask for ${max} or less.`,
          });
        }
        request = { ...request, lengthSeconds: max };
      }
      const notes = [fallback?.note, ignoredNote(ignored)].filter((note) => note !== undefined);
      await startJob(options, interaction, composeJobRequest(request), {
        note: notes.length === 0 ? undefined : notes.join('\n'),
      });
    },

    async autocomplete(interaction) {
      const focused = interaction.options.getFocused(true);
      await interaction.respond(focused.name === 'style' ? styleChoices(focused.value) : []);
    },
  };
}

/** The options as typed, with the prompt's reading under them (explicit options win), and the prompt's words it did not understand. */
function composeInput(interaction: ChatInputCommandInteraction): { input: ComposeInput; ignored: readonly string[] } {
  const get = interaction.options;
  const prompt = get.getString('prompt');
  if (prompt !== null && prompt.length > MAX_PROMPT_LENGTH) {
    throw new UserError({
      code: 'prompt-too-long',
      message: `The prompt can be at most ${MAX_PROMPT_LENGTH} characters.`,
    });
  }
  const reading = prompt === null ? { ignored: [] } : parsePrompt(prompt);
  return {
    input: {
      style: get.getString('style') ?? reading.style,
      mood: get.getString('mood') ?? reading.mood,
      tempo: get.getInteger('tempo') ?? reading.tempo,
      key: get.getString('key') ?? reading.key,
      length: get.getInteger('length') ?? reading.length,
      seed: get.getInteger('seed') ?? reading.seed,
      instruments: get.getString('instruments') ?? reading.instruments,
    },
    ignored: reading.ignored,
  };
}

/** Most ignored words the note names. */
const MAX_IGNORED_SHOWN = 8;

/**
 * "Not understood in your prompt: `violins`, `rain`." Each word in inline code: markdown and mentions in it show as
 * typed (nothing pings anyway: allowed mentions are off).
 */
function ignoredNote(ignored: readonly string[]): string | undefined {
  const words = [...new Set(ignored)];
  if (words.length === 0) return undefined;
  const shown = words.slice(0, MAX_IGNORED_SHOWN).map((word) => `\`${word.replaceAll('`', "'")}\``);
  const more = words.length - shown.length;
  return `Not understood in your prompt, so left out: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}.`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
