/**
 * The bass part: the model's bass line where the style trusts it and a bar has one, otherwise a line the
 * style's bassist would play from the chords: a walking line with chromatic approaches, or a pattern of
 * chord degrees (root-fifth, octaves, funk syncopation, bossa, one-drop, pedal). Ends on the final root.
 */
import { beatStrength } from './beat-strength.ts';
import { chordScale, fifthOf, nearestPitch, pitchClass, QUALITY_INTERVALS, seventhOf, thirdOf } from './chord-tones.ts';
import type { ChordSpan, ChordTimeline } from './chord-timeline.ts';
import type { PerformedNote } from './humanize.ts';
import type { ChordSymbol, LeadSheet } from './lead-sheet.ts';
import type { Random } from './random.ts';
import { hitsInBar, patternForBar } from './rhythm-pattern.ts';
import type { BassDegree, PitchRange, StyleRecipe } from './style-recipe.ts';

export interface BassPartInput {
  readonly sheet: LeadSheet;
  readonly recipe: StyleRecipe;
  readonly timeline: ChordTimeline;
  readonly random: Random;
}

const STEP = 0.25;
const BEAT_STEPS = 4;

/** Moves a pitch by octaves into the range (folding from whichever side it is out). */
export function foldIntoRange(pitch: number, range: PitchRange): number {
  let folded = pitch;
  while (folded > range.high) folded -= 12;
  while (folded < range.low) folded += 12;
  return folded > range.high ? folded - 12 : folded;
}

/** The register a bassist keeps roots in: the range's lower part, where the instrument sounds fullest. */
function rootZone(range: PitchRange): PitchRange {
  return { low: range.low + 3, high: Math.min(range.high, range.low + 19) };
}

/** The root of a chord in the root zone, nearest the previous bass note. */
function rootPitch(chord: ChordSymbol, previous: number | undefined, range: PitchRange): number {
  const zone = rootZone(range);
  const target = previous ?? (zone.low + zone.high) / 2;
  return foldIntoRange(nearestPitch(pitchClass(chord.root), Math.round(target)), zone);
}

class BassWriter {
  readonly notes: PerformedNote[] = [];
  previous: number | undefined;
  private readonly input: BassPartInput;

  constructor(input: BassPartInput) {
    this.input = input;
  }

  get range(): PitchRange {
    return this.input.recipe.bass.register;
  }

  play(pitch: number, step: number, steps: number, accent: number): void {
    const { recipe, sheet } = this.input;
    const velocityRange = recipe.velocity.bass;
    const strength = beatStrength(step % sheet.stepsPerBar, sheet.timeSignature);
    const folded = foldIntoRange(pitch, this.range);
    this.notes.push({
      pitch: folded,
      start: step * STEP,
      duration: steps * STEP,
      velocity:
        velocityRange.min + (velocityRange.max - velocityRange.min) * Math.min(1, accent * (0.88 + 0.12 * strength)),
    });
    this.previous = folded;
  }

  /** The chord after this span (the final chord at the end). */
  nextChord(span: ChordSpan): ChordSymbol {
    const { timeline } = this.input;
    return timeline.after(span.end)?.chord ?? timeline.finalChord ?? span.chord;
  }

  /** A walking line: a note per beat from the root toward the next chord's root, approached chromatically. */
  walkBar(barStart: number, barEnd: number): void {
    const { timeline, random } = this.input;
    const articulation = this.input.recipe.bass.articulation;
    for (let step = barStart; step < barEnd; step += BEAT_STEPS) {
      const span = timeline.at(step);
      if (!span) continue;
      const spanEnd = Math.min(span.end, timeline.endingStep);
      const beatsLeft = Math.ceil((spanEnd - step) / BEAT_STEPS);
      const first = step - span.start < BEAT_STEPS;
      const root = rootPitch(span.chord, this.previous, this.range);
      const next = this.nextChord(span);
      const from = this.previous ?? root;
      const target = foldIntoRange(nearestPitch(pitchClass(next.root), from), rootZone(this.range));
      const length = Math.min(BEAT_STEPS, barEnd - step) * articulation;
      const accent = first ? 0.95 : (step - barStart) % 8 === 0 ? 0.85 : 0.76;
      if (first) {
        this.play(root, step, length, accent);
      } else if (beatsLeft <= 1) {
        this.play(this.approach(target, from, span.chord), step, length, accent);
      } else {
        this.play(
          this.passing(span.chord, root, target, from, beatsLeft, (step - span.start) / BEAT_STEPS, random),
          step,
          length,
          accent,
        );
      }
    }
  }

  /** The note before a chord change: a half step from above or below, the target's fifth, or a scale step. */
  private approach(target: number, from: number, chord: ChordSymbol): number {
    const roll = this.input.random.next();
    if (roll < 0.55) return from > target ? target + 1 : target - 1;
    if (roll < 0.8) return target + 7 <= this.range.high && from > target ? target + 7 : target - 5;
    const scale = chordScale(chord);
    const steps = [target - 2, target - 1, target + 1, target + 2].filter((pitch) => scale.includes(pitchClass(pitch)));
    return steps[0] ?? target - 1;
  }

