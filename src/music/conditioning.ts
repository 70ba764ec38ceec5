/**
 * What the neural model can be conditioned on: a weight vector over the styles it learned and a few
 * coarse conditions. Product styles and moods (styles.ts, moods.ts) are recipes over these.
 * Mirrors `learnedStyles` and `conditions` in vocabulary.json (a test keeps them in step).
 */

/** The model's style input, in the order of its style vector. */
export const LEARNED_STYLES = [
  'pop',
  'folk',
  'classical',
  'jazz',
  'latin',
  'funk',
  'rock',
  'game',
  'hiphop',
  'reggae',
] as const;
export type LearnedStyle = (typeof LEARNED_STYLES)[number];

export const MOOD_CONDITIONS = ['bright-energetic', 'bright-calm', 'dark-energetic', 'dark-calm'] as const;
export type MoodCondition = (typeof MOOD_CONDITIONS)[number];

export const DENSITIES = ['sparse', 'medium', 'dense'] as const;
export type Density = (typeof DENSITIES)[number];

export const MODES = ['major', 'minor'] as const;
export type Mode = (typeof MODES)[number];

export const METERS = ['4/4', '3/4', '6/8'] as const;
export type Meter = (typeof METERS)[number];

/** Weights over learned styles; absent = 0. Normalised weights sum to 1. */
export type StyleWeights = Readonly<Partial<Record<LearnedStyle, number>>>;

/** Everything the model is told about the music it should compose. Absent fields are "unspecified". */
export interface ModelConditioning {
  readonly styles: StyleWeights;
  readonly mood?: MoodCondition;
  readonly density?: Density;
  readonly mode?: Mode;
  readonly meter?: Meter;
}

/** Sums `weight × weights` over the parts and normalises the result to sum to 1 (empty input → {}). */
export function mixStyleWeights(
  parts: readonly { readonly weights: StyleWeights; readonly weight: number }[],
): StyleWeights {
  const totals = new Map<LearnedStyle, number>();
  for (const part of parts) {
    for (const style of LEARNED_STYLES) {
      const w = (part.weights[style] ?? 0) * part.weight;
      if (w > 0) totals.set(style, (totals.get(style) ?? 0) + w);
    }
  }
  const sum = [...totals.values()].reduce((a, b) => a + b, 0);
  const mixed: Partial<Record<LearnedStyle, number>> = {};
  if (sum <= 0) return mixed;
  for (const style of LEARNED_STYLES) {
    const w = totals.get(style);
    if (w !== undefined) mixed[style] = w / sum;
  }
  return mixed;
}

/** The model's `style` input: weights in LEARNED_STYLES order (all zeros = unconditioned). */
export function styleVector(weights: StyleWeights): number[] {
  return LEARNED_STYLES.map((style) => weights[style] ?? 0);
}
