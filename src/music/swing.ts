/**
 * Swing as a time warp: inside each pair of subdivisions the first is lengthened and the second shortened,
 * continuously, so a swung off-beat 8th lands late and a 16th between them moves proportionally.
 */
import type { Swing } from './style-recipe.ts';

/** Beats per swung subdivision. */
export function swingSubdivision(swing: Swing): number {
  return swing.grid === '8th' ? 0.5 : 0.25;
}

/** Where a straight time (in beats) is played under this swing. Times on the pair grid do not move. */
export function swingTime(beats: number, swing: Swing): number {
  if (swing.amount <= 0) return beats;
  const sub = swingSubdivision(swing);
  const pair = 2 * sub;
  const pairStart = Math.floor(beats / pair + 1e-9) * pair;
  const position = beats - pairStart;
  const split = sub * (1 + Math.min(1, swing.amount) / 2);
  const warped = position <= sub ? (position * split) / sub : split + ((position - sub) * (pair - split)) / sub;
  return pairStart + warped;
}
