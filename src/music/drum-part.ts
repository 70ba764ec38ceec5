/**
 * The drum part: the model's drum pattern mapped to General MIDI keys through the style's voice
 * substitutions, or the style's groove where the style prefers it or the model left a bar (almost) empty;
 * fills before section starts, crashes on section downbeats, and a clean final hit.
 */
import { beatStrength } from './beat-strength.ts';
import type { ChordTimeline } from './chord-timeline.ts';
import { DRUM_VOICE_KEYS, DRUM_VOICE_WEIGHTS, type DrumVoice } from './drum-voices.ts';
import type { PerformedNote } from './humanize.ts';
import { DRUM_CLASSES, type LeadSheet } from './lead-sheet.ts';
import type { Random } from './random.ts';
import { patternForBar, SECTION_BARS } from './rhythm-pattern.ts';
import type { DrumGroove, StyleRecipe } from './style-recipe.ts';

export interface DrumPartInput {
  readonly sheet: LeadSheet;
  readonly recipe: StyleRecipe;
  readonly timeline: ChordTimeline;
  readonly random: Random;
}

const STEP = 0.25;
/** A bar with fewer model drum hits than this counts as empty. */
const SPARSE_BAR_HITS = 2;

const GROOVE_ACCENTS: Readonly<Record<string, number>> = { X: 1, x: 0.78, o: 0.3 };

/** Generic grooves for bars that are not 16 steps long (3/4 and 6/8 are 12). */
function meterGroove(sheet: LeadSheet): DrumGroove {
  const steps = sheet.stepsPerBar;
  const compound = sheet.timeSignature.denominator === 8;
  const line = (hit: (step: number) => string): string =>
    Array.from({ length: steps }, (_, step) => hit(step)).join('');
  return {
    name: compound ? 'compound' : 'waltz',
    lines: {
      kick: line((step) => (step === 0 ? 'X' : '.')),
      snare: line((step) => (compound ? (step === 6 ? 'x' : '.') : step > 0 && step % 4 === 0 ? 'o' : '.')),
      closedHat: line((step) => (step % 2 === 0 ? (step % (compound ? 6 : 4) === 0 ? 'x' : 'o') : '.')),
    },
  };
}

function modelHitCount(sheet: LeadSheet, barStart: number): number {
  let hits = 0;
  for (let step = barStart; step < Math.min(sheet.steps, barStart + sheet.stepsPerBar); step++) {
    let mask = sheet.drums[step] ?? 0;
    while (mask > 0) {
      hits += mask & 1;
      mask >>>= 1;
    }
  }
  return hits;
}

/** Performs the drum part of a lead sheet; empty when the style has no drummer. */
export function performDrums(input: DrumPartInput): PerformedNote[] {
  const { sheet, recipe, timeline, random } = input;
  const drums = recipe.drums;
  if (drums.treatment === 'none') return [];
  const range = recipe.velocity.drums;
  const ending = timeline.endingStep;
  const notes: PerformedNote[] = [];
  const taken = new Set<string>();

  const hit = (voice: DrumVoice, step: number, accent: number, steps = 1): void => {
    const played = drums.substitute[voice] ?? voice;
    const key = DRUM_VOICE_KEYS[played];
    const id = `${key}@${step}`;
    if (taken.has(id)) return;
    taken.add(id);
    const velocity = range.min + (range.max - range.min) * Math.min(1, accent * DRUM_VOICE_WEIGHTS[played]);
    notes.push({ pitch: key, start: step * STEP, duration: steps * STEP, velocity });
  };

  for (let bar = drums.enterBar; bar * sheet.stepsPerBar < ending; bar++) {
    const barStart = bar * sheet.stepsPerBar;
    const barEnd = Math.min(barStart + sheet.stepsPerBar, ending);
    const sectionStart = bar % SECTION_BARS === 0 || bar === drums.enterBar;
    if (drums.crash && sectionStart) {
      hit('crash', barStart, 0.9, 4);
      hit('kick', barStart, 1);
    }
    const useGroove =
      drums.treatment === 'groove' ||
      (drums.treatment === 'model-or-groove' && modelHitCount(sheet, barStart) < SPARSE_BAR_HITS);
    if (useGroove) {
      const beforeSection = bar % SECTION_BARS === SECTION_BARS - 1 && barStart + sheet.stepsPerBar < ending;
      const chosen = beforeSection && drums.fill ? drums.fill : patternForBar(drums.grooves, bar, random);
      if (!chosen) continue;
      const fits = Object.values(chosen.lines).every((line) => line.length % sheet.stepsPerBar === 0);
      const groove = fits ? chosen : meterGroove(sheet);
      for (const [voice, line] of Object.entries(groove.lines) as [DrumVoice, string][]) {
        const windowStart = (bar * sheet.stepsPerBar) % line.length;
        for (let step = barStart; step < barEnd; step++) {
          const accent = GROOVE_ACCENTS[line[windowStart + step - barStart] ?? '.'];
          if (accent !== undefined) hit(voice, step, accent);
        }
      }
    } else {
      for (let step = barStart; step < barEnd; step++) {
        const mask = sheet.drums[step] ?? 0;
        const strength = beatStrength(step - barStart, sheet.timeSignature);
        DRUM_CLASSES.forEach((drumClass, bit) => {
          if ((mask >> bit) & 1) hit(drumClass, step, 0.55 + 0.45 * strength, drumClass === 'crash' ? 4 : 1);
        });
      }
    }
  }
  if (notes.length > 0 && ending < sheet.steps) {
    if (drums.crash) hit('crash', ending, 0.95, sheet.steps - ending);
    hit('kick', ending, 1);
  }
  return notes;
}
