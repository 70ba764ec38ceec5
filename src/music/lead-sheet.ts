/**
 * A lead sheet: what the model composes, before a style performs it. Everything sits on a 16th-note
 * grid (4 steps per beat). The arrangement (src/music/arrange.ts) turns a LeadSheet into a Score.
 */
import type { Key, TimeSignature } from './score.ts';

export const CHORD_QUALITIES = [
  'maj',
  'min',
  '7',
  'maj7',
  'min7',
  'm7b5',
  'dim',
  'dim7',
  'aug',
  'sus4',
  '6',
  'm6',
] as const;
export type ChordQuality = (typeof CHORD_QUALITIES)[number];

export interface ChordSymbol {
  /** Absolute pitch class of the root, 0 = C. */
  readonly root: number;
  readonly quality: ChordQuality;
}

/** A note of the melody or bass line, in grid steps. */
export interface GridNote {
  readonly pitch: number;
  readonly step: number;
  /** Length in steps, >= 1. */
  readonly steps: number;
}

export const DRUM_CLASSES = ['kick', 'snare', 'closedHat', 'openHat', 'lowTom', 'highTom', 'crash', 'ride'] as const;
export type DrumClass = (typeof DRUM_CLASSES)[number];

export interface LeadSheet {
  readonly tempo: number;
  readonly timeSignature: TimeSignature;
  readonly key: Key;
  /** Total length in steps (16th notes). */
  readonly steps: number;
  readonly stepsPerBar: number;
  readonly melody: readonly GridNote[];
  readonly bass: readonly GridNote[];
  /** One entry per step: the chord sounding at that step, or null for no chord. */
  readonly chords: readonly (ChordSymbol | null)[];
  /** One entry per step: bitmask over DRUM_CLASSES (bit i set = that class hits at this step). */
  readonly drums: readonly number[];
}

export function stepsPerBar(timeSignature: TimeSignature): number {
  return (timeSignature.numerator * 16) / timeSignature.denominator;
}
