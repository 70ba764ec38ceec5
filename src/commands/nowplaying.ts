/**
 * /nowplaying: what plays in voice and what comes next, as a message that keeps itself up to date (at most one
 * edit a second) until nothing plays any more.
 */
import { InteractionContextType } from 'discord.js';

import type { BotCommand } from '../bot/command.ts';
import { replyLasting } from './lasting-reply.ts';
import { NowPlayingMessage } from './now-playing-message.ts';
import { guildIdOf } from './voice-asker.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';

export function createNowPlayingCommand(options: VoiceCommandsOptions): BotCommand {
  const { controls, log } = options;
  return {
    data: {
      name: 'nowplaying',
      description: 'What is playing in voice, kept up to date',
      contexts: [InteractionContextType.Guild],
    },
    async execute(interaction) {
      const guildId = guildIdOf(interaction);
      const { view, text } = controls.nowPlaying(guildId);
      const editReply = await replyLasting(
        interaction,
        { content: text },
        { tokenLifetimeMs: options.interactionTokenLifetimeMs },
      );
      if (view.status !== 'playing') return;
      new NowPlayingMessage({
        controls,
        guildId,
        shown: text,
        minGapMs: options.nowPlayingGapMs,
        edit: (content) => editReply({ content }),
        log,
      }).start();
    },
  };
}
