/**
 * Chord theory the arrangement needs: the intervals of each chord quality (as in vocabulary.json), its
 * third, fifth and seventh, and the scale a bass player walks in over it.
 */
import type { ChordQuality, ChordSymbol } from './lead-sheet.ts';

/** Semitones above the root, as the vocabulary defines each quality. */
export const QUALITY_INTERVALS: Readonly<Record<ChordQuality, readonly number[]>> = {
  maj: [0, 4, 7],
  min: [0, 3, 7],
  '7': [0, 4, 7, 10],
  maj7: [0, 4, 7, 11],
  min7: [0, 3, 7, 10],
  m7b5: [0, 3, 6, 10],
  dim: [0, 3, 6],
  dim7: [0, 3, 6, 9],
  aug: [0, 4, 8],
  sus4: [0, 5, 7],
  '6': [0, 4, 7, 9],
  m6: [0, 3, 7, 9],
};

/** The scale a line moves in over each quality (mode of the chord), as semitones above the root. */
const CHORD_SCALES: Readonly<Record<ChordQuality, readonly number[]>> = {
  maj: [0, 2, 4, 5, 7, 9, 11],
  maj7: [0, 2, 4, 5, 7, 9, 11],
  '6': [0, 2, 4, 5, 7, 9, 11],
  '7': [0, 2, 4, 5, 7, 9, 10],
  sus4: [0, 2, 4, 5, 7, 9, 10],
  min: [0, 2, 3, 5, 7, 9, 10],
  min7: [0, 2, 3, 5, 7, 9, 10],
  m6: [0, 2, 3, 5, 7, 9, 10],
  m7b5: [0, 1, 3, 5, 6, 8, 10],
  dim: [0, 2, 3, 5, 6, 8, 9, 11],
  dim7: [0, 2, 3, 5, 6, 8, 9, 11],
  aug: [0, 2, 4, 6, 8, 10],
};

/** The pitch class 0-11 of any integer. */
export function pitchClass(pitch: number): number {
  return ((pitch % 12) + 12) % 12;
}

export function chordIntervals(quality: ChordQuality): readonly number[] {
  return QUALITY_INTERVALS[quality];
}

/** The chord's pitch classes, root first. */
export function chordPitchClasses(chord: ChordSymbol): number[] {
  return QUALITY_INTERVALS[chord.quality].map((interval) => pitchClass(chord.root + interval));
}

/** Interval of the third (4 major, 3 minor; a sus4 chord's 4th stands in for it). */
export function thirdOf(quality: ChordQuality): number {
  return QUALITY_INTERVALS[quality][1] ?? 4;
}

/** Interval of the fifth (7 perfect, 6 diminished, 8 augmented). */
export function fifthOf(quality: ChordQuality): number {
  return QUALITY_INTERVALS[quality][2] ?? 7;
}

/** Interval of the seventh (or the 6th of a sixth chord), or undefined for a triad. */
export function seventhOf(quality: ChordQuality): number | undefined {
  return QUALITY_INTERVALS[quality][3];
}

/** The chord-scale pitch classes a bass line may pass through. */
export function chordScale(chord: ChordSymbol): number[] {
  return CHORD_SCALES[chord.quality].map((interval) => pitchClass(chord.root + interval));
}

/** Whether two chord symbols are the same chord. */
export function sameChord(a: ChordSymbol | null | undefined, b: ChordSymbol | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return pitchClass(a.root) === pitchClass(b.root) && a.quality === b.quality;
}

/** The pitch with pitch class `pc` nearest to `target` (ties go down). */
export function nearestPitch(pc: number, target: number): number {
  const base = target - pitchClass(target - pc);
  return target - base <= base + 12 - target ? base : base + 12;
}
