/**
 * Chord voicing with voice leading: which pitches a keyboard or guitar player puts under a chord symbol.
 * Each voicing kind yields candidate voicings (inversions/forms at every octave inside the register); the
 * chosen one moves least from the previous chord, keeps a smooth top line, stays near the register's
 * centre, keeps below the melody and avoids muddy close intervals low down.
 */
import { fifthOf, pitchClass, QUALITY_INTERVALS, seventhOf, thirdOf } from './chord-tones.ts';
import type { ChordSymbol } from './lead-sheet.ts';
import type { Key } from './score.ts';
import type { Extension, PitchRange, VoicingKind } from './style-recipe.ts';

export interface VoicingOptions {
  readonly kind: VoicingKind;
  readonly extension: Extension;
  readonly register: PitchRange;
  readonly key: Key;
}

/** What the voicing must fit with. */
export interface VoicingContext {
  /** The previous chord's voicing (sorted low to high), absent for the first chord. */
  readonly previous?: readonly number[] | undefined;
  /** The lowest melody pitch sounding while this chord sounds, if any. */
  readonly melodyLow?: number | undefined;
}

/** The chord's tones after the style's colouring, as intervals above the root (4 notes at most). */
export function colouredIntervals(chord: ChordSymbol, extension: Extension, key: Key): readonly number[] {
  const written = QUALITY_INTERVALS[chord.quality];
  if (extension === 'none') return written;
  if (extension === 'add9')
    return written.length === 3 && chord.quality !== 'dim' && chord.quality !== 'aug' ? [...written, 14] : written;
  const minorTonic = key.mode === 'minor' && pitchClass(chord.root - key.tonic) === 0;
  switch (chord.quality) {
    case 'maj':
      return extension === 'blues' ? [0, 4, 7, 10] : [0, 4, 7, 9];
    case 'min':
      return minorTonic && extension === 'jazz' ? [0, 3, 7, 9] : [0, 3, 7, 10];
    case 'sus4':
      return [0, 5, 7, 10];
    case 'aug':
      return [0, 4, 8, 10];
    case 'dim':
      return [0, 3, 6, 9];
    default:
      return written;
  }
}

/**
 * The stacking orders a voicing kind may use, as intervals above the root listed bottom to top (each
 * placed as the nearest pitch above the one before), and the widest span a shape may have.
 */
function voicingShapes(chord: ChordSymbol, options: VoicingOptions): { orders: number[][]; maxSpan: number } {
  const quality = chord.quality;
  const intervals = colouredIntervals(chord, options.extension, options.key);
  const third = intervals[1] ?? thirdOf(quality);
  const fifth = intervals[2] ?? fifthOf(quality);
  const seventh = intervals[3] ?? seventhOf(quality);
  const dominant = third === 4 && seventh === 10;
  const rotations = (tones: readonly number[], bottoms: readonly number[]): number[][] =>
    bottoms.map((bottom) => [...tones.slice(bottom), ...tones.slice(0, bottom)]);
  switch (options.kind) {
    case 'shell': {
      // Guide tones (3rd, 7th) plus one colour: 13 on dominants, the b5 on half-diminished, else the 9th.
      const guide = seventh ?? fifth;
      const colour = fifth === 6 ? 6 : dominant ? 9 : 2;
      const orders = [
        [third, guide, colour],
        [third, colour, guide],
        [guide, third, colour],
        [guide, colour, third],
      ];
      return { orders, maxSpan: 12 };
    }
    case 'rootless': {
      if (seventh === undefined) return { orders: rotations([third, fifth, 0, 2], [0, 2]), maxSpan: 12 };
      if (fifth === 6 && seventh === 9) return { orders: rotations([0, 3, 6, 9], [0, 1, 2, 3]), maxSpan: 12 };
      const upper = dominant ? 9 : fifth;
      const ninth = fifth === 6 ? 5 : 2;
      // A form 3-5-7-9 (3-13-7-9 on dominants), B form 7-9-3-5.
      return { orders: rotations([third, upper, seventh, ninth], [0, 2]), maxSpan: 12 };
    }
    case 'power':
      return { orders: [[0, fifth, 0]], maxSpan: 12 };
    case 'triad':
      return {
        orders: rotations(
          intervals,
          intervals.map((_, i) => i),
        ),
        maxSpan: 12,
      };
    case 'spread':
      // Every close position, opened up by drop-2 below (then only root, third or fifth in the bass).
      return {
        orders: rotations(
          intervals,
          intervals.map((_, i) => i),
        ),
        maxSpan: 36,
      };
  }
}

