import { Routes, type REST } from 'discord.js';

import type { BotCommand } from './command.ts';

export interface DeployOptions {
  readonly rest: Pick<REST, 'put'>;
  readonly applicationId: string;
  /** Deploys to this guild only (instant, for testing); globally when absent (Discord may take a while). */
  readonly guildId?: string | undefined;
  readonly commands: readonly BotCommand['data'][];
}

/** Replaces the application's commands (globally or in one guild) with `commands`; returns how many there are. */
export async function deployCommands(options: DeployOptions): Promise<number> {
  const route =
    options.guildId === undefined
      ? Routes.applicationCommands(options.applicationId)
      : Routes.applicationGuildCommands(options.applicationId, options.guildId);
  const deployed = await options.rest.put(route, { body: options.commands });
  return Array.isArray(deployed) ? deployed.length : 0;
}
