/**
 * "For me": `/compose` with no style and `/radio style:for-me` ask the model for the person's own style mix,
 * written the way the compose request takes a mix ("jazz:0.6,lofi:0.4", see parseStyle in src/music/styles.ts).
 *
 * The mix is the person's positively scored styles (taste-profile.ts), at most 3, each at least 15% of the
 * three, weights rounded to hundredths. Someone with no positive history gets what people in their guild like
 * (the same rule over the guild's likes), and failing that the bot's default style.
 */
import { parseStyle, type StyleName } from '../music/styles.ts';
import type { MoodName } from '../music/moods.ts';
import { ranked, type TasteProfile } from './taste-profile.ts';
import { TEMPO_BAND_RANGES, type TempoBand } from './tempo-band.ts';

export interface ForMe {
  /** What the compose request's style option accepts: "jazz", or "jazz:0.6,lofi:0.4" (heaviest first). */
  readonly style: string;
  /** Their favourite mood, when they have one. */
  readonly mood: MoodName | undefined;
  /** The centre of their favourite tempo band, when they have one (the style's range still applies). */
  readonly tempo: number | undefined;
  readonly source: 'you' | 'people-here' | 'default';
  /** "your mix: 60% jazz, 40% lofi". */
  readonly reason: string;
}

export interface ForMeOptions {
  /** What people in the same guild like (a profile over their events), used when the person has no history. */
  readonly guild?: TasteProfile | undefined;
  /** The bot's default style; default "pop". */
  readonly fallbackStyle?: string | undefined;
}

export const FOR_ME_MAX_PARTS = 3;
/** A style below this share of the top three is left out of the mix. */
export const FOR_ME_MIN_SHARE = 0.15;

/** The style mix of a profile, or undefined when it likes no style. */
export function styleMixOf(profile: TasteProfile): { style: string; parts: [StyleName, number][] } | undefined {
  const top = ranked(profile.styles)
    .filter(([, value]) => value > 0)
    .slice(0, FOR_ME_MAX_PARTS);
  const sum = top.reduce((total, [, value]) => total + value, 0);
  const kept = top.filter(([, value]) => value / sum >= FOR_ME_MIN_SHARE);
  const keptSum = kept.reduce((total, [, value]) => total + value, 0);
  if (kept.length === 0 || !(keptSum > 0)) return undefined;
  // Hundredths that add up to exactly 1: the heaviest part takes the rounding remainder.
  const parts: [StyleName, number][] = kept.map(([style, value]) => [style, Math.round((value / keptSum) * 100)]);
  const first = parts[0];
  if (first !== undefined) first[1] += 100 - parts.reduce((total, [, percent]) => total + percent, 0);
  const style =
    parts.length === 1 && first !== undefined
      ? first[0]
      : parts.map(([name, percent]) => `${name}:${String(percent / 100)}`).join(',');
  return { style, parts: parts.map(([name, percent]) => [name, percent / 100]) };
}

export function forMe(profile: TasteProfile, options: ForMeOptions = {}): ForMe {
  const fallback = options.fallbackStyle ?? 'pop';
  const mine = styleMixOf(profile);
  if (mine !== undefined) {
    return { style: mine.style, ...favourites(profile), source: 'you', reason: `your mix: ${describe(mine.parts)}` };
  }
  const guild = options.guild === undefined ? undefined : styleMixOf(options.guild);
  if (guild !== undefined && options.guild !== undefined) {
    return {
      style: guild.style,
      ...favourites(options.guild),
      source: 'people-here',
      reason: `no taste of yours yet, so what people here like: ${describe(guild.parts)}`,
    };
  }
  const parsed = parseStyle(fallback);
  return {
    style: parsed.ok ? parsed.value.label : 'pop',
    mood: undefined,
    tempo: undefined,
    source: 'default',
    reason: 'no taste of yours yet: press 👍 or 👎 on clips and this becomes your own mix',
  };
}

function favourites(profile: TasteProfile): { mood: MoodName | undefined; tempo: number | undefined } {
  const [mood] = ranked(profile.moods).filter(([, value]) => value > 0);
  const [band] = ranked<TempoBand>(profile.tempoBands).filter(([, value]) => value > 0);
  return { mood: mood?.[0], tempo: band === undefined ? undefined : TEMPO_BAND_RANGES[band[0]].centre };
}

function describe(parts: readonly [StyleName, number][]): string {
  return parts.map(([style, weight]) => `${Math.round(weight * 100)}% ${style}`).join(', ');
}
