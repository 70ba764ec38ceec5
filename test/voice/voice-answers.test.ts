import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { clock, formatNowPlaying, nowPlayingView, type NowPlayingView } from '../../src/voice/now-playing.ts';
import { checkVoiceTarget, type VoiceTarget } from '../../src/voice/voice-target.ts';

const TARGET: VoiceTarget = {
  guildId: 'g',
  asker: { id: 'u', name: 'ada' },
  channelId: 'v',
  channelName: 'Lounge',
  botCanConnect: true,
  botCanSpeak: true,
  channelFull: false,
  adapterCreator: () => ({ sendPayload: () => false, destroy: () => undefined }),
};
const ON = { voiceEnabled: true };

function codeOf(target: VoiceTarget, voiceEnabled = true): string {
  const result = checkVoiceTarget(target, { voiceEnabled });
  return result.ok ? 'ok' : result.error.code;
}

describe('voice answers', () => {
  test('GIVEN what stands in the way THEN one clear code each, in the order a user fixes them', () => {
    assert.equal(codeOf(TARGET), 'ok');
    assert.equal(codeOf(TARGET, false), 'voice-off');
    assert.equal(codeOf({ ...TARGET, channelId: null, channelName: null }), 'not-in-voice');
    assert.equal(codeOf({ ...TARGET, botCanConnect: false, botCanSpeak: false }), 'missing-connect');
    assert.equal(codeOf({ ...TARGET, botCanSpeak: false }), 'missing-speak');
    assert.equal(codeOf({ ...TARGET, channelFull: true }), 'channel-full');
    const denied = checkVoiceTarget({ ...TARGET, botCanSpeak: false }, ON);
    assert.equal(
      denied.ok ? '' : denied.error.message,
      'I am not allowed to speak in Lounge: give me the Speak permission there.',
    );
  });

  test('GIVEN a clip, a queue and the radio THEN the now-playing text says what plays, where it is and what is next', () => {
    assert.equal(formatNowPlaying(nowPlayingView(undefined)), 'Not in a voice channel.');
    const clip: NowPlayingView = {
      status: 'playing',
      link: 'ready',
      current: {
        kind: 'clip',
        title: 'Blue *Harbour*',
        style: 'jazz',
        requestedBy: '@everyone',
        positionMs: 12_400,
        durationMs: 30_000,
      },
      upNext: [{ title: 'Night Bus', durationMs: 61_000, requestedBy: 'bo' }],
    };
    assert.equal(
      formatNowPlaying(clip),
      '▶ **Blue \\*Harbour\\*** (jazz) 0:12 / 0:30 · asked by \\@everyone\nUp next:\n1. Night Bus (1:01) · bo',
    );
    const radio: NowPlayingView = {
      status: 'playing',
      link: 'reconnecting',
      current: {
        kind: 'radio',
        label: 'lofi',
        startedBy: 'ada',
        segment: { index: 2, title: 'Rainy Window', up: 2, down: 1 },
        state: 'on-air',
      },
      upNext: [],
    };
    assert.equal(
      formatNowPlaying(radio),
      '📻 Radio **lofi** · started by ada\nSegment 3: **Rainy Window** · 👍 2 👎 1\n(reconnecting to voice…)',
    );
    assert.equal(formatNowPlaying({ status: 'idle', link: 'ready', current: null, upNext: [] }), 'Nothing is playing.');
    assert.deepEqual([clock(0), clock(59_999), clock(61_000), clock(3_600_000)], ['0:00', '0:59', '1:01', '60:00']);
  });
});