  /** A note in the middle of a chord: chord tones on strong beats, scale tones between, heading for the target. */
  private passing(
    chord: ChordSymbol,
    root: number,
    target: number,
    from: number,
    beatsLeft: number,
    beatIndex: number,
    random: Random,
  ): number {
    // When the next root is (nearly) this one, arch up to the fifth or octave instead of standing still.
    let aim = target;
    if (Math.abs(target - root) <= 2) aim = root + 7 <= this.range.high ? root + 7 : root - 5;
    const ideal = from + (aim - from) / Math.max(1, beatsLeft - 1);
    const chordTones = QUALITY_INTERVALS[chord.quality].map((interval) => pitchClass(chord.root + interval));
    const allowed = beatIndex % 2 === 0 ? chordTones : chordScale(chord);
    let best = from;
    let bestScore = Infinity;
    for (let pitch = this.range.low; pitch <= this.range.high; pitch++) {
      if (pitch === from || !allowed.includes(pitchClass(pitch))) continue;
      const score = Math.abs(pitch - ideal) + (Math.abs(pitch - from) > 7 ? 4 : 0) + random.next() * 0.8;
      if (score < bestScore) {
        bestScore = score;
        best = pitch;
      }
    }
    return best;
  }

  /** A degree of the chord, placed relative to this chord's root. */
  degree(degree: BassDegree, chord: ChordSymbol, root: number, span: ChordSpan): number {
    switch (degree) {
      case 'R':
        return root;
      case '5':
        return root - 12 + fifthOf(chord.quality) >= this.range.low
          ? root - 12 + fifthOf(chord.quality)
          : root + fifthOf(chord.quality);
      case '5u':
        return root + fifthOf(chord.quality);
      case 'O':
        return root + 12 <= this.range.high ? root + 12 : root;
      case '3':
        return root + thirdOf(chord.quality);
      case '7': {
        const seventh = seventhOf(chord.quality);
        return root + (seventh ?? (chord.quality === 'maj' ? 9 : 10));
      }
      case 'A': {
        const nextRoot = foldIntoRange(nearestPitch(pitchClass(this.nextChord(span).root), root), rootZone(this.range));
        return nextRoot === root ? root + fifthOf(chord.quality) - 12 : nextRoot > root ? nextRoot - 1 : nextRoot + 1;
      }
      case 'T':
        return foldIntoRange(nearestPitch(this.input.sheet.key.tonic, root), rootZone(this.range));
    }
  }

  /** One bar of the style's bass pattern. */
  patternBar(bar: number, barStart: number, barEnd: number): void {
    const { recipe, timeline, sheet, random } = this.input;
    const pattern = patternForBar(recipe.bass.patterns, bar, random);
    if (!pattern) return;
    const hits = hitsInBar(pattern, bar, sheet.stepsPerBar).filter(({ offset }) => barStart + offset < barEnd);
    let spanRoot: { span: ChordSpan; root: number } | undefined;
    hits.forEach(({ hit, offset }, i) => {
      const step = barStart + offset;
      const span = timeline.at(step);
      if (!span) return;
      if (spanRoot?.span !== span) spanRoot = { span, root: rootPitch(span.chord, this.previous, this.range) };
      const nextHit = hits[i + 1];
      const nextStep = nextHit ? barStart + nextHit.offset : barEnd;
      const written = pattern.hold ? nextStep - step : hit.steps;
      const length = Math.min(written, span.end - step, timeline.endingStep - step) * recipe.bass.articulation;
      if (length > 0) this.play(this.degree(hit.degree, span.chord, spanRoot.root, span), step, length, hit.accent);
    });
  }

  /** The model's bass notes in a bar, moved into the register and cut at the ending. */
  sheetBar(barStart: number, barEnd: number): boolean {
    const { sheet, recipe, timeline } = this.input;
    const notes = sheet.bass.filter((note) => note.step >= barStart && note.step < barEnd);
    if (notes.length === 0) return false;
    for (const note of notes) {
      const length = Math.min(note.steps, timeline.endingStep - note.step);
      const accent = 0.78 + 0.2 * beatStrength(note.step % sheet.stepsPerBar, sheet.timeSignature);
      if (length > 0) this.play(note.pitch, note.step, length * recipe.bass.articulation, accent);
    }
    return true;
  }
}

/** Performs the bass part of a lead sheet in the recipe's bass style. */
export function performBass(input: BassPartInput): PerformedNote[] {
  const { sheet, recipe, timeline } = input;
  const writer = new BassWriter(input);
  const ending = timeline.endingStep;
  for (let bar = 0; bar * sheet.stepsPerBar < ending; bar++) {
    const barStart = bar * sheet.stepsPerBar;
    const barEnd = Math.min(barStart + sheet.stepsPerBar, ending);
    if (recipe.bass.source === 'sheet-first' && writer.sheetBar(barStart, barEnd)) continue;
    if (recipe.bass.movement === 'walking') writer.walkBar(barStart, barEnd);
    else writer.patternBar(bar, barStart, barEnd);
  }
  const final = timeline.finalChord;
  if (final && ending < sheet.steps) {
    const root = rootPitch(final, writer.previous, {
      low: recipe.bass.register.low,
      high: recipe.bass.register.low + 15,
    });
    writer.play(root, ending, sheet.steps - ending, 0.9);
  }
  return writer.notes;
}
