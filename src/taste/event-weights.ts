/**
 * How much one feedback event says about a person's taste, and how that fades with time.
 *
 * | event        | weight | why                                                                  |
 * |--------------|--------|----------------------------------------------------------------------|
 * | like         | +1     | the clearest signal                                                  |
 * | dislike      | −1     | as clear, the other way                                              |
 * | play         | +0.25  | they chose to hear it (again); weak, plays are cheap                 |
 * | skip         | −0.5   | they stopped it: a mild dislike                                      |
 * | variation    | +0.5   | they wanted more like it                                             |
 * | extend       | +0.75  | they wanted more of it                                               |
 * | regenerate   | +0.25  | they kept most of it and redid one track                             |
 * | radio-listen | +0.25 per minute listened, at most +1 (4 minutes)                             |
 *
 * Only the latest like or dislike of a person for one clip counts (a changed mind replaces the first opinion,
 * and pressing 👍 twice is one like). Every weight then decays by half every `halfLifeDays` (default 30): a
 * like from a month ago counts half as much as one today.
 */
import type { FeedbackKind } from '../db/feedback-event.ts';

export interface EventWeights {
  readonly like: number;
  readonly dislike: number;
  readonly play: number;
  readonly skip: number;
  readonly variation: number;
  readonly extend: number;
  readonly regenerate: number;
  /** Per minute of radio listening. */
  readonly radioPerMinute: number;
  /** The most one radio-listen event can weigh. */
  readonly radioCap: number;
}

export const DEFAULT_EVENT_WEIGHTS: EventWeights = {
  like: 1,
  dislike: -1,
  play: 0.25,
  skip: -0.5,
  variation: 0.5,
  extend: 0.75,
  regenerate: 0.25,
  radioPerMinute: 0.25,
  radioCap: 1,
};

export const DEFAULT_HALF_LIFE_DAYS = 30;
export const DAY_MS = 86_400_000;

/** The undecayed weight of an event of `kind` (`value`: seconds listened, for radio-listen). */
export function eventWeight(
  kind: FeedbackKind,
  value: number | null,
  weights: EventWeights = DEFAULT_EVENT_WEIGHTS,
): number {
  if (kind === 'radio-listen') {
    const minutes = Math.max(0, value ?? 0) / 60;
    return Math.min(weights.radioCap, minutes * weights.radioPerMinute);
  }
  return weights[kind];
}

/** 0.5^(age / half-life); an event from the future (clock skew) counts as now. */
export function decay(ageMs: number, halfLifeDays: number): number {
  if (!(halfLifeDays > 0) || !Number.isFinite(halfLifeDays)) return 1;
  return 0.5 ** (Math.max(0, ageMs) / (halfLifeDays * DAY_MS));
}
