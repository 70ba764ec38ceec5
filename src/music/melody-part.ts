/**
 * The melody part: the model's melody moved by octaves into the lead instrument's range and phrased:
 * connected notes slightly detached by the style's articulation, phrase ends held, dynamics following
 * the beat, the contour (higher = louder) and syncopation; the last note rings into the final chord.
 */
import { beatStrength } from './beat-strength.ts';
import type { PerformedNote } from './humanize.ts';
import type { GridNote, LeadSheet } from './lead-sheet.ts';
import type { PitchRange, StyleRecipe } from './style-recipe.ts';

const STEP = 0.25;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 60;
}

/**
 * The melody moved by whole octaves so the fewest notes fall outside the range, preferring to leave it
 * where the model wrote it and then to sit near the range's centre; notes still outside are folded in.
 */
export function fitMelodyToRange(melody: readonly GridNote[], range: PitchRange): GridNote[] {
  if (melody.length === 0) return [];
  const centre = (range.low + range.high) / 2;
  const middle = median(melody.map((note) => note.pitch));
  let bestShift = 0;
  let bestScore = Infinity;
  for (const shift of [0, -12, 12, -24, 24]) {
    const outside = melody.filter((note) => note.pitch + shift < range.low || note.pitch + shift > range.high).length;
    const score = outside * 100 + Math.abs(shift) / 3 + Math.abs(middle + shift - centre) / 4;
    if (score < bestScore) {
      bestScore = score;
      bestShift = shift;
    }
  }
  return melody.map((note) => {
    let pitch = note.pitch + bestShift;
    while (pitch > range.high && pitch - 12 >= range.low) pitch -= 12;
    while (pitch < range.low && pitch + 12 <= range.high) pitch += 12;
    return { ...note, pitch };
  });
}

/** Performs the (already range-fitted) melody with the recipe's phrasing and dynamics. */
export function performMelody(melody: readonly GridNote[], sheet: LeadSheet, recipe: StyleRecipe): PerformedNote[] {
  const sorted = [...melody].sort((a, b) => a.step - b.step || a.pitch - b.pitch);
  const range = recipe.velocity.melody;
  const middle = median(sorted.map((note) => note.pitch));
  const articulation = recipe.melody.articulation;
  const lastBarStart = Math.max(0, sheet.steps - sheet.stepsPerBar);
  return sorted.map((note, i) => {
    const next = sorted.slice(i + 1).find((other) => other.step > note.step);
    const written = note.steps * STEP;
    const gap = next ? next.step - (note.step + note.steps) : Infinity;
    // Connected notes are detached by the articulation (at most a 16th); a note before a rest is held.
    const cut = Math.min(written * (1 - articulation), STEP);
    let duration = gap <= 0 ? written - cut : written - cut / 3;
    if (!next && note.step >= lastBarStart - sheet.stepsPerBar / 2) duration = (sheet.steps - note.step) * STEP;
    const stepInBar = note.step % sheet.stepsPerBar;
    const strength = beatStrength(stepInBar, sheet.timeSignature);
    const contour = Math.max(-1, Math.min(1, (note.pitch - middle) / 12));
    const syncopated = strength < 0.5 && note.steps >= 2 && (stepInBar % 4) + note.steps > 4 ? 0.1 : 0;
    const long = note.steps >= 4 ? 0.06 : 0;
    const accent = Math.max(0, Math.min(1, 0.42 + 0.22 * strength + 0.2 * contour + syncopated + long));
    return {
      pitch: note.pitch,
      start: note.step * STEP,
      duration: Math.max(STEP / 4, duration),
      velocity: range.min + (range.max - range.min) * accent,
    };
  });
}
