/**
 * The one place interactions enter the bot: slash commands by name, autocomplete, buttons and selects by the
 * prefix of their custom id. It is also the one place errors become replies: a UserError is answered
 * ephemerally with its message (what to change); anything else is logged with its context and an error id,
 * and answered with a short apology quoting that id.
 */
import { randomBytes } from 'node:crypto';

import { MessageFlags, type Interaction, type RepliableInteraction } from 'discord.js';

import type { BotCommand, ComponentHandler } from './command.ts';
import { UserError } from './user-error.ts';

export interface DispatcherOptions {
  readonly commands: readonly BotCommand[];
  readonly components: readonly ComponentHandler[];
  /** One line per unexpected error (with its id and context) or failed reply. */
  readonly log: (line: string) => void;
  /** A short id to quote; random hex by default. */
  readonly errorId?: (() => string) | undefined;
}

export interface Dispatcher {
  /** Routes one interaction; never rejects. */
  handle(interaction: Interaction): Promise<void>;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const commands = uniqueBy(options.commands, (command) => command.data.name, 'command');
  const components = uniqueBy(options.components, (handler) => handler.prefix, 'custom-id prefix');
  const errorId = options.errorId ?? (() => randomBytes(4).toString('hex'));
  const { log } = options;

  const answerError = async (interaction: RepliableInteraction, what: string, error: unknown): Promise<void> => {
    let content: string;
    if (error instanceof UserError) {
      content = error.message;
    } else {
      const id = errorId();
      log(
        `error ${id} in ${what} (user ${interaction.user.id}, guild ${interaction.guildId ?? 'none'}, channel ${interaction.channelId ?? 'none'}): ${describe(error)}`,
      );
      content = `Sorry, something went wrong on my side. If it keeps happening, tell the bot's owner error id \`${id}\`.`;
    }
    try {
      if (interaction.deferred && !interaction.replied) {
        await interaction.editReply({ content, embeds: [], components: [], files: [], allowedMentions: { parse: [] } });
      } else if (interaction.replied) {
        await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
      } else {
        await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
      }
    } catch (replyError) {
      log(`could not answer the error in ${what}: ${describe(replyError)}`);
    }
  };

  return {
    async handle(interaction) {
      if (interaction.isAutocomplete()) {
        const command = commands.get(interaction.commandName);
        try {
          if (command?.autocomplete === undefined) await interaction.respond([]);
          else await command.autocomplete(interaction);
        } catch (error) {
          log(`autocomplete of /${interaction.commandName} failed: ${describe(error)}`);
          if (!interaction.responded) await interaction.respond([]).catch(() => undefined);
        }
        return;
      }
      if (interaction.isChatInputCommand()) {
        const command = commands.get(interaction.commandName);
        const what = `/${interaction.commandName}`;
        try {
          if (command === undefined) {
            throw new UserError({
              code: 'unknown-command',
              message: `I do not know /${interaction.commandName} (any more): try /help.`,
            });
          }
          await command.execute(interaction);
        } catch (error) {
          await answerError(interaction, what, error);
        }
        return;
      }
      if (interaction.isButton() || interaction.isStringSelectMenu()) {
        const separator = interaction.customId.indexOf(':');
        const prefix = separator < 0 ? interaction.customId : interaction.customId.slice(0, separator);
        const argument = separator < 0 ? '' : interaction.customId.slice(separator + 1);
        const handler = components.get(prefix);
        const what = `component ${interaction.customId}`;
        try {
          if (handler === undefined) {
            throw new UserError({ code: 'unknown-component', message: 'This button no longer does anything.' });
          }
          await handler.handle(interaction, argument);
        } catch (error) {
          await answerError(interaction, what, error);
        }
      }
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** A map by key; two entries with one key are a wiring mistake, refused at start rather than silently shadowed. */
function uniqueBy<T>(items: readonly T[], key: (item: T) => string, what: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const name = key(item);
    if (map.has(name)) throw new Error(`two handlers for the ${what} "${name}"`);
    map.set(name, item);
  }
  return map;
}
