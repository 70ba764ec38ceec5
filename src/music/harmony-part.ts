/**
 * The comping part: the chord symbols voiced (voicing.ts) and played in the style's comping rhythm,
 * re-attacked on chord changes, anticipating the next chord on pushes, ending on a held final chord.
 */
import { beatStrength } from './beat-strength.ts';
import { sameChord } from './chord-tones.ts';
import type { ChordSpan, ChordTimeline } from './chord-timeline.ts';
import type { PerformedNote } from './humanize.ts';
import type { GridNote, LeadSheet } from './lead-sheet.ts';
import type { Random } from './random.ts';
import { hitsInBar, patternForBar } from './rhythm-pattern.ts';
import type { CompingPattern, CompVoices, StyleRecipe } from './style-recipe.ts';
import { voiceChord, type VoicingOptions } from './voicing.ts';

export interface HarmonyPartInput {
  readonly sheet: LeadSheet;
  readonly recipe: StyleRecipe;
  readonly timeline: ChordTimeline;
  /** The melody as it will be played (after any octave shift), to keep the chords under it. */
  readonly melody: readonly GridNote[];
  readonly random: Random;
}

interface CompEvent {
  readonly step: number;
  readonly steps: number;
  readonly accent: number;
  readonly voices: CompVoices;
  readonly hold: boolean;
}

const STEP = 0.25;
/** How far before a chord change (in steps) a push may land and still belong to the new chord. */
const ANTICIPATION_STEPS = 2;
/** A chord change with no comping hit within this many steps gets one of its own. */
const REATTACK_WINDOW_STEPS = 6;

function isArpeggio(pattern: CompingPattern): boolean {
  return pattern.hits.some((hit) => Array.isArray(hit.voices));
}

/** The notes of a voicing a hit plays (see CompVoices). */
export function selectVoices(voicing: readonly number[], voices: CompVoices): number[] {
  if (voicing.length === 0) return [];
  if (voices === 'all') return [...voicing];
  if (voices === 'upper') return voicing.length > 1 ? voicing.slice(1) : [...voicing];
  if (voices === 'bottom') return voicing.slice(0, 1);
  // Arpeggio indices count through a triad frame (bottom, middle, top), so patterns written for triads keep
  // their shape on 2- and 4-note voicings; every third index climbs an octave.
  const frame = [0, Math.floor((voicing.length - 1) / 2), voicing.length - 1];
  return voices.map((index) => (voicing[frame[index % 3] ?? 0] ?? 0) + 12 * Math.floor(index / 3));
}

function melodyLow(melody: readonly GridNote[], start: number, end: number): number | undefined {
  let low: number | undefined;
  for (const note of melody) {
    if (note.step < end && note.step + note.steps > start)
      low = low === undefined ? note.pitch : Math.min(low, note.pitch);
  }
  return low;
}

/** Where each bar's comping hits land, plus re-attacks on chord changes no hit covers. */
function compEvents(input: HarmonyPartInput): CompEvent[] {
  const { sheet, recipe, timeline, random } = input;
  const ending = timeline.endingStep;
  const events: CompEvent[] = [];
  const barPatterns: (CompingPattern | undefined)[] = [];
  let previous: CompingPattern | undefined;
  for (let bar = 0; bar * sheet.stepsPerBar < ending; bar++) {
    const barStart = bar * sheet.stepsPerBar;
    const pattern = patternForBar(recipe.harmony.comping, bar, random);
    barPatterns.push(pattern);
    if (!pattern) continue;
    if (pattern.hold) {
      const span = timeline.at(barStart);
      if (span && (pattern !== previous || bar % 2 === 0 || span.start === barStart)) {
        const accent = pattern.hits[0]?.accent ?? 0.75;
        events.push({ step: barStart, steps: sheet.stepsPerBar, accent, voices: 'all', hold: true });
      }
    } else {
      for (const { hit, offset } of hitsInBar(pattern, bar, sheet.stepsPerBar)) {
        const step = barStart + offset;
        if (step < ending)
          events.push({ step, steps: hit.steps, accent: hit.accent, voices: hit.voices ?? 'all', hold: false });
      }
    }
    previous = pattern;
  }
  for (const span of timeline.spans) {
    const change = span.start;
    if (change >= ending) continue;
    const pattern = barPatterns[Math.floor(change / sheet.stepsPerBar)];
    if (!pattern) continue;
    // A rhythmic pattern that plays the new chord soon after the change needs no extra attack (a reggae
    // skank stays off the beat); a held pad must change with the chord.
    const soon = pattern.hold ? 1 : Math.min(span.end - change, REATTACK_WINDOW_STEPS);
    const covered = events.some(
      (event) =>
        (event.step >= change && event.step < change + soon) ||
        (!event.hold &&
          event.step < change &&
          change - event.step <= ANTICIPATION_STEPS &&
          event.step + event.steps > change),
    );
    if (covered) continue;
    const arpeggio = isArpeggio(pattern);
    events.push({
      step: change,
      steps: pattern.hold ? sheet.stepsPerBar : 4,
      accent: 0.8,
      voices: arpeggio ? [0] : 'all',
      hold: pattern.hold === true,
    });
  }
  events.sort((a, b) => a.step - b.step);
  return events.filter((event, i) => i === 0 || events[i - 1]?.step !== event.step);
}