/** Stacks pitch classes upward, each the nearest pitch above the previous, starting from the first (0-11). */
function closeStack(pcs: readonly number[]): number[] {
  const stack: number[] = [];
  for (const pc of pcs) {
    const last = stack[stack.length - 1];
    if (last === undefined) stack.push(pc);
    else stack.push(last + 1 + pitchClass(pc - last - 1));
  }
  return stack;
}

/** Every voicing of the chord for this kind whose notes all lie inside the register, sorted low to high. */
export function voicingCandidates(chord: ChordSymbol, options: VoicingOptions): number[][] {
  const { orders, maxSpan } = voicingShapes(chord, options);
  const shapes: number[][] = [];
  for (const order of orders) {
    const shape = closeStack(order.map((interval) => pitchClass(chord.root + interval)));
    const opened =
      options.kind === 'spread' ? dropTwo(shape.length === 3 ? [...shape, (shape[0] ?? 0) + 12] : shape) : shape;
    const span = (opened[opened.length - 1] ?? 0) - (opened[0] ?? 0);
    const bass = pitchClass((opened[0] ?? 0) - chord.root);
    const solidBass = options.kind !== 'spread' || bass === 0 || bass === 3 || bass === 4 || bass === 7;
    if (span <= maxSpan && solidBass) shapes.push(opened);
  }
  const candidates: number[][] = [];
  for (const shape of shapes) {
    for (let octave = -1; octave <= 11; octave++) {
      const pitches = shape.map((offset) => octave * 12 + offset);
      const low = pitches[0] ?? 0;
      const high = pitches[pitches.length - 1] ?? low;
      if (low >= options.register.low && high <= options.register.high) candidates.push(pitches);
    }
  }
  return candidates;
}

/** Drop-2: the second voice from the top goes down an octave (open, string-section spacing). */
function dropTwo(shape: readonly number[]): number[] {
  if (shape.length < 4) return [...shape];
  const dropped = [...shape];
  const index = dropped.length - 2;
  dropped[index] = (dropped[index] ?? 0) - 12;
  const sorted = dropped.sort((a, b) => a - b);
  const shift = (sorted[0] ?? 0) < 0 ? 12 : 0;
  return sorted.map((pitch) => pitch + shift);
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function nearestDistance(pitch: number, others: readonly number[]): number {
  let best = Infinity;
  for (const other of others) best = Math.min(best, Math.abs(pitch - other));
  return best;
}

/** How far the voices travel from one voicing to the next (average nearest-note distance both ways). */
export function voiceMovement(from: readonly number[], to: readonly number[]): number {
  if (from.length === 0 || to.length === 0) return 0;
  const forward = to.reduce((sum, pitch) => sum + nearestDistance(pitch, from), 0);
  const backward = from.reduce((sum, pitch) => sum + nearestDistance(pitch, to), 0);
  return (forward + backward) / (from.length + to.length);
}

function voicingCost(candidate: readonly number[], context: VoicingContext, options: VoicingOptions): number {
  const centre = (options.register.low + options.register.high) / 2;
  const top = candidate[candidate.length - 1] ?? centre;
  const previous = context.previous;
  let cost = 0;
  if (previous && previous.length > 0) {
    const previousTop = previous[previous.length - 1] ?? top;
    cost +=
      voiceMovement(previous, candidate) + 0.5 * Math.abs(top - previousTop) + 0.3 * Math.abs(mean(candidate) - centre);
  } else {
    cost += 0.8 * Math.abs(mean(candidate) - centre);
  }
  if (context.melodyLow !== undefined) {
    const gap = context.melodyLow - top;
    if (gap < 1) cost += 6 + 2 * (1 - gap);
    else if (gap === 1) cost += 3;
  }
  if (options.kind !== 'power') {
    for (let i = 0; i + 1 < candidate.length; i++) {
      const low = candidate[i] ?? 0;
      const next = candidate[i + 1] ?? 0;
      if (low < 52 && next - low < 5) cost += 2.5;
    }
  }
  return cost;
}

/**
 * Voices a chord: the candidate with the lowest voice-leading cost. Falls back to the nearest-fitting
 * octave of the kind's shape if the register is too narrow for any candidate.
 */
export function voiceChord(chord: ChordSymbol, options: VoicingOptions, context: VoicingContext = {}): number[] {
  const candidates = voicingCandidates(chord, options);
  let best: number[] | undefined;
  let bestCost = Infinity;
  for (const candidate of candidates) {
    const cost = voicingCost(candidate, context, options);
    if (cost < bestCost - 1e-9) {
      bestCost = cost;
      best = candidate;
    }
  }
  if (best) return best;
  const wide = voicingCandidates(chord, {
    ...options,
    register: { low: options.register.low - 12, high: options.register.high + 12 },
  });
  return wide[0] ?? [options.register.low + pitchClass(chord.root - options.register.low)];
}
