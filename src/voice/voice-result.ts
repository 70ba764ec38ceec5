/**
 * The expected failures of voice commands, as results with string-literal codes and a message that says what to
 * change. The command turns an error into `UserError({ code, message })`.
 */

export const VOICE_ERROR_CODES = [
  'not-in-guild',
  'not-in-voice',
  'missing-connect',
  'missing-speak',
  'channel-full',
  'voice-off',
  'queue-full',
  'in-another-channel',
  'not-connected',
  'nothing-playing',
  'no-radio',
  'radio-failed',
  'clip-unreadable',
] as const;

export type VoiceErrorCode = (typeof VOICE_ERROR_CODES)[number];

export interface VoiceError {
  readonly code: VoiceErrorCode;
  readonly message: string;
}

export type VoiceResult<T> = { ok: true; value: T } | { ok: false; error: VoiceError };

export function voiceError<T = never>(code: VoiceErrorCode, message: string): VoiceResult<T> {
  return { ok: false, error: { code, message } };
}

export function voiceOk<T>(value: T): VoiceResult<T> {
  return { ok: true, value };
}