/** The span a hit belongs to: the one sounding, or the next one if the hit is a push into it. */
function spanForEvent(event: CompEvent, timeline: ChordTimeline): ChordSpan | undefined {
  const current = timeline.at(event.step);
  if (event.hold) return current;
  const next = timeline.after(event.step + 1);
  const isPush =
    next !== undefined &&
    next.start - event.step <= ANTICIPATION_STEPS &&
    event.step + event.steps > next.start &&
    next.start < timeline.endingStep;
  return isPush ? next : current;
}

/** Performs the harmony part of a lead sheet in the recipe's voicing and comping. */
export function performHarmony(input: HarmonyPartInput): PerformedNote[] {
  const { sheet, recipe, timeline, melody } = input;
  const harmony = recipe.harmony;
  const options: VoicingOptions = {
    kind: harmony.voicing,
    extension: harmony.extension,
    register: harmony.register,
    key: sheet.key,
  };
  const range = recipe.velocity.harmony;
  const ending = timeline.endingStep;
  const events = compEvents(input);
  const notes: PerformedNote[] = [];
  let voicing: number[] | undefined;
  let voicedSpan: ChordSpan | undefined;

  const voice = (span: ChordSpan): number[] => {
    if (
      voicing &&
      voicedSpan &&
      (voicedSpan === span || (sameChord(voicedSpan.chord, span.chord) && voicedSpan.end >= span.start))
    ) {
      return voicing;
    }
    const low = melodyLow(melody, span.start, Math.min(span.end, span.start + sheet.stepsPerBar));
    voicing = voiceChord(span.chord, options, { previous: voicing, melodyLow: low });
    voicedSpan = span;
    return voicing;
  };

  const play = (
    pitches: readonly number[],
    step: number,
    endStep: number,
    accent: number,
    strumMs: number,
    upstroke: boolean,
  ): void => {
    const ordered = upstroke ? [...pitches].reverse() : pitches;
    ordered.forEach((pitch, i) => {
      notes.push({
        pitch,
        start: step * STEP,
        duration: (endStep - step) * STEP,
        velocity: range.min + (range.max - range.min) * Math.min(1, accent),
        ...(strumMs > 0 && i > 0 ? { delayMs: i * strumMs } : {}),
      });
    });
  };

  events.forEach((event, i) => {
    const span = spanForEvent(event, timeline);
    if (!span) return;
    const nextStep = events[i + 1]?.step ?? ending;
    const arpeggioNote = Array.isArray(event.voices);
    let end = Math.min(span.end, ending);
    if (event.hold) end = Math.min(end, nextStep);
    else end = Math.min(end, event.step + event.steps, arpeggioNote ? Infinity : Math.max(nextStep, event.step + 1));
    if (end <= event.step) return;
    const strength = beatStrength(event.step % sheet.stepsPerBar, sheet.timeSignature);
    const accent = event.accent * (0.9 + 0.1 * strength);
    const upstroke = event.step % 4 === 2;
    play(selectVoices(voice(span), event.voices), event.step, end, accent, harmony.strumMs, upstroke);
  });

  const finalSpan = timeline.at(ending) ?? timeline.spans[timeline.spans.length - 1];
  if (finalSpan && ending < sheet.steps) {
    const held: ChordSpan = { chord: finalSpan.chord, start: ending, end: sheet.steps };
    const low = melodyLow(melody, ending, sheet.steps);
    const finalVoicing =
      sameChord(voicedSpan?.chord, held.chord) && voicing
        ? voicing
        : voiceChord(held.chord, options, { previous: voicing, melodyLow: low });
    const arpeggiated = recipe.harmony.comping.some(isArpeggio);
    const roll = harmony.strumMs > 0 ? harmony.strumMs * 1.5 : arpeggiated ? 28 : 0;
    play(finalVoicing, ending, sheet.steps, 0.85, roll, false);
  }
  return notes;
}
