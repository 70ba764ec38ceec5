/**
 * Harmonic rhythm: how many steps one sampled chord lasts at least. The model predicts a chord symbol per 16th
 * step, and sampling each step on its own made chords flicker (a new chord on almost every beat, with one-step
 * blips: 3.7 chord changes a bar for pop against 1.4 in the data). Real chords change on beats, almost never
 * between them, and in most styles on the half bar. So the sampler draws one chord per span from the span's cells
 * together (see `denoiseStep`), with the span chosen here.
 *
 * Measured on the training data (`training/.cache/dataset.npz`, pieces with chords): chord changes per bar, and the
 * share of changes that fall off a half-bar (and off a beat):
 *   pop 1.37 (12%, 1%)   folk 1.05 (2%, 1%)   jazz 1.11 (2%, 0%)   latin 0.92 (1%, 0%)   funk 0.86   rock 0.67
 *   classical 3.17 (47%, 0%)   game 2.14 (42%, 5%)
 * Classical and game change on the beat; every other learned style on the half bar.
 */
/** Learned styles whose chords change on the beat rather than the half bar. */
const BEAT_RHYTHM_STYLES: ReadonlySet<string> = new Set(['classical', 'game']);

/**
 * The chord span in steps for a request: a beat when the beat-rhythm styles hold at least half of the style
 * weights, else half a bar (4/4: 8 steps; 6/8: a dotted quarter, 6; 3/4: the whole bar, 12). No style: the half
 * bar, as most of the data.
 */
export function harmonySpanSteps(
  stepsPerBar: number,
  meter: string | undefined,
  styleWeights: readonly number[],
  styles: readonly string[],
): number {
  const beat = meter === '6/8' ? stepsPerBar / 2 : stepsPerBar % 4 === 0 ? 4 : 1;
  let total = 0;
  let beatWeight = 0;
  styleWeights.forEach((weight, index) => {
    if (!(weight > 0)) return;
    total += weight;
    if (BEAT_RHYTHM_STYLES.has(styles[index] ?? '')) beatWeight += weight;
  });
  if (total > 0 && beatWeight / total >= 0.5) return beat;
  if (meter === '6/8') return stepsPerBar / 2;
  if (stepsPerBar % 8 === 0) return stepsPerBar / 2;
  return stepsPerBar;
}
