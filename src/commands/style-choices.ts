/**
 * Suggestions for the style option as it is typed: the styles whose names (or aliases' targets) start with or
 * contain the text, and mixes: after "jazz," or "jazz:0.6," the suggestions complete the next part, and with
 * nothing typed a few ready mixes come after the plain styles. Discord shows at most 25.
 */
import type { ApplicationCommandOptionChoiceData } from 'discord.js';

import { STYLE_NAMES, STYLES, parseStyle, resolveStyleName } from '../music/styles.ts';

const MAX_CHOICES = 25;

/** Mixes offered when nothing is typed yet. */
export const EXAMPLE_MIXES = ['lofi:0.6,jazz:0.4', 'cinematic:0.7,ambient:0.3', 'electronic:0.5,game:0.5'] as const;

export function styleChoices(typed: string): ApplicationCommandOptionChoiceData<string>[] {
  const text = typed.trim().toLowerCase();
  const cut = Math.max(text.lastIndexOf(','), text.lastIndexOf(';'));
  const head = cut < 0 ? '' : text.slice(0, cut + 1);
  const last = (cut < 0 ? text : text.slice(cut + 1)).trim();
  const [namePart = '', weight] = last.split(/[:=]/, 2);
  const chosen = new Set(head.split(/[,;]/).map((part) => resolveStyleName(part.split(/[:=]/)[0] ?? '')));

  const matches = STYLE_NAMES.filter((name) => !chosen.has(name)).filter(
    (name) => namePart === '' || name.startsWith(namePart) || resolveStyleName(namePart) === name,
  );
  const contains = STYLE_NAMES.filter(
    (name) => !chosen.has(name) && namePart !== '' && !matches.includes(name) && name.includes(namePart),
  );
  const choices: ApplicationCommandOptionChoiceData<string>[] = [...matches, ...contains].map((name) => {
    const value = `${head}${name}${weight === undefined ? '' : `:${weight}`}`;
    const label = head === '' ? `${name}: ${STYLES[name].description}` : value;
    return { name: label.slice(0, 100), value: value.slice(0, 100) };
  });
  if (text === '') {
    for (const mix of EXAMPLE_MIXES) choices.push({ name: `mix ${mix}`, value: mix });
  } else if (choices.length === 0 && parseStyle(text).ok) {
    choices.push({ name: text.slice(0, 100), value: text.slice(0, 100) });
  }
  return choices.slice(0, MAX_CHOICES);
}
