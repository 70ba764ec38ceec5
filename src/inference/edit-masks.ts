/**
 * Edits as masks: each builds the `initial` grid and `fixed` flags (1 = keep) of a GenerateRequest for a variation,
 * an extension or regenerating one track. Masks never leave a kept 'hold' right after a regenerated cell (the
 * hold is regenerated too), so fixed cells keep their meaning whatever is sampled around them.
 */
import { createRandom } from '../music/random.ts';
import {
  HOLD,
  TRACK_COUNT,
  TRACK_INDEX,
  cloneGrid,
  concatGrids,
  sliceGrid,
  type Grid,
  type GridTrack,
} from './grid.ts';

export interface GridEdit {
  readonly initial: Grid;
  /** T * 4 flags, 1 = keep. */
  readonly fixed: Uint8Array;
  /** Position of step 0 of `initial` inside its bar (pass as GenerateRequest.barOffset). */
  readonly barOffset: number;
}

export interface VariationOptions {
  /** Fraction of cells to regenerate, 0..1. */
  readonly strength: number;
  readonly seed: number;
  /**
   * Per-track multiplier of `strength`. Default: harmony 0.5 (the chord progression, the structure, mostly stays),
   * the others 1.
   */
  readonly trackStrength?: Partial<Record<GridTrack, number>>;
  /** Span lengths in steps, chosen uniformly in whole beats (default 4..16: a beat to a bar). */
  readonly minSpan?: number;
  readonly maxSpan?: number;
}

const DEFAULT_TRACK_STRENGTH: Record<GridTrack, number> = { melody: 1, bass: 1, harmony: 0.5, drums: 1 };
const BEAT = 4;

/**
 * Re-masks about `strength` of each track's cells in beat-aligned spans (phrases, not single notes), chosen by the
 * seeded Random; everything else is kept.
 */
export function variationEdit(grid: Grid, options: VariationOptions): GridEdit {
  const random = createRandom(options.seed);
  const fixed = new Uint8Array(grid.steps * TRACK_COUNT).fill(1);
  const strength = Math.min(1, Math.max(0, options.strength));
  const minBeats = Math.max(1, Math.round((options.minSpan ?? 4) / BEAT));
  const maxBeats = Math.max(minBeats, Math.round((options.maxSpan ?? 16) / BEAT));
  const beats = Math.ceil(grid.steps / BEAT);

  for (const [track, k] of Object.entries(TRACK_INDEX) as [GridTrack, number][]) {
    const share = Math.min(1, strength * (options.trackStrength?.[track] ?? DEFAULT_TRACK_STRENGTH[track]));
    const target = Math.round(share * grid.steps);
    let masked = 0;
    for (let attempt = 0; masked < target && attempt < grid.steps * 8; attempt++) {
      const spanBeats = minBeats + random.int(maxBeats - minBeats + 1);
      const start = random.int(beats) * BEAT;
      const end = Math.min(grid.steps, start + spanBeats * BEAT);
      for (let t = start; t < end && masked < target; t++) {
        const i = t * TRACK_COUNT + k;
        if (fixed[i] === 1) {
          fixed[i] = 0;
          masked++;
        }
      }
    }
  }
  releaseDanglingHolds(grid, fixed);
  return { initial: cloneGrid(grid), fixed, barOffset: 0 };
}

export interface ExtensionOptions {
  readonly stepsPerBar: number;
  /** Bars of the old grid kept as fixed context (default 4; all of it when shorter). */
  readonly contextBars?: number;
  /** Steps to add; context + new must be a multiple of 4 (the model's patch). */
  readonly newSteps: number;
  /** Position of the old grid's step 0 inside its bar (default 0). */
  readonly barOffset?: number;
}

export interface ExtensionEdit extends GridEdit {
  /** Steps of context at the start of `initial`; the generated grid's continuation starts here. */
  readonly contextSteps: number;
}

/** A grid of the old grid's last bars (fixed) followed by `newSteps` masked steps: the continuation. */
export function extensionEdit(grid: Grid, options: ExtensionOptions): ExtensionEdit {
  const wanted = (options.contextBars ?? 4) * options.stepsPerBar;
  const contextSteps = Math.min(grid.steps, wanted);
  const from = grid.steps - contextSteps;
  const context = sliceGrid(grid, from, grid.steps);
  const initial = concatGrids(context, {
    steps: options.newSteps,
    cells: new Int16Array(options.newSteps * TRACK_COUNT),
  });
  const fixed = new Uint8Array(initial.steps * TRACK_COUNT);
  fixed.fill(1, 0, contextSteps * TRACK_COUNT);
  return {
    initial,
    fixed,
    barOffset: (from + (options.barOffset ?? 0)) % options.stepsPerBar,
    contextSteps,
  };
}

/** The old grid followed by the continuation part of a generated extension. */
export function appendExtension(old: Grid, generated: Grid, contextSteps: number): Grid {
  return concatGrids(old, sliceGrid(generated, contextSteps, generated.steps));
}

/** One track fully regenerated, the other three kept. */
export function regenerateTrackEdit(grid: Grid, track: GridTrack): GridEdit {
  const fixed = new Uint8Array(grid.steps * TRACK_COUNT).fill(1);
  const k = TRACK_INDEX[track];
  for (let t = 0; t < grid.steps; t++) fixed[t * TRACK_COUNT + k] = 0;
  return { initial: cloneGrid(grid), fixed, barOffset: 0 };
}

/** A kept hold right after a regenerated cell would continue a note that may no longer exist: regenerate it too. */
function releaseDanglingHolds(grid: Grid, fixed: Uint8Array): void {
  for (const k of [TRACK_INDEX.melody, TRACK_INDEX.bass]) {
    for (let t = 1; t < grid.steps; t++) {
      const i = t * TRACK_COUNT + k;
      if (fixed[i] === 1 && grid.cells[i] === HOLD && fixed[i - TRACK_COUNT] === 0) fixed[i] = 0;
    }
  }
}
