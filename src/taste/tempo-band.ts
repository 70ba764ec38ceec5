/**
 * Tempo bands: taste is learned over four coarse bands rather than exact bpm, so a like at 118 bpm and one at
 * 124 bpm teach the same thing.
 */
export const TEMPO_BANDS = ['slow', 'medium', 'upbeat', 'fast'] as const;
export type TempoBand = (typeof TEMPO_BANDS)[number];

/** Lower bound (inclusive) and a representative tempo of each band, in bpm. */
export const TEMPO_BAND_RANGES: Readonly<Record<TempoBand, { readonly from: number; readonly centre: number }>> = {
  slow: { from: 0, centre: 72 },
  medium: { from: 85, centre: 98 },
  upbeat: { from: 110, centre: 122 },
  fast: { from: 135, centre: 150 },
};

/** slow < 85 ≤ medium < 110 ≤ upbeat < 135 ≤ fast. */
export function tempoBand(bpm: number): TempoBand {
  if (bpm >= TEMPO_BAND_RANGES.fast.from) return 'fast';
  if (bpm >= TEMPO_BAND_RANGES.upbeat.from) return 'upbeat';
  if (bpm >= TEMPO_BAND_RANGES.medium.from) return 'medium';
  return 'slow';
}
