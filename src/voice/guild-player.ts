/**
 * One guild's player: its voice link, an @discordjs/voice AudioPlayer, and a queue of clips. A clip streams as its
 * Ogg Opus file (`StreamType.OggOpus`: demuxed, never decoded, no FFmpeg, no inline volume); the radio streams as one
 * endless Ogg Opus resource. The state is a union discriminated on `status`, changed in one setter that emits
 * `stateChange(old, new)`. Nothing to play for `idleTimeoutMs` means leaving; a lost link means `destroyed`.
 */
import { accessSync, constants, createReadStream } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';

import {
  AudioPlayerStatus,
  createAudioPlayer,
  createAudioResource,
  NoSubscriberBehavior,
  StreamType,
  type AudioPlayer,
  type AudioPlayerState,
  type AudioResource,
  type DiscordGatewayAdapterCreator,
} from '@discordjs/voice';

import type { RadioStation } from './radio.ts';
import type { VoiceClip } from './voice-clip.ts';
import { VoiceLink, type LinkLostReason, type LinkStatus } from './voice-link.ts';
import { voiceError, voiceOk, type VoiceResult } from './voice-result.ts';

export type PlayingItem =
  | { readonly kind: 'clip'; readonly clip: VoiceClip; readonly resource: AudioResource }
  | { readonly kind: 'radio'; readonly radio: RadioStation; readonly resource: AudioResource };

export type LeaveReason = 'left' | 'idle' | LinkLostReason;

export type GuildPlayerState =
  | { readonly status: 'idle'; readonly channelId: string; readonly link: LinkStatus; readonly since: number }
  | {
      readonly status: 'playing';
      readonly channelId: string;
      readonly link: LinkStatus;
      readonly item: PlayingItem;
      readonly since: number;
    }
  | { readonly status: 'destroyed'; readonly reason: LeaveReason; readonly since: number };

interface GuildPlayerEvents {
  stateChange: [oldState: GuildPlayerState, newState: GuildPlayerState];
  /** A clip or the radio could not be played (it is skipped). */
  error: [error: Error];
}

export interface PlayerOptions {
  /** Clips that may wait (the one playing not counted); default 20. */
  readonly maxQueue?: number | undefined;
  /** Leave after this long with nothing to play; default 3 minutes. */
  readonly idleTimeoutMs?: number | undefined;
  /** Giving up on joining or reconnecting; default 20 s. */
  readonly readyTimeoutMs?: number | undefined;
  /** How long a 4014 close may take to become a move; default 5 s. */
  readonly movedGraceMs?: number | undefined;
  /** Silence frames the player may send while a stream is late (radio) before it stops; default 250 (5 s). */
  readonly maxMissedFrames?: number | undefined;
  /** Opens a clip's Ogg file (tests and odd storage); createReadStream by default. */
  readonly openClip?: ((clip: VoiceClip) => Readable) | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface GuildPlayerOptions extends PlayerOptions {
  readonly guildId: string;
  readonly channelId: string;
  readonly adapterCreator: DiscordGatewayAdapterCreator;
}

export interface EnqueueOutcome {
  /** 0: playing now; n: n-th in the queue. */
  readonly position: number;
  readonly clip: VoiceClip;
}

export class GuildPlayer extends EventEmitter<GuildPlayerEvents> {
  readonly guildId: string;
  #state: GuildPlayerState;
  #queue: VoiceClip[] = [];
  #link: VoiceLink;
  #audio: AudioPlayer;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #maxQueue: number;
  readonly #idleTimeoutMs: number;
  readonly #openClip: (clip: VoiceClip) => Readable;
  readonly #log: (line: string) => void;

