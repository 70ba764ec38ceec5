/**
 * What /taste shows: a profile as ranked bars (what a picture draws) and one sentence.
 */
import { ranked, type TasteProfile } from './taste-profile.ts';

export interface TasteBar {
  readonly name: string;
  /** The decayed score (negative: disliked). */
  readonly score: number;
  /** score / the largest |score| of its dimension, −1 to 1: the bar's length. */
  readonly level: number;
}

export interface TasteSummary {
  readonly styles: readonly TasteBar[];
  readonly moods: readonly TasteBar[];
  readonly tempoBands: readonly TasteBar[];
  readonly instruments: readonly TasteBar[];
  /** "You like jazz and lofi, calm moods, medium tempos; less so rock." or a hint for an empty profile. */
  readonly sentence: string;
}

/** At most `limit` bars per dimension, highest score first (dislikes last), scores rounded to 4 decimals. */
export function summariseTaste(profile: TasteProfile, limit = 6): TasteSummary {
  const bars = (scores: Readonly<Partial<Record<string, number>>>): TasteBar[] => {
    const entries = ranked(scores).filter(([, score]) => score !== 0);
    const max = Math.max(0, ...entries.map(([, score]) => Math.abs(score)));
    return entries
      .slice(0, limit)
      .map(([name, score]) => ({ name, score: round(score), level: max > 0 ? round(score / max) : 0 }));
  };
  const styles = bars(profile.styles);
  const moods = bars(profile.moods);
  const tempoBands = bars(profile.tempoBands);
  const liked = (list: readonly TasteBar[], n: number): string[] =>
    list
      .filter((bar) => bar.score > 0)
      .slice(0, n)
      .map((bar) => bar.name);
  const likedStyles = liked(styles, 2);
  const parts: string[] = [];
  if (likedStyles.length > 0) parts.push(likedStyles.join(' and '));
  const likedMoods = liked(moods, 2);
  if (likedMoods.length > 0) parts.push(`${likedMoods.join(' and ')} moods`);
  const [band] = liked(tempoBands, 1);
  if (band !== undefined) parts.push(`${band} tempos`);
  const disliked = ranked(profile.styles)
    .filter(([, score]) => score < 0)
    .reverse()
    .slice(0, 1)
    .map(([name]) => name);
  const sentence =
    parts.length === 0
      ? 'Motif does not know your taste yet: press 👍 or 👎 on clips, and play the ones you like.'
      : `You like ${parts.join(', ')}${disliked.length > 0 ? `; less so ${disliked.join(', ')}` : ''}.`;
  return { styles, moods, tempoBands, instruments: bars(profile.instruments), sentence };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
