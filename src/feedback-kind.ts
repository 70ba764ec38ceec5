/**
 * What a person can do with a clip, as a feedback event: the one list the bot's feedback sink and the
 * `feedback_events` table share (the table's CHECK constraint lists the same kinds).
 */
export const FEEDBACK_KINDS = [
  'like',
  'dislike',
  'play',
  'skip',
  'variation',
  'extend',
  'regenerate',
  'radio-listen',
] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];
