/**
 * /help: what Motif does, every command the bot registers (one line each, in four groups) and the words the
 * /compose prompt understands, as one embed within Discord's limits.
 */
import { MessageFlags, type APIEmbed } from 'discord.js';

import type { BotCommand } from '../bot/command.ts';

/** Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const EMBED_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  total: 6000,
};

/** Every command Motif can register, by group, one line each; /help shows those the bot registered. */
export const HELP_GROUPS: readonly { readonly name: string; readonly commands: Readonly<Record<string, string>> }[] = [
  {
    name: 'Compose',
    commands: {
      compose:
        'a new piece: style (or a mix like `lofi:0.6,jazz:0.4`), mood, tempo, key, length, seed, instruments, or a prompt in words; no style = your own mix',
      styles: 'the styles, each in one line',
      queue: 'your pieces: waiting, being composed, the latest',
      cancel: 'stop one of yours (the newest, or the one you pick)',
    },
  },
  {
    name: 'Voice',
    commands: {
      play: 'play one of your clips in your voice channel (default: your newest)',
      skip: 'skip what plays',
      stop: 'stop and clear the queue',
      leave: 'leave the voice channel',
      nowplaying: 'what plays and what is next',
      radio: 'endless music in a style (or `for-me`) in your voice channel; 👍 / 👎 steer it',
    },
  },
  {
    name: 'Your taste',
    commands: {
      recommend: 'three ideas from your taste, each with its reason',
      history: 'your clips, to hear, post or play again',
      taste: 'what Motif has learned you like, as a picture',
      'export-me': 'everything Motif keeps about you, as a JSON file',
      'forget-me': 'delete every row and clip file of yours (after a confirm)',
    },
  },
  {
    name: 'Server',
    commands: {
      settings: '(Manage Server) channels Motif composes in, the longest clip, voice on or off',
      help: 'this list',
    },
  },
];

const INTRO =
  "**Motif** composes music with its own model, on this server's own machine.\n\n" +
  'Under each piece: ▶ play it in your voice channel, 🔁 a variation, ➕ what comes next, a new melody/chords/bass/drums, 👍 / 👎. Anyone may press them; what you make is yours.';

const PROMPT =
  'It reads keywords, and an option you set wins over it: a style (`jazz`, `bossa nova`, `chiptune` …), a mood (`sad`, `dreamy` …), a key (`in D minor`, `in Bb`), a tempo (`90 bpm`, `slow`, `fast`), a length (`30s`, `1 minute`, `short`), `seed 42`, and an instrument for the melody (`piano`, `flute`, `electric piano` …). Example: `/compose prompt:sad slow piano in D minor`.';

/** The /help embed for the commands the bot registered (groups with none of them are left out). */
export function helpEmbed(registered: readonly string[]): APIEmbed {
  const names = new Set(registered);
  const fields = HELP_GROUPS.map((group) => ({
    name: group.name,
    value: Object.entries(group.commands)
      .filter(([name]) => names.has(name))
      .map(([name, line]) => `\`/${name}\` ${line}`)
      .join('\n'),
  })).filter((field) => field.value !== '');
  return { title: 'Motif', description: INTRO, fields: [...fields, { name: 'The /compose prompt', value: PROMPT }] };
}

export interface HelpCommandOptions {
  /** The names of every command the bot registers (this one included). */
  readonly registered: readonly string[];
}

export function createHelpCommand(options: HelpCommandOptions): BotCommand {
  const embed = helpEmbed(options.registered);
  return {
    data: { name: 'help', description: 'What Motif does and how to ask' },
    async execute(interaction) {
      await interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral });
    },
  };
}
