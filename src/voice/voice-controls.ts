/**
 * The voice commands' logic as plain functions, for the bot's /play, /skip, /stop, /leave, /nowplaying, /radio,
 * the ▶ button and the 👍 / 👎 buttons during radio. Each returns a VoiceResult; the command turns an error into a
 * UserError and a value into its reply.
 */
import { randomInt } from 'node:crypto';

import { parseComposeRequest } from '../inference/compose-request.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import { composeJobRequest, type ComposeJobRequest } from '../inference/job-request.ts';
import type { GuildPlayer } from './guild-player.ts';
import { formatNowPlaying, nowPlayingView, type NowPlayingView } from './now-playing.ts';
import type { PlayerRegistry } from './player-registry.ts';
import { RadioStation, type RadioSegment, type RadioVote } from './radio.ts';
import type { VoiceClip } from './voice-clip.ts';
import { voiceError, voiceOk, type VoiceResult } from './voice-result.ts';
import { checkVoiceTarget, type JoinableTarget, type VoiceSettings, type VoiceTarget } from './voice-target.ts';

export interface VoiceControlsOptions {
  readonly registry: PlayerRegistry;
  /** The inference service the radio composes with; without one, /radio answers that the radio is unavailable. */
  readonly service?: Pick<InferenceService, 'submit' | 'cancel' | 'on' | 'off'>;
  /** Radio segment length; default 20 s. */
  readonly radioSegmentSeconds?: number | undefined;
  /** See RadioOptions.leadMs. */
  readonly radioLeadMs?: number | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface PlayInput {
  readonly target: VoiceTarget;
  readonly settings: VoiceSettings;
  readonly clip: VoiceClip;
}

export interface PlayOutcome {
  /** 0: playing now; n: n-th in the queue. */
  readonly position: number;
  readonly clip: VoiceClip;
  readonly channelName: string;
}

export interface RadioInput {
  readonly target: VoiceTarget;
  readonly settings: VoiceSettings;
  /** The style selection as /radio got it ("lofi", "jazz:0.6,lofi:0.4", or a "for me" blend the caller resolved). */
  readonly style: string;
  /** What the now-playing text calls the station; the style by default. */
  readonly label?: string | undefined;
  readonly mood?: string | undefined;
  /** The text channel the radio was asked in (its jobs are recorded there). */
  readonly textChannelId: string | null;
}

export interface VoiceControls {
  play(input: PlayInput): VoiceResult<PlayOutcome>;
  skip(guildId: string): VoiceResult<{ skipped: string; next: string | null }>;
  stop(guildId: string): VoiceResult<{ cleared: number }>;
  leave(guildId: string): VoiceResult<{ channelId: string }>;
  nowPlaying(guildId: string): { view: NowPlayingView; text: string };
  radio(input: RadioInput): VoiceResult<RadioStation>;
  radioVote(guildId: string, userId: string, vote: RadioVote): VoiceResult<RadioSegment>;
  /** The guild's player, if there is one (a now-playing message follows its stateChange events). */
  player(guildId: string): GuildPlayer | undefined;
}

export function createVoiceControls(options: VoiceControlsOptions): VoiceControls {
  const { registry } = options;
  const segmentSeconds = options.radioSegmentSeconds ?? 20;

  /** The guild's player in the target's channel: joins, or moves when the player is idle elsewhere. */
  const playerFor = (target: JoinableTarget): VoiceResult<GuildPlayer> => {
    const existing = registry.get(target.guildId);
    if (existing === undefined) return voiceOk(registry.obtain(target));
    if (existing.channelId !== target.channelId) {
      if (existing.state.status === 'playing') {
        return voiceError('in-another-channel', 'I am playing in another voice channel: join it, or /stop first.');
      }
      existing.moveTo(target.channelId);
    }
    return voiceOk(existing);
  };

  const connected = (guildId: string): VoiceResult<GuildPlayer> => {
    const player = registry.get(guildId);
    if (player === undefined) return voiceError('not-connected', 'I am not in a voice channel here.');
    return voiceOk(player);
  };

  return {
    play: ({ target, settings, clip }) => {
      const checked = checkVoiceTarget(target, settings);
      if (!checked.ok) return checked;
      const player = playerFor(checked.value);
      if (!player.ok) return player;
      const queued = player.value.enqueue(clip);
      if (!queued.ok) return queued;
      return voiceOk({ position: queued.value.position, clip, channelName: checked.value.channelName });
    },

    skip: (guildId) => {
      const player = connected(guildId);
      if (!player.ok) return player;
      const next = player.value.queue[0]?.title ?? null;
      const skipped = player.value.skip();
      if (!skipped.ok) return skipped;
      const item = skipped.value;
      return voiceOk({ skipped: item.kind === 'clip' ? item.clip.title : `radio ${item.radio.label}`, next });
    },

    stop: (guildId) => {
      const player = connected(guildId);
      if (!player.ok) return player;
      return player.value.stop();
    },

    leave: (guildId) => {
      const player = connected(guildId);
      if (!player.ok) return player;
      const channelId = player.value.channelId ?? '';
      player.value.leave('left');
      return voiceOk({ channelId });
    },

    nowPlaying: (guildId) => {
      const view = nowPlayingView(registry.get(guildId));
      return { view, text: formatNowPlaying(view) };
    },

    radio: (input) => {
      const checked = checkVoiceTarget(input.target, input.settings);
      if (!checked.ok) return checked;
      const service = options.service;
      if (service === undefined) return voiceError('radio-failed', 'The radio is not available on this bot.');
      const first = radioFirstRequest(input.style, input.mood, segmentSeconds);
      if (!first.ok) return first;
      const player = playerFor(checked.value);
      if (!player.ok) return player;
      const radio = new RadioStation({
        service,
        first: first.value,
        label: input.label ?? input.style,
        owner: input.target.asker,
        guildId: input.target.guildId,
        channelId: input.textChannelId,
        leadMs: options.radioLeadMs,
        log: options.log,
      });
      return player.value.playRadio(radio);
    },

    radioVote: (guildId, userId, vote) => {
      const state = registry.get(guildId)?.state;
      if (state?.status !== 'playing' || state.item.kind !== 'radio') {
        return voiceError('no-radio', 'The radio is not playing here.');
      }
      const segment = state.item.radio.vote(userId, vote);
      if (segment === undefined) return voiceError('no-radio', 'The radio has not started playing yet.');
      return voiceOk(segment);
    },

    player: (guildId) => registry.get(guildId),
  };
}

/**
 * The radio's first segment: a compose request in the style, `segmentSeconds` long, with a random seed, rendered
 * seamless (no fade-out) so that the next segment joins it without a dip.
 */
export function radioFirstRequest(
  style: string,
  mood: string | undefined,
  segmentSeconds: number,
  seed: number = randomInt(0, 2 ** 32 - 1),
): VoiceResult<ComposeJobRequest> {
  const parsed = parseComposeRequest({ style, mood, length: segmentSeconds, seed }, { style, seed: () => seed });
  if (!parsed.ok) return voiceError('radio-failed', parsed.error.message);
  return voiceOk({ ...composeJobRequest(parsed.value), seamless: true });
}
