/** Building feedback events for the taste tests. */
import type { FeedbackKind, StyleMix } from '../../src/db/feedback-event.ts';
import type { TasteEvent } from '../../src/taste/taste-profile.ts';

export const DAY = 86_400_000;
export const NOW = 1_800_000_000_000;

export interface EventSpec {
  readonly user?: string;
  readonly clip?: string | null;
  readonly kind: FeedbackKind;
  readonly value?: number;
  readonly mix: StyleMix;
  readonly mood?: string | null;
  readonly tempo?: number | null;
  readonly instruments?: Readonly<Record<string, number>>;
  /** Age in days at NOW. */
  readonly daysAgo?: number;
}

export function event(spec: EventSpec): TasteEvent {
  return {
    userId: spec.user ?? 'me',
    clipId: spec.clip === undefined ? null : spec.clip,
    kind: spec.kind,
    value: spec.value ?? null,
    styleMix: spec.mix,
    mood: spec.mood ?? null,
    tempo: spec.tempo ?? null,
    instruments: spec.instruments ?? {},
    createdAt: NOW - (spec.daysAgo ?? 0) * DAY,
  };
}

/** `count` likes of distinct clips by `user` of one idea, the newest `daysAgo` old, one day apart. */
export function likes(
  user: string,
  count: number,
  idea: { mix: StyleMix; mood?: string; tempo?: number },
  daysAgo = 0,
  clipPrefix = `${user}-clip`,
): TasteEvent[] {
  return Array.from({ length: count }, (_, i) =>
    event({ user, clip: `${clipPrefix}-${i}`, kind: 'like', ...idea, daysAgo: daysAgo + (count - 1 - i) }),
  );
}
