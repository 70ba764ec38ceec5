import type { BotCommand } from '../bot/command.ts';
import { createCancelCommand } from './cancel.ts';
import { createComposeCommand, type ComposeCommandOptions } from './compose.ts';
import { createExportMeCommand } from './export-me.ts';
import { createForgetMeCommand } from './forget-me.ts';
import { createHelpCommand } from './help.ts';
import { createHistoryCommand } from './history.ts';
import { createQueueCommand } from './queue.ts';
import { createRecommendCommand } from './recommend.ts';
import { createSettingsCommand } from './settings.ts';
import { createStylesCommand } from './styles.ts';
import { createTasteCommand } from './taste.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';
import { voiceCommands } from './voice-commands.ts';
import type { GuildSettingsStore } from '../bot/guild-settings.ts';
import type { ClipStore } from '../db/clip-store.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import type { TasteReader } from '../taste/taste-reader.ts';

/** The clips table and the taste reader, for /recommend, /history, /taste, /export-me and /forget-me. */
export interface UserDataOptions {
  readonly store: Pick<ClipStore, 'get' | 'listForUser' | 'exportUser' | 'forgetUser'>;
  readonly taste: Pick<TasteReader, 'recommend' | 'profile'>;
}

export interface CommandsOptions extends ComposeCommandOptions {
  readonly service: Pick<InferenceService, 'submit' | 'status' | 'statusForUser' | 'cancel'>;
  readonly settings: GuildSettingsStore;
  /** Without it the five user-data commands are left out (a bot with no clips table). */
  readonly userData?: UserDataOptions | undefined;
  /** Without it /play, /skip, /stop, /leave, /nowplaying and /radio are left out (a bot that does not play in voice). */
  readonly voice?: VoiceCommandsOptions | undefined;
}

/** Every slash command, as the bot dispatches them and `npm run register` deploys them. */
export function allCommands(options: CommandsOptions): BotCommand[] {
  const before = [
    createComposeCommand(options),
    createStylesCommand(),
    createQueueCommand(options),
    createCancelCommand(options),
  ];
  const after = [
    createSettingsCommand(options),
    ...(options.userData === undefined ? [] : userDataCommands(options, options.userData)),
    ...(options.voice === undefined ? [] : voiceCommands(options.voice)),
  ];
  // /help lists exactly the commands registered here, itself included.
  const registered = [...before, ...after].map((command) => command.data.name).concat('help');
  return [...before, createHelpCommand({ registered }), ...after];
}

function userDataCommands(options: CommandsOptions, userData: UserDataOptions): BotCommand[] {
  const { store, taste } = userData;
  return [
    createRecommendCommand({ ...options, taste }),
    createHistoryCommand({ store, settings: options.settings }),
    createTasteCommand({ taste }),
    createExportMeCommand({ store }),
    createForgetMeCommand({ service: options.service, store }),
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
    userData: {
      store: { get: unused, listForUser: unused, exportUser: unused, forgetUser: unused },
      taste: { recommend: unused, profile: unused },
    },
    voice: {
      controls: {
        play: unused,
        skip: unused,
        stop: unused,
        leave: unused,
        nowPlaying: unused,
        radio: unused,
        radioVote: unused,
        player: unused,
      },
      settings: { get: unused },
      clips: { find: unused },
      recentClips: unused,
      member: unused,
      log: unused,
    },
  }).map((command) => command.data);
}