  constructor(options: GuildPlayerOptions) {
    super();
    this.guildId = options.guildId;
    this.#maxQueue = options.maxQueue ?? 20;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 180_000;
    this.#openClip =
      options.openClip ??
      ((clip) => {
        accessSync(clip.oggPath, constants.R_OK); // a missing file is the asker's answer, not a later stream error
        return createReadStream(clip.oggPath);
      });
    this.#log = options.log ?? (() => undefined);
    this.#audio = createAudioPlayer({
      behaviors: { noSubscriber: NoSubscriberBehavior.Pause, maxMissedFrames: options.maxMissedFrames ?? 250 },
      debug: false,
    });
    this.#audio.on('stateChange', this.#onAudioState);
    this.#audio.on('error', this.#onAudioError);
    this.#link = new VoiceLink({
      guildId: options.guildId,
      channelId: options.channelId,
      adapterCreator: options.adapterCreator,
      readyTimeoutMs: options.readyTimeoutMs,
      movedGraceMs: options.movedGraceMs,
      log: this.#log,
    });
    this.#link.on('status', this.#onLinkStatus);
    this.#link.on('lost', this.#onLinkLost);
    this.#link.subscribe(this.#audio);
    this.#state = { status: 'idle', channelId: options.channelId, link: this.#link.status, since: Date.now() };
    this.#armIdleTimer();
  }

  get state(): GuildPlayerState {
    return this.#state;
  }

  get queue(): readonly VoiceClip[] {
    return this.#queue;
  }

  get channelId(): string | null {
    return this.#state.status === 'destroyed' ? null : this.#state.channelId;
  }

  /** Milliseconds of the current item played (silence while a stream was late included). */
  get positionMs(): number {
    return this.#state.status === 'playing' ? this.#state.item.resource.playbackDuration : 0;
  }

  /** Plays the clip now when nothing plays, otherwise queues it. The radio gives way to a queued clip. */
  enqueue(clip: VoiceClip): VoiceResult<EnqueueOutcome> {
    const state = this.#state;
    if (state.status === 'destroyed') return voiceError('not-connected', 'I already left the voice channel.');
    if (state.status === 'idle') {
      const started = this.#playClip(clip);
      return started.ok ? voiceOk({ position: 0, clip }) : started;
    }
    if (this.#queue.length >= this.#maxQueue) {
      return voiceError('queue-full', `The queue is full (${this.#maxQueue} clips): skip one or wait.`);
    }
    this.#queue.push(clip);
    if (state.item.kind === 'radio' && this.#queue.length === 1) {
      // The radio never ends by itself: it makes way for the clip.
      this.#endItem(state.item);
      this.#fadeOut();
    }
    return voiceOk({ position: this.#queue.length, clip });
  }

  /** Ends what plays now (the radio included) and starts the next queued clip. */
  skip(): VoiceResult<PlayingItem> {
    const state = this.#state;
    if (state.status !== 'playing') return voiceError('nothing-playing', 'Nothing is playing.');
    this.#endItem(state.item);
    this.#fadeOut();
    return voiceOk(state.item);
  }

  /** Clears the queue and stops playback (and the radio); stays in the channel until the idle timeout. */
  stop(): VoiceResult<{ cleared: number }> {
    const state = this.#state;
    if (state.status === 'destroyed') return voiceError('not-connected', 'I am not in a voice channel.');
    const cleared = this.#queue.length;
    this.#queue = [];
    if (state.status === 'playing') {
      this.#endItem(state.item);
      this.#fadeOut();
    }
    return voiceOk({ cleared });
  }

  /** Plays the radio now, in place of anything playing or queued. */
  playRadio(radio: RadioStation): VoiceResult<RadioStation> {
    const state = this.#state;
    if (state.status === 'destroyed') return voiceError('not-connected', 'I already left the voice channel.');
    this.#queue = [];
    if (state.status === 'playing') this.#endItem(state.item);
    const resource = createAudioResource(radio.stream, { inputType: StreamType.OggOpus, inlineVolume: false });
    radio.start(() => resource.playbackDuration);
    radio.on('error', (error) => {
      this.#reportError(error);
    });
    this.#play({ kind: 'radio', radio, resource });
    return voiceOk(radio);
  }

  /** Moves to another voice channel of the guild. */
  moveTo(channelId: string): void {
    const state = this.#state;
    if (state.status === 'destroyed') return;
    this.#link.moveTo(channelId);
    this.#setState({ ...state, channelId });
  }

  /** Stops everything, leaves the channel and releases the connection. Idempotent. */
  leave(reason: LeaveReason = 'left'): void {
    const state = this.#state;
    if (state.status === 'destroyed') return;
    clearTimeout(this.#idleTimer);
    this.#queue = [];
    if (state.status === 'playing') this.#endItem(state.item);
    this.#link.off('status', this.#onLinkStatus);
    this.#link.off('lost', this.#onLinkLost);
    this.#link.destroy();
    this.#audio.off('stateChange', this.#onAudioState);
    this.#audio.stop(true);
    this.#audio.removeAllListeners('error');
    this.#audio.on('error', () => undefined);
    this.#setState({ status: 'destroyed', reason, since: Date.now() });
  }

  #setState(state: GuildPlayerState): void {
    const old = this.#state;
    this.#state = state;
    if (state.status !== 'idle') clearTimeout(this.#idleTimer);
    else if (old.status !== 'idle') this.#armIdleTimer();
    this.emit('stateChange', old, state);
  }

  #armIdleTimer(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#state.status === 'idle') this.leave('idle');
    }, this.#idleTimeoutMs);
  }

  #playClip(clip: VoiceClip): VoiceResult<PlayingItem> {
    let stream: Readable;
    try {
      stream = this.#openClip(clip);
    } catch (error) {
      return voiceError('clip-unreadable', `${clip.title} cannot be read: ${String(error)}`);
    }
    const resource = createAudioResource(stream, { inputType: StreamType.OggOpus, inlineVolume: false });
    const item: PlayingItem = { kind: 'clip', clip, resource };
    this.#play(item);
    return voiceOk(item);
  }

  #play(item: PlayingItem): void {
    const state = this.#state;
    if (state.status === 'destroyed') return;
    this.#setState({ status: 'playing', channelId: state.channelId, link: state.link, item, since: Date.now() });
    this.#audio.play(item.resource);
  }

  /**
   * Ends the current resource with its five silence frames rather than at once: a forced stop leaves the packet
   * @discordjs/voice had already prepared in the connection, and it would go out first when the next clip starts.
   */
  #fadeOut(): void {
    this.#audio.stop(false);
  }

  /** The item is over (ended, skipped, stopped): a radio stops composing. */
  #endItem(item: PlayingItem): void {
    if (item.kind === 'radio') item.radio.stop();
  }

  #next(): void {
    const state = this.#state;
    if (state.status === 'destroyed') return;
    for (let clip = this.#queue.shift(); clip !== undefined; clip = this.#queue.shift()) {
      const started = this.#playClip(clip);
      if (started.ok) return;
      this.#reportError(new Error(started.error.message));
    }
    this.#setState({ status: 'idle', channelId: state.channelId, link: state.link, since: Date.now() });
  }

  readonly #onAudioState = (old: AudioPlayerState, next: AudioPlayerState): void => {
    if (next.status !== AudioPlayerStatus.Idle || old.status === AudioPlayerStatus.Idle) return;
    const state = this.#state;
    if (state.status !== 'playing' || state.item.resource !== old.resource) return;
    this.#endItem(state.item);
    this.#next();
  };

  readonly #onAudioError = (error: Error): void => {
    this.#reportError(error);
  };

  #reportError(error: Error): void {
    this.#log(`voice: guild ${this.guildId}: ${error.message}`);
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  readonly #onLinkStatus = (link: LinkStatus): void => {
    const state = this.#state;
    if (state.status === 'destroyed') return;
    this.#setState({ ...state, link, channelId: this.#link.channelId });
  };

  readonly #onLinkLost = (reason: LinkLostReason): void => {
    this.leave(reason);
  };
}
