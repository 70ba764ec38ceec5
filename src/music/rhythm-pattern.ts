/**
 * Reading rhythm patterns bar by bar: short patterns tile across the bar, multi-bar patterns (a two-bar
 * clave) are read in the window that falls in this bar; and which pattern a bar plays (section A, B, ...
 * every 8 bars, with a variation at the end of some 4-bar phrases).
 */
import type { Random } from './random.ts';

/** Bars per section: patterns change at section boundaries, drums crash on them. */
export const SECTION_BARS = 8;

export interface RhythmPattern<H extends { readonly step: number }> {
  readonly lengthSteps: number;
  readonly hits: readonly H[];
}

/** The pattern's hits that fall in a bar, with their offsets in steps from the bar's start, in time order. */
export function hitsInBar<H extends { readonly step: number }>(
  pattern: RhythmPattern<H>,
  bar: number,
  stepsPerBar: number,
): { readonly hit: H; readonly offset: number }[] {
  const length = Math.max(1, pattern.lengthSteps);
  const found: { hit: H; offset: number }[] = [];
  if (length > stepsPerBar && length % stepsPerBar === 0) {
    const windowStart = (bar * stepsPerBar) % length;
    for (const hit of pattern.hits) {
      if (hit.step >= windowStart && hit.step < windowStart + stepsPerBar)
        found.push({ hit, offset: hit.step - windowStart });
    }
  } else {
    for (let base = 0; base < stepsPerBar; base += length) {
      for (const hit of pattern.hits) {
        const offset = base + hit.step;
        if (hit.step < length && offset < stepsPerBar) found.push({ hit, offset });
      }
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

/**
 * The pattern a bar plays: section A patterns[0] for bars 0-7, B for 8-15, ...; the last bar of a 4-bar
 * phrase sometimes (seeded) borrows the next pattern as a variation.
 */
export function patternForBar<P>(patterns: readonly P[], bar: number, random: Random): P | undefined {
  if (patterns.length === 0) return undefined;
  let index = Math.floor(bar / SECTION_BARS) % patterns.length;
  if (patterns.length > 1 && bar % 4 === 3 && random.next() < 0.5) index = (index + 1) % patterns.length;
  return patterns[index];
}
