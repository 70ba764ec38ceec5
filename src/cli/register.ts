/**
 * `npm run register`: deploys Motif's slash commands, to DISCORD_GUILD_ID when set (instant: for testing) or
 * globally (Discord may take up to an hour to show changes). Reads .env like `npm start`.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

import { DiscordAPIError, REST } from 'discord.js';

import { deployCommands } from '../bot/deploy-commands.ts';
import { commandData } from '../commands/all-commands.ts';
import { loadConfig, requireDiscord } from '../config.ts';
import { runCli, UsageError } from './usage-error.ts';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env, availableParallelism());
  if (!config.ok) throw new UsageError(config.error.message);
  const discord = requireDiscord(config.value.discord);
  if (!discord.ok) throw new UsageError(discord.error.message);
  const { token, applicationId, guildId, apiUrl } = discord.value;
  const rest = new REST(apiUrl === undefined ? {} : { api: apiUrl }).setToken(token);
  const commands = commandData();
  const count = await deployCommands({ rest, applicationId, guildId, commands });
  process.stdout.write(
    `deployed ${count} commands (${commands.map((c) => `/${c.name}`).join(', ')}) ${guildId === undefined ? 'globally' : `to guild ${guildId}`}\n`,
  );
}

// Discord refusing (a wrong token: 401, a wrong application id: 403 or 404) is the settings' fault, not a bug.
await runCli(main, (error) => error instanceof DiscordAPIError);
