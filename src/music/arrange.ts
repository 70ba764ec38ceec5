/**
 * The arrangement: a style performs a lead sheet. Melody, comping, bass and drums are written by their
 * parts (melody-part, harmony-part, bass-part, drum-part), then swung and humanised into a Score.
 */
import { performBass } from './bass-part.ts';
import { chordTimeline } from './chord-timeline.ts';
import { performDrums } from './drum-part.ts';
import { performHarmony } from './harmony-part.ts';
import { humanize, type PerformedNote } from './humanize.ts';
import type { LeadSheet } from './lead-sheet.ts';
import { fitMelodyToRange, performMelody } from './melody-part.ts';
import { createRandom, type Random } from './random.ts';
import { keyName, TRACK_ROLES, type Score, type Track, type TrackRole } from './score.ts';
import { instrumentFor, TRACK_NAMES, type InstrumentOverrides } from './style-instruments.ts';
import type { StyleRecipe } from './style-recipe.ts';

export { applyStyleToScore } from './apply-style.ts';

export interface ArrangeOptions {
  /** Same seed, same sheet, same recipe → the identical Score. */
  readonly seed: number;
  /** Default: "<Style> in <key>". */
  readonly title?: string;
  /** Score.style; default the recipe's name (pass a mix label like "jazz:0.6,lofi:0.4"). */
  readonly styleLabel?: string;
  /** GM program per role instead of the recipe's (for drums: a GM kit). */
  readonly instruments?: InstrumentOverrides;
}

/** How tight each role plays relative to the style's timing spread (drummers and bassists lock in). */
const TIMING_SPREAD: Readonly<Record<TrackRole, number>> = { melody: 1, harmony: 0.9, bass: 0.7, drums: 0.5 };

const STEPS_PER_BEAT = 4;

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Performs a lead sheet in a style. Tracks come in TRACK_ROLES order; a role with no notes (no drummer in
 * classical, an empty melody) is left out. Every note lies inside lengthBeats (= sheet.steps / 4).
 */
export function arrange(sheet: LeadSheet, recipe: StyleRecipe, options: ArrangeOptions): Score {
  const random = createRandom(options.seed);
  const partRandom: Record<TrackRole, Random> = {
    melody: random.fork(),
    harmony: random.fork(),
    bass: random.fork(),
    drums: random.fork(),
  };
  const feelRandom: Record<TrackRole, Random> = {
    melody: random.fork(),
    harmony: random.fork(),
    bass: random.fork(),
    drums: random.fork(),
  };
  const timeline = chordTimeline(sheet);
  const melody = fitMelodyToRange(sheet.melody, recipe.melody.register);
  const parts: Record<TrackRole, PerformedNote[]> = {
    melody: performMelody(melody, sheet, recipe),
    harmony: performHarmony({ sheet, recipe, timeline, melody, random: partRandom.harmony }),
    bass: performBass({ sheet, recipe, timeline, random: partRandom.bass }),
    drums: performDrums({ sheet, recipe, timeline, random: partRandom.drums }),
  };
  const lengthBeats = sheet.steps / STEPS_PER_BEAT;
  const tracks: Track[] = [];
  for (const role of TRACK_ROLES) {
    const notes = humanize(parts[role], {
      tempo: sheet.tempo,
      lengthBeats,
      swing: recipe.swing,
      timingMs: recipe.humanize.timingMs * TIMING_SPREAD[role],
      velocity: recipe.humanize.velocity,
      laidBackMs: recipe.humanize.laidBackMs[role] ?? 0,
      random: feelRandom[role],
    });
    if (notes.length === 0) continue;
    tracks.push({
      name: TRACK_NAMES[role],
      role,
      instrument: instrumentFor(recipe, role, sheet.tempo, options.instruments),
      mix: recipe.mix[role],
      notes,
    });
  }
  const style = options.styleLabel ?? recipe.name;
  return {
    title: options.title ?? `${capitalise(style)} in ${keyName(sheet.key)}`,
    tempo: sheet.tempo,
    timeSignature: sheet.timeSignature,
    key: sheet.key,
    style,
    seed: options.seed,
    lengthBeats,
    tracks,
  };
}
