/**
 * The harmonic rhythm of a lead sheet: its chords as spans of steps, and where the ending starts (the last
 * chord change in the final bar, or that bar's downbeat), from which the band holds the final chord.
 */
import { sameChord } from './chord-tones.ts';
import type { ChordSymbol, LeadSheet } from './lead-sheet.ts';

export interface ChordSpan {
  readonly chord: ChordSymbol;
  /** First step. */
  readonly start: number;
  /** Step after the last. */
  readonly end: number;
}

export interface ChordTimeline {
  readonly spans: readonly ChordSpan[];
  /** The step from which the final chord is held to the end. */
  readonly endingStep: number;
  /** The chord the piece ends on (the last chord of the sheet), if it has any chords. */
  readonly finalChord: ChordSymbol | undefined;
  /** The span sounding at a step, if any. */
  at(step: number): ChordSpan | undefined;
  /** The first span starting at or after a step, if any. */
  after(step: number): ChordSpan | undefined;
}

export function chordTimeline(sheet: LeadSheet): ChordTimeline {
  const spans: ChordSpan[] = [];
  let current: { chord: ChordSymbol; start: number } | undefined;
  for (let step = 0; step <= sheet.steps; step++) {
    const chord = step < sheet.steps ? (sheet.chords[step] ?? null) : null;
    if (current && !sameChord(current.chord, chord)) {
      spans.push({ chord: current.chord, start: current.start, end: step });
      current = undefined;
    }
    if (chord && !current) current = { chord, start: step };
  }
  const bars = Math.max(1, Math.ceil(sheet.steps / sheet.stepsPerBar));
  const lastBarStart = (bars - 1) * sheet.stepsPerBar;
  const last = spans[spans.length - 1];
  const endingStep = Math.min(Math.max(lastBarStart, last ? last.start : 0), Math.max(0, sheet.steps - 1));
  const byStep: (ChordSpan | undefined)[] = new Array<ChordSpan | undefined>(sheet.steps).fill(undefined);
  for (const span of spans) for (let step = span.start; step < span.end; step++) byStep[step] = span;
  return {
    spans,
    endingStep,
    finalChord: last?.chord,
    at: (step) => byStep[step],
    after: (step) => spans.find((span) => span.start >= step),
  };
}
