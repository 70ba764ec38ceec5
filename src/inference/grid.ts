/**
 * The token grid the model reads and writes: T steps (16th notes) x 4 cells (melody, bass, harmony, drums),
 * stored row-major (`cells[step * 4 + track]`). Grids are in C; the requested key is applied by
 * `gridToLeadSheet`. A cell may hold its track's MASK id (= the track's vocabulary size) only while sampling.
 */
import vocabulary from '../music/vocabulary.json' with { type: 'json' };
import { CHORD_QUALITIES, type ChordSymbol, type GridNote, type LeadSheet } from '../music/lead-sheet.ts';
import type { Key, TimeSignature } from '../music/score.ts';

export const GRID_TRACKS = ['melody', 'bass', 'harmony', 'drums'] as const;
export type GridTrack = (typeof GRID_TRACKS)[number];
export const TRACK_COUNT = 4;

export const TRACK_INDEX = { melody: 0, bass: 1, harmony: 2, drums: 3 } as const satisfies Record<GridTrack, number>;

/** Vocabulary size per track (valid tokens are 0..size-1; size itself is that track's MASK id). */
export const TRACK_SIZES: readonly number[] = [
  vocabulary.melody.size,
  vocabulary.bass.size,
  vocabulary.harmony.size,
  vocabulary.drums.size,
];

export const REST = 0;
export const HOLD = 1;
/** Melody and bass: the first onset token (tokens from here on start a note at a pitch). */
export const FIRST_PITCH = 2;

export interface Grid {
  /** Number of steps T. */
  readonly steps: number;
  /** T * 4 tokens, `cells[step * 4 + track]`. */
  readonly cells: Int16Array;
}

export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export interface GridError {
  readonly code: 'bad-length' | 'token-out-of-range';
  readonly message: string;
}

export function createGrid(steps: number, fill = 0): Grid {
  const cells = new Int16Array(steps * TRACK_COUNT);
  if (fill !== 0) cells.fill(fill);
  return { steps, cells };
}

/** A grid with every cell masked (each track's MASK id). */
export function createMaskedGrid(steps: number): Grid {
  const grid = createGrid(steps);
  for (let t = 0; t < steps; t++) {
    for (let k = 0; k < TRACK_COUNT; k++) grid.cells[t * TRACK_COUNT + k] = maskId(k);
  }
  return grid;
}

export function cloneGrid(grid: Grid): Grid {
  return { steps: grid.steps, cells: grid.cells.slice() };
}

export function maskId(track: number): number {
  return TRACK_SIZES[track] ?? 0;
}

export function cellAt(grid: Grid, step: number, track: number): number {
  return grid.cells[step * TRACK_COUNT + track] ?? 0;
}

/** Steps [from, to) of a grid, as a new grid. */
export function sliceGrid(grid: Grid, from: number, to: number): Grid {
  return { steps: to - from, cells: grid.cells.slice(from * TRACK_COUNT, to * TRACK_COUNT) };
}

export function concatGrids(first: Grid, second: Grid): Grid {
  const cells = new Int16Array((first.steps + second.steps) * TRACK_COUNT);
  cells.set(first.cells, 0);
  cells.set(second.cells, first.cells.length);
  return { steps: first.steps + second.steps, cells };
}

/** Every cell holds a real token of its track (no MASK ids, nothing out of range) and the length matches. */
export function validateGrid(grid: Grid): Result<Grid, GridError> {
  if (!Number.isInteger(grid.steps) || grid.steps < 0 || grid.cells.length !== grid.steps * TRACK_COUNT) {
    return {
      ok: false,
      error: { code: 'bad-length', message: `expected ${grid.steps} x 4 cells, got ${grid.cells.length}` },
    };
  }
  for (let i = 0; i < grid.cells.length; i++) {
    const token = grid.cells[i] ?? -1;
    const track = i % TRACK_COUNT;
    const size = maskId(track);
    if (token < 0 || token >= size) {
      const step = Math.floor(i / TRACK_COUNT);
      return {
        ok: false,
        error: {
          code: 'token-out-of-range',
          message: `${GRID_TRACKS[track] ?? 'track'} token ${token} at step ${step} is outside 0..${size - 1}`,
        },
      };
    }
  }
  return { ok: true, value: grid };
}

