/**
 * The guild players: at most one per guild, made when first needed, forgotten the moment it is destroyed (it left,
 * went idle, or lost its connection), so none outlives its connection and none leaks.
 */
import { GuildPlayer, type GuildPlayerState, type PlayerOptions } from './guild-player.ts';
import type { JoinableTarget } from './voice-target.ts';

export interface PlayerRegistryOptions extends PlayerOptions {
  /** Called with every player made (the bot hooks its now-playing message updates here). */
  readonly onPlayer?: ((player: GuildPlayer) => void) | undefined;
}

export class PlayerRegistry {
  readonly #players = new Map<string, GuildPlayer>();
  readonly #options: PlayerRegistryOptions;

  constructor(options: PlayerRegistryOptions = {}) {
    this.#options = options;
  }

  get size(): number {
    return this.#players.size;
  }

  get(guildId: string): GuildPlayer | undefined {
    return this.#players.get(guildId);
  }

  /** The guild's player, joining the target's channel when there is none yet. */
  obtain(target: JoinableTarget): GuildPlayer {
    const existing = this.#players.get(target.guildId);
    if (existing !== undefined) return existing;
    const player = new GuildPlayer({
      ...this.#options,
      guildId: target.guildId,
      channelId: target.channelId,
      adapterCreator: target.adapterCreator,
    });
    const forget = (_old: GuildPlayerState, state: GuildPlayerState): void => {
      if (state.status !== 'destroyed') return;
      player.off('stateChange', forget);
      if (this.#players.get(player.guildId) === player) this.#players.delete(player.guildId);
    };
    player.on('stateChange', forget);
    this.#players.set(target.guildId, player);
    this.#options.onPlayer?.(player);
    return player;
  }

  /** Every player leaves (shutdown). */
  destroyAll(): void {
    for (const player of [...this.#players.values()]) player.leave('left');
  }
}
