/**
 * The database side of taste: reads feedback events and hands them to the pure functions. What /taste,
 * /recommend, "for me" and the radio call.
 */
import type Database from 'better-sqlite3';

import { feedbackFromRow, type FeedbackEvent, type FeedbackRow } from '../db/feedback-event.ts';
import { DAY_MS, DEFAULT_HALF_LIFE_DAYS } from './event-weights.ts';
import { forMe, type ForMe } from './for-me.ts';
import { recommend, type Recommendation, type RecommendOptions } from './recommend.ts';
import { buildTasteProfile, type TasteProfile } from './taste-profile.ts';

export interface TasteReaderOptions extends RecommendOptions {
  readonly clock?: (() => number) | undefined;
  /** The bot's default style, for "for me" without any history; default "pop". */
  readonly fallbackStyle?: string | undefined;
  /** Events older than this many half-lives weigh under 0.1% and are not read; default 10. */
  readonly horizonHalfLives?: number | undefined;
  /** The most events read for one person, and for one guild; defaults 5,000 and 20,000 (newest first). */
  readonly maxUserEvents?: number | undefined;
  readonly maxGuildEvents?: number | undefined;
}

export interface TasteReader {
  /** The person's events (newest last), within the horizon. */
  events(userId: string): FeedbackEvent[];
  /** /taste. */
  profile(userId: string): TasteProfile;
  /** /recommend: `count` ideas (default 3) for the person in this guild (null: a DM, no neighbours). */
  recommend(userId: string, guildId: string | null, seed: number): Recommendation[];
  /** "For me": the person's style mix, or the guild's, or the default. */
  forMe(userId: string, guildId: string | null): ForMe;
}

export function createTasteReader(db: Database.Database, options: TasteReaderOptions = {}): TasteReader {
  const clock = options.clock ?? Date.now;
  const horizonMs = (options.horizonHalfLives ?? 10) * (options.halfLifeDays ?? DEFAULT_HALF_LIFE_DAYS) * DAY_MS;
  const maxUser = options.maxUserEvents ?? 5000;
  const maxGuild = options.maxGuildEvents ?? 20_000;
  const sql = {
    user: db.prepare<[string, number, number], FeedbackRow>(
      `SELECT * FROM (SELECT * FROM feedback_events WHERE user_id = ? AND created_at >= ?
       ORDER BY created_at DESC, id DESC LIMIT ?) ORDER BY created_at, id`,
    ),
    guild: db.prepare<[string, number, number], FeedbackRow>(
      `SELECT * FROM (SELECT * FROM feedback_events WHERE guild_id = ? AND created_at >= ?
       ORDER BY created_at DESC, id DESC LIMIT ?) ORDER BY created_at, id`,
    ),
  };
  const userEvents = (userId: string, now: number): FeedbackEvent[] =>
    sql.user.all(userId, now - horizonMs, maxUser).map(feedbackFromRow);
  const guildEvents = (guildId: string | null, now: number): FeedbackEvent[] =>
    guildId === null ? [] : sql.guild.all(guildId, now - horizonMs, maxGuild).map(feedbackFromRow);

  return {
    events: (userId) => userEvents(userId, clock()),
    profile(userId) {
      const now = clock();
      return buildTasteProfile(userEvents(userId, now), now, options);
    },
    recommend(userId, guildId, seed) {
      const now = clock();
      return recommend(
        { userId, userEvents: userEvents(userId, now), guildEvents: guildEvents(guildId, now), now, seed },
        options,
      );
    },
    forMe(userId, guildId) {
      const now = clock();
      const profile = buildTasteProfile(userEvents(userId, now), now, options);
      const others = guildEvents(guildId, now).filter((event) => event.userId !== userId);
      const guild = others.length === 0 ? undefined : buildTasteProfile(others, now, options);
      return forMe(profile, { guild, fallbackStyle: options.fallbackStyle });
    },
  };
}
