/**
 * Resolves a ComposeRequest into everything the model and the arrangement need: the recipe (with the mood),
 * tempo, key, meter, length in steps, and the model's conditioning in the model's own style order.
 */
import { conditionWithMood, applyMood } from '../music/moods.ts';
import { stepsPerBar as stepsPerBarOf } from '../music/lead-sheet.ts';
import { createRandom } from '../music/random.ts';
import type { Key, TimeSignature } from '../music/score.ts';
import type { ModelConditioning } from '../music/conditioning.ts';
import type { StyleRecipe } from '../music/style-recipe.ts';
import type { ComposeRequest } from './compose-request.ts';
import { conditionIndex, tempoCondition, type Conditions } from './generate.ts';

/** Tonics a seed picks from when no key is asked for: the keys players reach for first. */
const COMMON_TONICS = [0, 2, 3, 5, 7, 9, 10] as const;

export interface CompositionPlan {
  readonly recipe: StyleRecipe;
  readonly styleLabel: string;
  /** Exact tempo, chosen so that a whole number of beats lasts exactly the asked length. */
  readonly tempo: number;
  readonly key: Key;
  readonly timeSignature: TimeSignature;
  readonly stepsPerBar: number;
  readonly lengthBeats: number;
  /** Grid length: 4 steps per beat. */
  readonly steps: number;
  readonly conditioning: ModelConditioning;
  readonly conditions: Conditions;
}

/** Plans a fresh composition. */
export function planComposition(request: ComposeRequest): CompositionPlan {
  const random = createRandom(request.seed ^ 0x5f3759df);
  const base = request.style.recipe;
  const recipe = request.mood === undefined ? base : applyMood(base, request.mood);
  const conditioning =
    request.mood === undefined
      ? request.style.conditioning
      : conditionWithMood(request.style.conditioning, request.mood);

  let tempo = request.tempo;
  if (tempo === undefined) {
    const jitter = 1 + (random.next() - 0.5) * 0.1;
    tempo = clamp(recipe.tempo.default * jitter, recipe.tempo.min, recipe.tempo.max);
  }
  const lengthBeats = fitLength(request.lengthSeconds, tempo, beatsPerBar(recipe.meter), request.tempo !== undefined);
  const exactTempo = (lengthBeats * 60) / request.lengthSeconds;

  const tonic = COMMON_TONICS[random.int(COMMON_TONICS.length)] ?? 0;
  const key: Key = request.key ?? { tonic, mode: conditioning.mode ?? 'major' };
  return planFrom({
    recipe,
    styleLabel: request.style.label,
    tempo: exactTempo,
    key,
    lengthBeats,
    conditioning: { ...conditioning, mode: key.mode },
  });
}

/** A plan from resolved values (a variation or extension re-plans from what its parent stored). */
export function planFrom(values: {
  readonly recipe: StyleRecipe;
  readonly styleLabel: string;
  readonly tempo: number;
  readonly key: Key;
  readonly lengthBeats: number;
  readonly conditioning: ModelConditioning;
}): CompositionPlan {
  const timeSignature = values.recipe.meter;
  const meter = `${timeSignature.numerator}/${timeSignature.denominator}`;
  const conditions: Conditions = {
    mood: conditionIndex('mood', values.conditioning.mood),
    tempo: tempoCondition(values.tempo),
    density: conditionIndex('density', values.conditioning.density),
    mode: conditionIndex('mode', values.key.mode),
    meter: conditionIndex('meter', meter),
  };
  return {
    recipe: values.recipe,
    styleLabel: values.styleLabel,
    tempo: values.tempo,
    key: values.key,
    timeSignature,
    stepsPerBar: stepsPerBarOf(timeSignature),
    lengthBeats: values.lengthBeats,
    steps: values.lengthBeats * 4,
    conditioning: values.conditioning,
    conditions,
  };
}

/** The model's `style` input, laid out in the model's own style order (matched by name). */
export function styleWeightsFor(conditioning: ModelConditioning, modelStyles: readonly string[]): number[] {
  const weights: Readonly<Record<string, number | undefined>> = conditioning.styles;
  return modelStyles.map((name) => weights[name] ?? 0);
}

/** Tempo changes up to this much are fine to end the clip on a bar line (a chosen tempo may move more). */
const BAR_FIT_ASKED = 0.03;
const BAR_FIT_CHOSEN = 0.08;

/**
 * Beats in a clip of `seconds` at about `tempo`: whole bars when that moves the tempo only a little (music
 * ends on a bar line, and extensions start on a downbeat), else whole beats. The tempo is then adjusted so the
 * clip lasts exactly `seconds`.
 */
export function fitLength(seconds: number, tempo: number, barBeats: number, tempoWasAsked: boolean): number {
  const beats = (seconds * tempo) / 60;
  const bars = Math.max(1, Math.round(beats / barBeats));
  const tolerance = tempoWasAsked ? BAR_FIT_ASKED : BAR_FIT_CHOSEN;
  if (Math.abs((bars * barBeats) / beats - 1) <= tolerance) return bars * barBeats;
  return Math.max(1, Math.round(beats));
}

/** Quarter-note beats in a bar: 4 in 4/4, 3 in 3/4 and in 6/8. */
export function beatsPerBar(timeSignature: TimeSignature): number {
  return (timeSignature.numerator * 4) / timeSignature.denominator;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
