/**
 * What the voice commands (/play, /skip, /stop, /leave, /nowplaying, /radio), the radio's 👍 / 👎 buttons and ▶
 * are built with: src/voice's controls (wired by src/main.ts), the guild settings, the clips, and the bot's
 * feedback sink and "for me" style.
 */
import type { GuildMember } from 'discord.js';

import type { ClipLookup, FeedbackSink } from '../bot/collaborators.ts';
import type { GuildSettingsStore } from '../bot/guild-settings.ts';
import type { VoiceControls } from '../voice/voice-controls.ts';
import type { ComposeCommandOptions } from './compose.ts';
import type { RecentClips } from './recent-clips.ts';

export interface VoiceCommandsOptions {
  readonly controls: VoiceControls;
  readonly settings: Pick<GuildSettingsStore, 'get'>;
  readonly clips: ClipLookup;
  /** A member's recent clips, newest first: /play's choices and its default. */
  readonly recentClips: RecentClips;
  readonly feedback?: FeedbackSink | undefined;
  /** A member's "for me" style (the taste engine's blend); without it /radio style:for-me says there is no taste yet. */
  readonly defaultStyle?: ComposeCommandOptions['defaultStyle'];
  /** A member from the client's cache (▶ knows only the presser's id). */
  readonly member: (guildId: string, userId: string) => GuildMember | undefined;
  readonly log: (line: string) => void;
  /** Least time between two edits of a now-playing message; default 1000 ms. */
  readonly nowPlayingGapMs?: number | undefined;
  /** How long an interaction's token works (Discord's 15 minutes); now-playing messages are edited as channel messages after. */
  readonly interactionTokenLifetimeMs?: number | undefined;
  readonly clock?: (() => number) | undefined;
}
