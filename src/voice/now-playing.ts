/**
 * What the now-playing message says, as data (for an embed) and as text (for the message the bot keeps updating).
 * Names are display names, never mentions, so an update pings no one.
 */
import { escapeMarkdown } from '../markdown.ts';
import type { GuildPlayer } from './guild-player.ts';

export interface NowPlayingView {
  readonly status: 'playing' | 'idle' | 'left';
  readonly link: 'connecting' | 'ready' | 'reconnecting' | null;
  /** What plays now. */
  readonly current:
    | { kind: 'clip'; title: string; style: string; requestedBy: string; positionMs: number; durationMs: number }
    | {
        kind: 'radio';
        label: string;
        startedBy: string;
        segment: { index: number; title: string; up: number; down: number } | null;
        state: 'starting' | 'on-air' | 'stopped';
      }
    | null;
  readonly upNext: readonly { title: string; durationMs: number; requestedBy: string }[];
}

export function nowPlayingView(player: GuildPlayer | undefined): NowPlayingView {
  const state = player?.state;
  if (player === undefined || state === undefined || state.status === 'destroyed') {
    return { status: 'left', link: null, current: null, upNext: [] };
  }
  const upNext = player.queue.map((clip) => ({
    title: clip.title,
    durationMs: Math.round(clip.durationSeconds * 1000),
    requestedBy: clip.requestedBy.name,
  }));
  if (state.status === 'idle') return { status: 'idle', link: state.link, current: null, upNext };
  const item = state.item;
  if (item.kind === 'clip') {
    return {
      status: 'playing',
      link: state.link,
      current: {
        kind: 'clip',
        title: item.clip.title,
        style: item.clip.style,
        requestedBy: item.clip.requestedBy.name,
        positionMs: item.resource.playbackDuration,
        durationMs: Math.round(item.clip.durationSeconds * 1000),
      },
      upNext,
    };
  }
  const segment = item.radio.current;
  let up = 0;
  let down = 0;
  for (const vote of segment?.votes.values() ?? []) {
    if (vote === 'up') up += 1;
    else down += 1;
  }
  return {
    status: 'playing',
    link: state.link,
    current: {
      kind: 'radio',
      label: item.radio.label,
      startedBy: item.radio.owner.name,
      segment: segment === undefined ? null : { index: segment.index, title: segment.title, up, down },
      state: item.radio.state.status,
    },
    upNext,
  };
}

/** The message text, e.g. "▶ **Blue Harbour** (jazz) 0:12 / 0:30 · asked by ada". */
export function formatNowPlaying(view: NowPlayingView): string {
  if (view.status === 'left') return 'Not in a voice channel.';
  const lines: string[] = [];
  const current = view.current;
  if (current === null) lines.push('Nothing is playing.');
  else if (current.kind === 'clip') {
    lines.push(
      `▶ **${escapeMarkdown(current.title)}** (${current.style}) ${clock(current.positionMs)} / ` +
        `${clock(current.durationMs)} · asked by ${escapeMarkdown(current.requestedBy)}`,
    );
  } else {
    const head = `📻 Radio **${escapeMarkdown(current.label)}** · started by ${escapeMarkdown(current.startedBy)}`;
    if (current.segment === null) lines.push(`${head}\nComposing the first segment…`);
    else {
      lines.push(
        `${head}\nSegment ${current.segment.index + 1}: **${escapeMarkdown(current.segment.title)}** · ` +
          `👍 ${current.segment.up} 👎 ${current.segment.down}`,
      );
    }
  }
  if (view.link === 'reconnecting') lines.push('(reconnecting to voice…)');
  else if (view.link === 'connecting') lines.push('(joining voice…)');
  if (view.upNext.length > 0) {
    lines.push('Up next:');
    for (const [index, clip] of view.upNext.slice(0, 10).entries()) {
      lines.push(
        `${index + 1}. ${escapeMarkdown(clip.title)} (${clock(clip.durationMs)}) · ${escapeMarkdown(clip.requestedBy)}`,
      );
    }
    if (view.upNext.length > 10) lines.push(`… and ${view.upNext.length - 10} more`);
  }
  return lines.join('\n');
}

/** m:ss */
export function clock(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
