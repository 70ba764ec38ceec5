/** /help: what Motif does, its commands, and the words the /compose prompt understands. */
import { MessageFlags } from 'discord.js';

import type { BotCommand } from '../bot/command.ts';

export const HELP_TEXT = [
  "**Motif** composes music with its own model, on this server's own machine.",
  '',
  '`/compose` a new piece: style (or a mix like `lofi:0.6,jazz:0.4`), mood, tempo, key, length, seed, instruments, or a prompt in words.',
  '`/styles` the styles, each in one line · `/queue` your pieces · `/cancel` stop one · `/settings` (Manage Server) channels, longest length, voice.',
  '`/recommend` three ideas from your taste · `/history` your clips, to hear or play again · `/taste` your taste as a picture · `/export-me` your data as a file · `/forget-me` delete it all. `/compose` with no style makes your own mix.',
  '',
  'Under each piece: ▶ play it in your voice channel, 🔁 a variation, ➕ what comes next, a new melody/chords/bass/drums, 👍 / 👎. Anyone may press them; what you make is yours.',
  '',
  '**The prompt** reads keywords, and an option you set wins over it: a style (`jazz`, `bossa nova`, `chiptune` …), a mood (`sad`, `dreamy` …), a key (`in D minor`, `in Bb`), a tempo (`90 bpm`, `slow`, `fast`), a length (`30s`, `1 minute`, `short`), `seed 42`, and an instrument for the melody (`piano`, `flute`, `electric piano` …). Example: `/compose prompt:sad slow piano in D minor`.',
].join('\n');

export function createHelpCommand(): BotCommand {
  return {
    data: { name: 'help', description: 'What Motif does and how to ask' },
    async execute(interaction) {
      await interaction.reply({ content: HELP_TEXT, flags: MessageFlags.Ephemeral });
    },
  };
}
