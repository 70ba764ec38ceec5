/**
 * One thing a person did with a clip, as the `feedback_events` table keeps it: the kind, and a copy of what the
 * clip was (style mix, mood, tempo, instruments), so the event still teaches its author's taste after the clip
 * itself is gone.
 */
import { FEEDBACK_KINDS, type FeedbackKind } from '../feedback-kind.ts';
import type { StyleName } from '../music/styles.ts';

export { FEEDBACK_KINDS, type FeedbackKind };

/** Product style → weight; the weights sum to 1. */
export type StyleMix = Readonly<Partial<Record<StyleName, number>>>;

export interface FeedbackEvent {
  readonly id: number;
  readonly userId: string;
  readonly guildId: string | null;
  /** Null once the clip's owner deleted their data (the copy below stays). */
  readonly clipId: string | null;
  readonly kind: FeedbackKind;
  /** Seconds listened (radio-listen); null otherwise. */
  readonly value: number | null;
  readonly styleMix: StyleMix;
  readonly mood: string | null;
  readonly tempo: number | null;
  /** Role → GM program, as the clip was asked for. */
  readonly instruments: Readonly<Record<string, number>>;
  /** ms since the epoch. */
  readonly createdAt: number;
}

export function isFeedbackKind(value: unknown): value is FeedbackKind {
  return FEEDBACK_KINDS.some((kind) => kind === value);
}

/** A `feedback_events` row as SQLite returns it. */
export interface FeedbackRow {
  readonly id: number;
  readonly user_id: string;
  readonly guild_id: string | null;
  readonly clip_id: string | null;
  readonly kind: string;
  readonly value: number | null;
  readonly style_mix: string;
  readonly mood: string | null;
  readonly tempo: number | null;
  readonly instruments: string;
  readonly created_at: number;
}

export function feedbackFromRow(row: FeedbackRow): FeedbackEvent {
  if (!isFeedbackKind(row.kind)) throw new Error(`unknown feedback kind "${row.kind}" in the database`);
  return {
    id: row.id,
    userId: row.user_id,
    guildId: row.guild_id,
    clipId: row.clip_id,
    kind: row.kind,
    value: row.value,
    styleMix: JSON.parse(row.style_mix) as StyleMix,
    mood: row.mood,
    tempo: row.tempo,
    instruments: JSON.parse(row.instruments) as Record<string, number>,
    createdAt: row.created_at,
  };
}
