/**
 * A guild's voice connection and the one policy for keeping it: @discordjs/voice resumes by itself when Discord
 * allows it (voice socket closed with 4015 or a code below 4000) and signals again after other closes; this class
 * rejoins after an adapter or endpoint loss (a few times, backing off), gives a 4014 close (kicked, or moved: a new
 * voice server follows) a few seconds to turn into a reconnect, and gives up when the connection is not ready
 * again in time. Giving up destroys the connection and emits 'lost' once: nothing is left connected.
 */
import { EventEmitter } from 'node:events';

import {
  joinVoiceChannel,
  VoiceConnectionDisconnectReason,
  VoiceConnectionStatus,
  type AudioPlayer,
  type DiscordGatewayAdapterCreator,
  type VoiceConnection,
  type VoiceConnectionState,
} from '@discordjs/voice';

export type LinkStatus = 'connecting' | 'ready' | 'reconnecting';

export type LinkLostReason = 'kicked' | 'timeout' | 'unavailable' | 'destroyed';

/** Discord's close code for "disconnected": kicked, the channel deleted, or moved to another channel. */
const CLOSE_DISCONNECTED = 4014;

export interface VoiceLinkOptions {
  readonly guildId: string;
  readonly channelId: string;
  readonly adapterCreator: DiscordGatewayAdapterCreator;
  /** How long joining or reconnecting may take before giving up; default 20 s. */
  readonly readyTimeoutMs?: number | undefined;
  /** How long a 4014 close may take to turn into a reconnect (a move) before it counts as a kick; default 5 s. */
  readonly movedGraceMs?: number | undefined;
  /** Rejoins after an adapter or endpoint loss before giving up; default 5. */
  readonly maxRejoinAttempts?: number | undefined;
  /** Base delay between rejoins (times the attempt number); default 1 s. */
  readonly rejoinDelayMs?: number | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

interface VoiceLinkEvents {
  status: [status: LinkStatus];
  lost: [reason: LinkLostReason];
}

export class VoiceLink extends EventEmitter<VoiceLinkEvents> {
  readonly guildId: string;
  #connection: VoiceConnection;
  #channelId: string;
  #status: LinkStatus = 'connecting';
  #wasReady = false;
  #closed = false;
  #readyTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #rejoinTimer: NodeJS.Timeout | undefined;
  readonly #readyTimeoutMs: number;
  readonly #movedGraceMs: number;
  readonly #maxRejoinAttempts: number;
  readonly #rejoinDelayMs: number;
  readonly #log: (line: string) => void;

  constructor(options: VoiceLinkOptions) {
    super();
    this.guildId = options.guildId;
    this.#channelId = options.channelId;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
    this.#movedGraceMs = options.movedGraceMs ?? 5_000;
    this.#maxRejoinAttempts = options.maxRejoinAttempts ?? 5;
    this.#rejoinDelayMs = options.rejoinDelayMs ?? 1_000;
    this.#log = options.log ?? (() => undefined);
    this.#connection = joinVoiceChannel({
      guildId: options.guildId,
      channelId: options.channelId,
      adapterCreator: options.adapterCreator,
      selfDeaf: true,
      selfMute: false,
    });
    this.#connection.on('stateChange', this.#onStateChange);
    this.#connection.on('error', this.#onError);
    this.#armReadyTimer();
    // A connection that was already there (a rejoin of a tracked one) may be ready now.
    if (this.#connection.state.status === VoiceConnectionStatus.Ready) this.#onReady();
  }

  get status(): LinkStatus {
    return this.#status;
  }

  /** The channel the bot is in: where it joined or moved, or where someone dragged it (Discord tells the library). */
  get channelId(): string {
    return this.#connection.joinConfig.channelId ?? this.#channelId;
  }

  get connection(): VoiceConnection {
    return this.#connection;
  }

  subscribe(player: AudioPlayer): void {
    this.#connection.subscribe(player);
  }

  /** Moves to another channel of the guild (same connection; Discord may hand out another voice server). */
  moveTo(channelId: string): void {
    if (this.#closed || channelId === this.#channelId) return;
    this.#channelId = channelId;
    this.#connection.rejoin({ channelId, selfDeaf: true, selfMute: false });
  }

  /** Leaves the channel and releases the connection. Idempotent; emits no 'lost'. */
  destroy(): void {
    if (this.#closed) return;
    this.#close();
    if (this.#connection.state.status !== VoiceConnectionStatus.Destroyed) this.#connection.destroy();
  }

  #close(): void {
    this.#closed = true;
    clearTimeout(this.#readyTimer);
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#rejoinTimer);
    this.#connection.off('stateChange', this.#onStateChange);
    // Late errors of a connection being torn down are not ours to report any more.
    this.#connection.off('error', this.#onError);
    this.#connection.on('error', () => undefined);
  }

  #giveUp(reason: LinkLostReason): void {
    if (this.#closed) return;
    this.#log(`voice: guild ${this.guildId}: connection lost (${reason})`);
    this.destroy();
    this.emit('lost', reason);
  }

  #setStatus(status: LinkStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.emit('status', status);
  }

  #armReadyTimer(): void {
    if (this.#readyTimer !== undefined) return;
    this.#readyTimer = setTimeout(() => {
      this.#readyTimer = undefined;
      this.#giveUp('timeout');
    }, this.#readyTimeoutMs);
  }

  #onReady(): void {
    clearTimeout(this.#readyTimer);
    this.#readyTimer = undefined;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#wasReady = true;
    this.#setStatus('ready');
  }

  readonly #onError = (error: Error): void => {
    this.#log(`voice: guild ${this.guildId}: ${error.message}`);
  };

  readonly #onStateChange = (_old: VoiceConnectionState, state: VoiceConnectionState): void => {
    if (this.#closed) return;
    switch (state.status) {
      case VoiceConnectionStatus.Ready:
        this.#onReady();
        return;
      case VoiceConnectionStatus.Signalling:
      case VoiceConnectionStatus.Connecting:
        clearTimeout(this.#graceTimer);
        this.#graceTimer = undefined;
        this.#setStatus(this.#wasReady ? 'reconnecting' : 'connecting');
        this.#armReadyTimer();
        return;
      case VoiceConnectionStatus.Disconnected:
        this.#setStatus(this.#wasReady ? 'reconnecting' : 'connecting');
        this.#armReadyTimer();
        if (state.reason === VoiceConnectionDisconnectReason.WebSocketClose && state.closeCode === CLOSE_DISCONNECTED) {
          // Kicked, or moved: a move brings a new voice server, which turns this into Connecting within the grace.
          clearTimeout(this.#graceTimer);
          this.#graceTimer = setTimeout(() => {
            this.#graceTimer = undefined;
            this.#giveUp('kicked');
          }, this.#movedGraceMs);
          return;
        }
        if (this.#connection.rejoinAttempts >= this.#maxRejoinAttempts) {
          this.#giveUp('unavailable');
          return;
        }
        clearTimeout(this.#rejoinTimer);
        this.#rejoinTimer = setTimeout(
          () => {
            this.#rejoinTimer = undefined;
            if (!this.#closed && this.#connection.state.status === VoiceConnectionStatus.Disconnected) {
              this.#connection.rejoin();
            }
          },
          (this.#connection.rejoinAttempts + 1) * this.#rejoinDelayMs,
        );
        return;
      case VoiceConnectionStatus.Destroyed:
        this.#close();
        this.emit('lost', 'destroyed');
        return;
    }
  };
}
