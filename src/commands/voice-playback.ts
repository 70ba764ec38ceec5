/**
 * ▶ under a clip: the bot's VoicePlayback, playing the clip in the presser's voice channel (their member and voice
 * state from the client's cache) through src/voice's controls, with the guild's /settings voice switch.
 */
import type { VoicePlayback } from '../bot/collaborators.ts';
import { UserError } from '../bot/user-error.ts';
import { voiceTargetOf } from '../voice/voice-target.ts';
import { playedLine, voiceClipFor } from './play.ts';
import { orUserError } from './voice-asker.ts';
import type { VoiceCommandsOptions } from './voice-command-options.ts';

export function createVoicePlayback(options: VoiceCommandsOptions): VoicePlayback {
  const { controls, settings } = options;
  return {
    playInVoice(request) {
      const member = options.member(request.guildId, request.userId);
      if (member === undefined) {
        throw new UserError({ code: 'not-in-voice', message: 'Join a voice channel first, then press ▶ again.' });
      }
      const played = orUserError(
        controls.play({
          target: voiceTargetOf(member),
          settings: settings.get(request.guildId),
          clip: voiceClipFor(request.clip, { id: member.id, name: member.displayName }),
        }),
      );
      return Promise.resolve(playedLine(played));
    },
  };
}
