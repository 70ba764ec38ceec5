/**
 * Re-styling an existing Score (an imported MIDI file, `npm run render FILE.mid --style jazz`): its notes
 * stay; each track gets the style's instrument and mix for its role, off-beats on the straight grid are
 * swung, and a light seeded humanisation loosens a quantised file.
 */
import { humanize, type PerformedNote } from './humanize.ts';
import { createRandom } from './random.ts';
import type { Note, Score, Track, TrackRole } from './score.ts';
import { instrumentFor } from './style-instruments.ts';
import type { StyleRecipe, Swing } from './style-recipe.ts';
import { swingSubdivision, swingTime } from './swing.ts';

/** How close (in beats) a note must be to a straight off-beat to be swung. */
const GRID_TOLERANCE = 1 / 32;
/** Imported performances keep most of their own feel: a fraction of the style's humanisation. */
const LIGHT_TIMING = 0.4;
const LIGHT_VELOCITY = 0.5;
const NO_SWING: Swing = { amount: 0, grid: '8th' };

/** Swings a time only when it sits on (or very near) the straight grid's off-beat; other times are left alone. */
function swingOffBeat(beats: number, swing: Swing): number {
  if (swing.amount <= 0) return beats;
  const sub = swingSubdivision(swing);
  const index = Math.round(beats / sub);
  const grid = index * sub;
  if (index % 2 === 0 || Math.abs(beats - grid) > GRID_TOLERANCE) return beats;
  return swingTime(grid, swing) + (beats - grid);
}

function swungNotes(notes: readonly Note[], swing: Swing): PerformedNote[] {
  return notes.map((note) => {
    const start = swingOffBeat(note.start, swing);
    const end = swingOffBeat(note.start + note.duration, swing);
    return { pitch: note.pitch, start, duration: Math.max(1 / 64, end - start), velocity: note.velocity };
  });
}

/** Spreads tracks that share a role a little across the stereo field so they stay distinct. */
function panFor(base: number, indexInRole: number): number {
  if (indexInRole === 0) return base;
  const side = indexInRole % 2 === 1 ? 1 : -1;
  return Math.max(0, Math.min(127, base + side * 18 * Math.ceil(indexInRole / 2)));
}

/** The Score performed by the style's band: same notes, the style's instruments, mix and feel. */
export function applyStyleToScore(score: Score, recipe: StyleRecipe, seed: number): Score {
  const random = createRandom(seed);
  const seen = new Map<TrackRole, number>();
  const tracks: Track[] = score.tracks.map((track) => {
    const indexInRole = seen.get(track.role) ?? 0;
    seen.set(track.role, indexInRole + 1);
    const mix = recipe.mix[track.role];
    const notes = humanize(swungNotes(track.notes, recipe.swing), {
      tempo: score.tempo,
      lengthBeats: score.lengthBeats,
      swing: NO_SWING,
      timingMs: recipe.humanize.timingMs * LIGHT_TIMING * (track.role === 'drums' ? 0.5 : 1),
      velocity: recipe.humanize.velocity * LIGHT_VELOCITY,
      laidBackMs: 0,
      random: random.fork(),
    });
    return {
      ...track,
      instrument: instrumentFor(recipe, track.role, score.tempo),
      mix: { ...mix, pan: panFor(mix.pan, indexInRole) },
      notes,
    };
  });
  return { ...score, style: recipe.name, seed, tracks };
}
