/**
 * What the voice player plays: a finished clip's Ogg Opus file and what the now-playing text says about it.
 */
import type { ClipMeta } from '../inference/clip-meta.ts';

export interface VoiceClip {
  /** The clip's id (its job id). */
  readonly id: string;
  readonly title: string;
  /** The clip's .ogg (Ogg Opus, as the render pipeline wrote it). */
  readonly oggPath: string;
  readonly durationSeconds: number;
  readonly style: string;
  /** Who asked for it to be played. */
  readonly requestedBy: VoiceUser;
}

export interface VoiceUser {
  readonly id: string;
  /** A display name for the now-playing text (never a mention, so that nothing pings). */
  readonly name: string;
}

/** A finished job's clip as the player takes it. */
export function voiceClipOf(clipId: string, oggPath: string, meta: ClipMeta, requestedBy: VoiceUser): VoiceClip {
  return {
    id: clipId,
    title: meta.title,
    oggPath,
    durationSeconds: meta.resolved.durationSeconds,
    style: meta.request.style,
    requestedBy,
  };
}
