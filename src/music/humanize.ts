/**
 * From written parts to played notes: swing, deliberate offsets (strums, laid-back feel), seeded timing
 * and velocity variation, then the rules every Score obeys (inside the length, durations > 0, velocities
 * 1-127, no overlapping notes of one pitch, sorted).
 */
import type { Random } from './random.ts';
import type { Note } from './score.ts';
import type { Swing } from './style-recipe.ts';
import { swingTime } from './swing.ts';

/** A note as a part writes it: straight grid time in beats, a float velocity and an intended offset. */
export interface PerformedNote {
  readonly pitch: number;
  /** Straight (unswung) onset in beats. */
  readonly start: number;
  /** Written length in beats. */
  readonly duration: number;
  readonly velocity: number;
  /** A deliberate offset in milliseconds after swing (a strummed string, a rolled chord). */
  readonly delayMs?: number;
}

export interface HumanizeOptions {
  readonly tempo: number;
  readonly lengthBeats: number;
  readonly swing: Swing;
  /** Standard deviation of timing jitter in ms (0 = none). */
  readonly timingMs: number;
  /** Standard deviation of velocity variation (0 = none). */
  readonly velocity: number;
  /** Constant offset in ms for the whole part (> 0 behind the beat). */
  readonly laidBackMs: number;
  readonly random: Random;
}

/** The shortest note kept, in beats. */
const MIN_DURATION = 1 / 64;

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** A deviate of the given spread, limited to ±2.5 spreads so a rare draw cannot throw a note off the beat. */
function deviation(random: Random, spread: number): number {
  if (spread <= 0) return 0;
  return clamp(random.normal(), -2.5, 2.5) * spread;
}

/** Plays a part: the notes of a Score track, sorted by start then pitch. */
export function humanize(notes: readonly PerformedNote[], options: HumanizeOptions): Note[] {
  const beatsPerMs = options.tempo / 60000;
  const played: { pitch: number; start: number; end: number; velocity: number }[] = [];
  for (const note of notes) {
    const swungStart = swingTime(note.start, options.swing);
    const swungEnd = swingTime(note.start + note.duration, options.swing);
    const offset =
      ((note.delayMs ?? 0) + options.laidBackMs + deviation(options.random, options.timingMs)) * beatsPerMs;
    const start = Math.max(0, swungStart + offset);
    // Notes written to the very end stop exactly there: the band cuts off together.
    const end =
      swungEnd >= options.lengthBeats - 1e-9 ? options.lengthBeats : Math.min(options.lengthBeats, swungEnd + offset);
    const velocity = Math.round(clamp(note.velocity + deviation(options.random, options.velocity), 1, 127));
    if (end - start >= MIN_DURATION && note.pitch >= 0 && note.pitch <= 127) {
      played.push({
        pitch: Math.round(note.pitch),
        start: round(start),
        end: Math.min(options.lengthBeats, round(end)),
        velocity,
      });
    }
  }
  played.sort((a, b) => a.start - b.start || a.pitch - b.pitch);
  // One pitch cannot sound twice at once on one channel: a re-attack ends the note before it.
  const lastByPitch = new Map<number, { start: number; end: number }>();
  const kept: typeof played = [];
  for (const note of played) {
    const previous = lastByPitch.get(note.pitch);
    if (previous && previous.end > note.start - 0.005) {
      if (note.start - previous.start < MIN_DURATION * 2) continue;
      previous.end = Math.max(previous.start + MIN_DURATION, round(note.start - 0.01));
    }
    kept.push(note);
    lastByPitch.set(note.pitch, note);
  }
  return kept.map((note) => ({
    pitch: note.pitch,
    start: note.start,
    duration: note.end - note.start,
    velocity: note.velocity,
  }));
}

/** Rounds to a millionth of a beat so tiny float noise never reorders notes. */
function round(beats: number): number {
  return Math.round(beats * 1e6) / 1e6;
}
