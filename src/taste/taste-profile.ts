/**
 * A person's taste profile: a score per style, mood, tempo band and instrument, the sum of the decayed weights
 * of their events (event-weights.ts). A clip in a mix ("jazz:0.6,lofi:0.4") gives each style its share. Positive
 * means they like it, negative that they do not; the size says how sure.
 */
import type { FeedbackEvent } from '../db/feedback-event.ts';
import { MOOD_NAMES, type MoodName } from '../music/moods.ts';
import { STYLE_NAMES, type StyleName } from '../music/styles.ts';
import {
  decay,
  DEFAULT_EVENT_WEIGHTS,
  DEFAULT_HALF_LIFE_DAYS,
  eventWeight,
  type EventWeights,
} from './event-weights.ts';
import { tempoBand, type TempoBand } from './tempo-band.ts';

/** What taste needs of a feedback event (a FeedbackEvent fits). */
export type TasteEvent = Pick<
  FeedbackEvent,
  'userId' | 'clipId' | 'kind' | 'value' | 'styleMix' | 'mood' | 'tempo' | 'instruments' | 'createdAt'
>;

export interface TasteProfile {
  readonly styles: Readonly<Partial<Record<StyleName, number>>>;
  readonly moods: Readonly<Partial<Record<MoodName, number>>>;
  readonly tempoBands: Readonly<Partial<Record<TempoBand, number>>>;
  /** "role:program" ("melody:66") → score. */
  readonly instruments: Readonly<Record<string, number>>;
  /** Events that counted (after superseded likes and dislikes were dropped). */
  readonly events: number;
}

export interface TasteOptions {
  readonly halfLifeDays?: number | undefined;
  readonly weights?: EventWeights | undefined;
}

/** One counted event: its decayed weight and what it was about. */
export interface WeightedEvent {
  readonly event: TasteEvent;
  readonly weight: number;
}

/**
 * The events that count, each with its decayed weight: a like or dislike followed (later in time, or later in
 * the array at the same time) by another like or dislike of the same person for the same clip is dropped.
 */
export function weighEvents(events: readonly TasteEvent[], now: number, options: TasteOptions = {}): WeightedEvent[] {
  const halfLife = options.halfLifeDays ?? DEFAULT_HALF_LIFE_DAYS;
  const weights = options.weights ?? DEFAULT_EVENT_WEIGHTS;
  const latestOpinion = new Map<string, { at: number; index: number }>();
  events.forEach((event, index) => {
    if ((event.kind !== 'like' && event.kind !== 'dislike') || event.clipId === null) return;
    const key = `${event.userId}\u0000${event.clipId}`;
    const seen = latestOpinion.get(key);
    if (seen === undefined || event.createdAt >= seen.at) latestOpinion.set(key, { at: event.createdAt, index });
  });
  const out: WeightedEvent[] = [];
  events.forEach((event, index) => {
    if ((event.kind === 'like' || event.kind === 'dislike') && event.clipId !== null) {
      if (latestOpinion.get(`${event.userId}\u0000${event.clipId}`)?.index !== index) return;
    }
    const weight = eventWeight(event.kind, event.value, weights) * decay(now - event.createdAt, halfLife);
    out.push({ event, weight });
  });
  return out;
}

export function buildTasteProfile(
  events: readonly TasteEvent[],
  now: number,
  options: TasteOptions = {},
): TasteProfile {
  return profileOfWeighted(weighEvents(events, now, options));
}

export function profileOfWeighted(weighted: readonly WeightedEvent[]): TasteProfile {
  const styles: Partial<Record<StyleName, number>> = {};
  const moods: Partial<Record<MoodName, number>> = {};
  const tempoBands: Partial<Record<TempoBand, number>> = {};
  const instruments: Record<string, number> = {};
  for (const { event, weight } of weighted) {
    for (const [name, share] of Object.entries(event.styleMix)) {
      const style = asStyle(name);
      if (style !== undefined && typeof share === 'number') styles[style] = (styles[style] ?? 0) + weight * share;
    }
    const mood = asMood(event.mood);
    if (mood !== undefined) moods[mood] = (moods[mood] ?? 0) + weight;
    if (event.tempo !== null && Number.isFinite(event.tempo)) {
      const band = tempoBand(event.tempo);
      tempoBands[band] = (tempoBands[band] ?? 0) + weight;
    }
    for (const [role, program] of Object.entries(event.instruments)) {
      const key = `${role}:${program}`;
      instruments[key] = (instruments[key] ?? 0) + weight;
    }
  }
  return { styles, moods, tempoBands, instruments, events: weighted.length };
}

export function asStyle(name: string | null | undefined): StyleName | undefined {
  return STYLE_NAMES.find((style) => style === name);
}

export function asMood(name: string | null | undefined): MoodName | undefined {
  return MOOD_NAMES.find((mood) => mood === name);
}

/** The style with the biggest share of a mix. */
export function topStyle(mix: TasteEvent['styleMix']): StyleName | undefined {
  let best: StyleName | undefined;
  let bestShare = 0;
  for (const [name, share] of Object.entries(mix)) {
    const style = asStyle(name);
    if (style !== undefined && typeof share === 'number' && share > bestShare) {
      best = style;
      bestShare = share;
    }
  }
  return best;
}

/** Entries of a score record, highest first (ties by name, so the order is stable). */
export function ranked<K extends string>(scores: Readonly<Partial<Record<K, number>>>): [K, number][] {
  return (Object.entries(scores) as [K, number][])
    .filter((entry) => Number.isFinite(entry[1]))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}
