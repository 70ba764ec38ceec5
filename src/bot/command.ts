/**
 * What the dispatcher routes to: slash commands by name (with their autocomplete), and message components
 * (buttons, selects) by the prefix of their custom id ("vary:CLIP_ID" → the handler of prefix "vary").
 */
import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
  StringSelectMenuInteraction,
} from 'discord.js';

export interface BotCommand {
  /** What `npm run register` deploys. */
  readonly data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Throws UserError for what the user got wrong; the dispatcher answers every throw. */
  execute(interaction: ChatInputCommandInteraction): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction): Promise<void>;
  /** The buttons and selects of the command's own replies (/history's pages, /forget-me's confirm). */
  readonly components?: readonly ComponentHandler[] | undefined;
}

export type ComponentInteraction = ButtonInteraction | StringSelectMenuInteraction;

export interface ComponentHandler {
  /** The custom id up to its first ':' ("vary" for "vary:CLIP_ID"). */
  readonly prefix: string;
  handle(interaction: ComponentInteraction, argument: string): Promise<void>;
}

/** "vary:CLIP_ID"; at most 100 characters, as Discord allows. */
export function customId(prefix: string, argument: string): string {
  const id = `${prefix}:${argument}`;
  if (id.length > 100) throw new RangeError(`custom id "${id}" is longer than 100 characters`);
  return id;
}
