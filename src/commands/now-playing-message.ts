/**
 * A message that follows a guild's player: it is edited when the player changes (a new clip, the radio's next
 * segment, a reconnect) and as the clock moves, at most once per `minGapMs`, only when its text changed, and it
 * stops following once nothing plays (idle, left, or the item it was made for ended) or an edit fails (the message
 * was deleted). It may follow for hours: `edit` outlives the interaction's token (see lasting-reply.ts).
 */
import type { GuildPlayer } from '../voice/guild-player.ts';
import type { NowPlayingView } from '../voice/now-playing.ts';
import type { VoiceControls } from '../voice/voice-controls.ts';

export interface NowPlayingMessageOptions {
  readonly controls: Pick<VoiceControls, 'nowPlaying' | 'player'>;
  readonly guildId: string;
  /** Edits the message; the view says whether it still plays (e.g. to take the radio's buttons away). */
  readonly edit: (text: string, view: NowPlayingView) => Promise<unknown>;
  /** The text already shown. */
  readonly shown: string;
  /** Keep following while this holds (e.g. the radio it was made for is still on air); always true by default. */
  readonly follows?: ((view: NowPlayingView) => boolean) | undefined;
  /** Least time between two edits; default 1000 ms. */
  readonly minGapMs?: number | undefined;
  readonly log: (line: string) => void;
}

export class NowPlayingMessage {
  readonly #options: NowPlayingMessageOptions;
  readonly #minGapMs: number;
  #shown: string;
  #lastEditAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #tick: NodeJS.Timeout | undefined;
  #editing = false;
  #dirty = false;
  #stopped = false;
  #player: GuildPlayer | undefined;
  /** Edits sent (for tests and logs). */
  edits = 0;

  constructor(options: NowPlayingMessageOptions) {
    this.#options = options;
    this.#minGapMs = options.minGapMs ?? 1000;
    this.#shown = options.shown;
  }

  get following(): boolean {
    return !this.#stopped;
  }

  /** Starts following the guild's player. */
  start(): void {
    if (this.#stopped) return;
    this.#lastEditAt = Date.now();
    this.#player = this.#options.controls.player(this.#options.guildId);
    this.#player?.on('stateChange', this.#onState);
    this.#tick = setInterval(() => {
      this.#schedule();
    }, this.#minGapMs);
    this.#tick.unref();
  }

  /** Something changed that the player does not announce (a vote): update soon. */
  changed(): void {
    this.#schedule();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#tick);
    this.#player?.off('stateChange', this.#onState);
  }

  readonly #onState = (): void => {
    this.#schedule();
  };

  #schedule(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    if (this.#editing) {
      this.#dirty = true;
      return;
    }
    const wait = Math.max(0, this.#lastEditAt + this.#minGapMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#update();
    }, wait);
    this.#timer.unref();
  }

  async #update(): Promise<void> {
    if (this.#stopped) return;
    const { view, text } = this.#options.controls.nowPlaying(this.#options.guildId);
    const over = view.status !== 'playing' || !(this.#options.follows?.(view) ?? true);
    if (over) this.stop();
    if (text === this.#shown && !over) return;
    this.#shown = text;
    this.#lastEditAt = Date.now();
    this.#editing = true;
    try {
      await this.#options.edit(text, view);
      this.edits += 1;
    } catch (error) {
      this.#options.log(
        `now-playing message in guild ${this.#options.guildId}: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.stop();
    } finally {
      this.#editing = false;
    }
    if (this.#dirty) {
      this.#dirty = false;
      this.#schedule();
    }
  }
}