/**
 * Turns every melody/bass 'hold' that continues nothing (at step 0, or right after a rest) into a rest, in place,
 * except cells marked in `fixed` (fixed cells never change). Returns how many cells were repaired.
 */
export function repairHolds(grid: Grid, fixed?: Uint8Array): number {
  let repaired = 0;
  for (const track of [TRACK_INDEX.melody, TRACK_INDEX.bass]) {
    let previous = REST;
    for (let t = 0; t < grid.steps; t++) {
      const i = t * TRACK_COUNT + track;
      let token = grid.cells[i] ?? REST;
      if (token === HOLD && previous === REST && fixed?.[i] !== 1) {
        grid.cells[i] = REST;
        token = REST;
        repaired++;
      }
      previous = token;
    }
  }
  return repaired;
}

/** Bytes for storage: little-endian int16 per cell. */
export function encodeGrid(grid: Grid): Uint8Array {
  const bytes = new Uint8Array(grid.cells.length * 2);
  const view = new DataView(bytes.buffer);
  grid.cells.forEach((token, i) => {
    view.setInt16(i * 2, token, true);
  });
  return bytes;
}

export function decodeGrid(bytes: Uint8Array): Result<Grid, GridError> {
  if (bytes.length % (2 * TRACK_COUNT) !== 0) {
    return {
      ok: false,
      error: { code: 'bad-length', message: `${bytes.length} bytes is not a whole number of steps` },
    };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cells = new Int16Array(bytes.length / 2);
  for (let i = 0; i < cells.length; i++) cells[i] = view.getInt16(i * 2, true);
  return validateGrid({ steps: cells.length / TRACK_COUNT, cells });
}

/** The transposition (semitones, -6..+5) that moves a grid in C to the given tonic. */
export function transpositionFor(tonic: number): number {
  const pc = ((Math.round(tonic) % 12) + 12) % 12;
  return pc > 5 ? pc - 12 : pc;
}

export interface LeadSheetOptions {
  readonly key: Key;
  readonly tempo: number;
  readonly timeSignature: TimeSignature;
  readonly stepsPerBar: number;
}

/** Reads a complete grid (validate it first) as a LeadSheet in the requested key. */
export function gridToLeadSheet(grid: Grid, options: LeadSheetOptions): LeadSheet {
  const shift = transpositionFor(options.key.tonic);
  const chords: (ChordSymbol | null)[] = [];
  const drums: number[] = [];
  for (let t = 0; t < grid.steps; t++) {
    chords.push(chordFromToken(cellAt(grid, t, TRACK_INDEX.harmony), shift));
    drums.push(cellAt(grid, t, TRACK_INDEX.drums));
  }
  return {
    tempo: options.tempo,
    timeSignature: options.timeSignature,
    key: options.key,
    steps: grid.steps,
    stepsPerBar: options.stepsPerBar,
    melody: lineNotes(grid, TRACK_INDEX.melody, vocabulary.melody.lowPitch + shift),
    bass: lineNotes(grid, TRACK_INDEX.bass, vocabulary.bass.lowPitch + shift),
    chords,
    drums,
  };
}

/** Onset tokens start a note, holds lengthen it, anything else ends it (an orphan hold reads as a rest). */
function lineNotes(grid: Grid, track: number, lowPitch: number): GridNote[] {
  const notes: GridNote[] = [];
  let open: { pitch: number; step: number; steps: number } | null = null;
  const close = (): void => {
    if (open) notes.push({ pitch: open.pitch, step: open.step, steps: open.steps });
    open = null;
  };
  for (let t = 0; t < grid.steps; t++) {
    const token = cellAt(grid, t, track);
    if (token === HOLD && open) {
      open.steps++;
    } else if (token >= 2) {
      close();
      open = { pitch: lowPitch + token - 2, step: t, steps: 1 };
    } else {
      close();
    }
  }
  close();
  return notes;
}

function chordFromToken(token: number, shift: number): ChordSymbol | null {
  if (token <= 0) return null;
  const relativeRoot = Math.floor((token - 1) / 12);
  const quality = CHORD_QUALITIES[(token - 1) % 12];
  if (quality === undefined) return null;
  return { root: (((relativeRoot + shift) % 12) + 12) % 12, quality };
}
