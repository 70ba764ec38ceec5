import { Client, GatewayIntentBits } from 'discord.js';

export interface DiscordClientOptions {
  /**
   * Another base for REST (and so for the gateway lookup, `GET /gateway/bot`), e.g. a rate-limit proxy, or the
   * fake Discord in tests: `http://127.0.0.1:PORT/api`. Discord's own by default.
   */
  readonly apiUrl?: string | undefined;
}

/**
 * The discord.js client Motif runs on: guild events (the guild's channels and members come with GUILD_CREATE)
 * and voice states (who is in which voice channel, for ▶). Nothing a message says pings anyone unless the
 * message names whom it may ping (`allowedMentions`).
 */
export function createDiscordClient(options: DiscordClientOptions = {}): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates],
    allowedMentions: { parse: [], repliedUser: false },
    ...(options.apiUrl === undefined ? {} : { rest: { api: options.apiUrl } }),
  });
}
