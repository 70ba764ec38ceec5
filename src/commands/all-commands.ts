import type { BotCommand } from '../bot/command.ts';
import { createCancelCommand } from './cancel.ts';
import { createComposeCommand, type ComposeCommandOptions } from './compose.ts';
import { createHelpCommand } from './help.ts';
import { createQueueCommand } from './queue.ts';
import { createSettingsCommand } from './settings.ts';
import { createStylesCommand } from './styles.ts';
import type { GuildSettingsStore } from '../bot/guild-settings.ts';
import type { InferenceService } from '../inference/inference-service.ts';

export interface CommandsOptions extends ComposeCommandOptions {
  readonly service: Pick<InferenceService, 'submit' | 'status' | 'statusForUser' | 'cancel'>;
  readonly settings: GuildSettingsStore;
}

/** Every slash command, as the bot dispatches them and `npm run register` deploys them. */
export function allCommands(options: CommandsOptions): BotCommand[] {
  return [
    createComposeCommand(options),
    createStylesCommand(),
    createQueueCommand(options),
    createCancelCommand(options),
    createHelpCommand(),
    createSettingsCommand(options),
  ];
}

/** The commands' JSON for deploying (`npm run register`): built with collaborators that are never called. */
export function commandData(): BotCommand['data'][] {
  const unused = (): never => {
    throw new Error('commandData() builds definitions only');
  };
  return allCommands({
    service: { submit: unused, status: unused, statusForUser: unused, cancel: unused },
    replies: { track: unused },
    settings: { get: unused, update: unused },
  }).map((command) => command.data);
}
