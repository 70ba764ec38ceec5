/**
 * The seams between the bot and the parts built beside it (voice playback, taste, the clips table): small
 * interfaces the composition root fills in. Each is optional except the clip lookup, which has a default
 * (`createJobResultClipLookup`) reading the finished job's result from the job queue.
 */
import type { FeedbackKind } from '../feedback-kind.ts';
import type { ClipMeta } from '../inference/clip-meta.ts';
import type { ClipFilePaths } from '../inference/job-clip-files.ts';

/** A finished clip as the buttons need it. Its id is the id of the job that made it. */
export interface ClipRecord {
  readonly id: string;
  /** Who the clip was made for (who asked, or who pressed the button that made it). */
  readonly userId: string;
  readonly guildId: string | null;
  readonly meta: ClipMeta;
  /** Its files on disk; undefined once a retention policy removed them. */
  readonly files: ClipFilePaths | undefined;
}

/** Finds a clip by id (the id carried in a button's custom id). */
export interface ClipLookup {
  find(clipId: string): ClipRecord | undefined | Promise<ClipRecord | undefined>;
}

export type { FeedbackKind };

/**
 * Someone did something with a clip (pressed 👍, 👎, ▶, 🔁, ➕, regenerated a track, /skip), or listened to a radio
 * segment ('radio-listen', with the seconds heard in `value`).
 */
export interface FeedbackEvent {
  readonly kind: FeedbackKind;
  /** Who pressed: the author of the event, whoever owns the clip. */
  readonly userId: string;
  readonly guildId: string | null;
  readonly channelId: string | null;
  readonly clipId: string;
  /** The clip, when the lookup still knows it (its style mix, mood, tempo, instruments are in `meta.request`). */
  readonly clip: ClipRecord | undefined;
  /** Seconds listened, for 'radio-listen'; absent otherwise. */
  readonly value?: number | undefined;
  /**
   * The job the press queued (variation, extend, regenerate): reported as soon as it is queued, before it can
   * finish, so the clips table can note `clipId` as the new clip's parent.
   */
  readonly jobId?: string | undefined;
  /** ms since the epoch. */
  readonly at: number;
}

/** Where 👍/👎 and the other clip actions go (the taste engine). A throw is logged, never shown to the user. */
export interface FeedbackSink {
  onFeedback(event: FeedbackEvent): void | Promise<void>;
}

export interface VoicePlayRequest {
  readonly guildId: string;
  /** Who pressed ▶. */
  readonly userId: string;
  /** The voice channel that member is in, from the gateway's voice states; null when not known to be in one. */
  readonly voiceChannelId: string | null;
  /** Where the button was pressed. */
  readonly textChannelId: string | null;
  readonly clip: ClipRecord;
}

/**
 * Plays a clip in a voice channel (src/voice). Resolves with one line to tell the member ("Playing ... in
 * #Lounge"); throws UserError for what the member can fix ("join a voice channel first").
 */
export interface VoicePlayback {
  playInVoice(request: VoicePlayRequest): Promise<string>;
}
