/** The voice slash commands, in the order /help and Discord list them. */
import type { BotCommand } from '../bot/command.ts';
import { createLeaveCommand } from './leave.ts';
import { createNowPlayingCommand } from './nowplaying.ts';
import { createPlayCommand } from './play.ts';
import { createRadioCommand } from './radio.ts';
import { createSkipCommand } from './skip.ts';
import { createStopCommand } from './stop.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';

export function voiceCommands(options: VoiceCommandsOptions): BotCommand[] {
  return [
    createPlayCommand(options),
    createSkipCommand(options),
    createStopCommand(options),
    createLeaveCommand(options),
    createNowPlayingCommand(options),
    createRadioCommand(options),
  ];
}
