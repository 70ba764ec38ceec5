/**
 * Voice in the running bot: the whole bot (real inference service, real discord.js client) against the fake
 * Discord with its fake voice server, wired as src/main.ts wires it. ▶ on a clip message, /play, /skip, /stop,
 * /leave, /nowplaying and /radio with its 👍 / 👎, and the answers when voice cannot go ahead.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import type { FeedbackEvent } from '../../src/bot/collaborators.ts';
import type { RadioStation } from '../../src/voice/radio.ts';
import { MessageFlag } from '../fake-discord/objects.ts';
import type { FakeMessage } from '../fake-discord/records.ts';
import {
  createTestCertificate,
  trustTestCertificate,
  type TestCertificate,
} from '../fake-discord/voice-certificate.ts';
import { FakeVoiceServer, type ReceivedOpusPacket } from '../fake-discord/voice-server.ts';
import { createVoiceStateHandler, moveMemberToVoice } from '../fake-discord/voice-state-handler.ts';
import { handOverGaps, isSilence, opusPacketsOf, timingOf, until } from '../voice/voice-harness.ts';
import {
  ADA,
  APP_ID,
  BOB,
  GUILD,
  GUILD_ID,
  LOUNGE,
  attachment,
  clipIdOf,
  customIds,
  option,
  originalEdits,
  startHarness,
  type Harness,
} from './bot-harness.ts';

const DEFERRED = 5;
const REPLY = 4;
const SEGMENT_SECONDS = 4;
/** Interaction tokens of the radio test expire this soon (Discord's last 15 minutes; the radio plays for hours). */
const RADIO_TOKEN_LIFETIME_MS = 6000;
const FRAME_MS = 20;
/**
 * "No gap" is proven by the stream (the segments' own packets, back to back, on one continuous RTP timeline); the
 * wall clock only catches a real stall (a segment not ready in time). Gaps are printed; bench/voice measures them.
 */
const STALL_MS = 250;

function member(id: string): { id: string; username: string } {
  const found = GUILD.members.find((m) => m.id === id);
  assert.ok(found, `member ${id}`);
  return { id: found.id, username: found.username };
}

function music(packets: readonly ReceivedOpusPacket[]): ReceivedOpusPacket[] {
  return packets.filter((packet) => !isSilence(packet.opus));
}

describe('voice in the running bot, through the fake Discord and its voice server', () => {
  let h: Harness;
  let certificate: TestCertificate;
  let untrust: () => void;
  let voice: FakeVoiceServer;
  let clipMessage: FakeMessage;
  let clipId: string;
  let clipPackets: Buffer[];
  const feedback: FeedbackEvent[] = [];

  before(async () => {
    certificate = await createTestCertificate();
    untrust = trustTestCertificate(certificate.caPem);
    voice = await FakeVoiceServer.start({ certificate, heartbeatIntervalMs: 1000 });
    const forward: { to?: (event: FeedbackEvent) => void | Promise<void> } = {};
    h = await startHarness({
      steps: 4,
      fake: {
        gatewayHandlers: { 4: createVoiceStateHandler({ voice, bot: { id: APP_ID, username: 'Motif', bot: true } }) },
      },
      bot: {
        // The radio test lets the fake's tokens expire after this: the now-playing message must go on regardless.
        interactionTokenLifetimeMs: RADIO_TOKEN_LIFETIME_MS,
        feedback: {
          onFeedback: (event) => {
            feedback.push(event);
            return forward.to?.(event);
          },
        },
      },
      voice: { players: { idleTimeoutMs: 60_000 }, radioSegmentSeconds: SEGMENT_SECONDS, radioLeadMs: 2000 },
    });
    // The clips table still hears every press, as in src/main.ts.
    const archive = h.archive;
    forward.to = (event) => archive.feedback.onFeedback(event);
    const answered = await h.command('compose', [option('style', 'jazz'), option('length', 4), option('seed', 7)], ADA);
    clipMessage = await h.finished(answered.id);
    clipId = clipIdOf(clipMessage);
    clipPackets = opusPacketsOf(attachment(clipMessage, 'ogg'));
  });

  after(async () => {
    await h.close();
    await voice.close();
    untrust();
    await certificate.remove();
  });

  const ephemeral = (interactionId: string): string => {
    const record = h.fake.interactions.get(interactionId);
    const callback = record?.callback;
    assert.ok(callback, 'answered');
    if (callback.type === DEFERRED) {
      assert.equal(Number(callback.data?.flags ?? 0) & MessageFlag.ephemeral, MessageFlag.ephemeral, 'ephemeral');
      return h.fake.originalOf(interactionId)?.content ?? '';
    }
    assert.equal(callback.type, REPLY);
    assert.equal(Number(callback.data?.flags ?? 0) & MessageFlag.ephemeral, MessageFlag.ephemeral, 'ephemeral');
    return String(callback.data?.content);
  };

  const publicReply = (interactionId: string): string => {
    const callback = h.fake.interactions.get(interactionId)?.callback;
    assert.equal(callback?.type, REPLY);
    assert.equal(Number(callback.data?.flags ?? 0) & MessageFlag.ephemeral, 0, 'public');
    return String(callback.data?.content);
  };

  /** Waits for the deferred answer's edit (the ▶ handler defers, then edits). */
  const editedAnswer = (interactionId: string): Promise<string> =>
    h.fake.waitFor(() => {
      const message = h.fake.originalOf(interactionId);
      return message !== null && message.edits > 0 ? message.content : null;
    }, 10_000);

  const joinVoice = async (userId: string, channelId: string | null): Promise<void> => {
    moveMemberToVoice(h.fake, GUILD_ID, member(userId), channelId);
    await until(
      () => h.bot.client.guilds.cache.get(GUILD_ID)?.voiceStates.cache.get(userId)?.channelId === channelId,
      3000,
      'the voice state',
    );
  };

  const playerStatus = (): string => h.players?.get(GUILD_ID)?.state.status ?? 'none';

  test('GIVEN bob has no clips WHEN he uses /play THEN he is told to compose one first', async () => {
    const answered = await h.command('play', [], BOB);
    assert.match(ephemeral(answered.id), /You have no clips to play yet: make one with \/compose/);
    assert.equal(playerStatus(), 'none');
  });

  test('GIVEN ada not in a voice channel WHEN she presses ▶ THEN an ephemeral answer says to join one, and nothing joins', async () => {
    const pressed = await h.press(clipMessage.id, `play:${clipId}`, ADA);
    assert.equal(pressed.type, DEFERRED);
    assert.match(await editedAnswer(pressed.id), /Join a voice channel first/);
    ephemeral(pressed.id);
    assert.equal(playerStatus(), 'none');
    assert.equal(voice.sessions.size, 0);
  });

  test('GIVEN voice turned off in /settings WHEN ada presses ▶ or uses /play THEN both answer ephemerally that voice is off', async () => {
    await joinVoice(ADA, LOUNGE);
    const off = await h.command('settings', [{ name: 'voice', type: 1, options: [option('enabled', false)] }], ADA);
    assert.match(ephemeral(off.id), /Voice playback: off/);
    const pressed = await h.press(clipMessage.id, `play:${clipId}`, ADA);
    assert.match(ephemeral(pressed.id), /Voice playback is turned off in this server/);
    const play = await h.command('play', [], ADA);
    assert.match(ephemeral(play.id), /Voice playback is turned off in this server/);
    assert.equal(playerStatus(), 'none');
    const on = await h.command('settings', [{ name: 'voice', type: 1, options: [option('enabled', true)] }], ADA);
    assert.match(ephemeral(on.id), /Voice playback: on/);
  });

  test('GIVEN ada in the Lounge WHEN she presses ▶ on the clip message THEN the voice server receives exactly its Opus packets', async () => {
    voice.clearPackets(GUILD_ID);
    const pressedAt = performance.now();
    const pressed = await h.press(clipMessage.id, `play:${clipId}`, ADA);
    assert.match(await editedAnswer(pressed.id), /^▶ Playing \*\*.+\*\* in Lounge\.$/);
    ephemeral(pressed.id);
    await until(() => music(voice.packets(GUILD_ID)).length > 0, 10_000, 'the first packet');
    const firstMs = (music(voice.packets(GUILD_ID))[0]?.at ?? 0) - pressedAt;
    await until(() => playerStatus() === 'idle', 15_000, 'the clip to end');

    const received = music(voice.packets(GUILD_ID));
    assert.equal(received.length, clipPackets.length, 'packet count');
    for (const [index, packet] of received.entries()) {
      assert.ok(packet.opus.equals(clipPackets[index] ?? Buffer.alloc(0)), `packet ${index}`);
    }
    const timing = timingOf(received.map((p) => p.at));
    console.log(
      `▶: ${received.length} of ${clipPackets.length} Opus packets received, in order; largest gap ` +
        `${timing.largestGapMs} ms, p99 ${timing.p99GapMs} ms, mean ${timing.meanGapMs} ms; ▶ → first packet ${firstMs.toFixed(0)} ms`,
    );
    assert.ok(timing.meanGapMs > 18 && timing.meanGapMs < 25, `a 20 ms pace (mean gap ${timing.meanGapMs} ms)`);
    assertOneTimeline(received);
    await until(() => feedback.some((e) => e.kind === 'play' && e.clipId === clipId), 2000, 'the play event');
  });

  test('GIVEN a clip playing WHEN bob uses /skip THEN it stops and his skip of that clip is reported', async () => {
    const played = await h.command('play', [], ADA);
    assert.match(publicReply(played.id), /^▶ Playing \*\*.+\*\* in Lounge\.$/);
    voice.clearPackets(GUILD_ID);
    await until(() => music(voice.packets(GUILD_ID)).length > 10, 10_000, 'the clip to play');
    const skipped = await h.command('skip', [], BOB);
    assert.match(publicReply(skipped.id), /^⏭ Skipped \*\*.+\*\*\.$/);
    await until(() => playerStatus() === 'idle', 3000, 'idle after /skip');
    const heard = music(voice.packets(GUILD_ID)).length;
    assert.ok(heard < clipPackets.length, `${heard} packets of ${clipPackets.length} before the skip`);
    const skip = await until(() => feedback.find((e) => e.kind === 'skip'), 2000, 'the skip event');
    assert.equal(skip.userId, BOB);
    assert.equal(skip.clipId, clipId);
    assert.equal(skip.clip?.userId, ADA);

    const again = await h.command('skip', [], BOB);
    assert.match(ephemeral(again.id), /Nothing is playing/);
  });

  test('GIVEN a clip playing and one queued WHEN /stop THEN playback stops and the queue is cleared; /leave leaves', async () => {
    const first = await h.command('play', [option('clip', clipId)], ADA);
    assert.match(publicReply(first.id), /^▶ Playing/);
    const second = await h.command('play', [option('clip', clipId)], ADA);
    assert.match(publicReply(second.id), /^Queued \*\*.+\*\* in Lounge \(number 1 in the queue\)\.$/);
    const stopped = await h.command('stop', [], BOB);
    assert.equal(publicReply(stopped.id), '⏹ Stopped (1 queued clip cleared).');
    await until(() => playerStatus() === 'idle', 3000, 'idle after /stop');
    assert.equal(h.players?.get(GUILD_ID)?.queue.length, 0);

    const left = await h.command('leave', [], BOB);
    assert.equal(publicReply(left.id), `👋 Left <#${LOUNGE}>.`);
    assert.equal(h.players.size, 0, 'no player left behind');
    await until(() => voice.botChannels.get(GUILD_ID) === null, 3000, 'the bot to tell the gateway it left');
    const notThere = await h.command('stop', [], BOB);
    assert.match(ephemeral(notThere.id), /I am not in a voice channel here/);
  });

  test('GIVEN /play autocomplete THEN it lists the asker’s recent clips', async () => {
    const answered = await h.fake.dispatchInteraction({
      kind: 'autocomplete',
      name: 'play',
      userId: ADA,
      options: [{ name: 'clip', type: 3, value: '', focused: true }],
    });
    const choices = (answered.callback.data?.choices ?? []) as { name: string; value: string }[];
    assert.deepEqual(
      choices.map((c) => c.value),
      [clipId],
    );
    assert.match(choices[0]?.name ?? '', /\(jazz, 0:0\d\)$/);
  });

  test('GIVEN the clip’s job pruned from the queue THEN /play still lists it, from the clips table', async () => {
    const db = new Database(h.databasePath);
    try {
      assert.equal(db.prepare('DELETE FROM jobs WHERE id = ?').run(clipId).changes, 1);
    } finally {
      db.close();
    }
    assert.equal(h.service.status(clipId), undefined, 'the queue no longer knows the job');
    const answered = await h.fake.dispatchInteraction({
      kind: 'autocomplete',
      name: 'play',
      userId: ADA,
      options: [{ name: 'clip', type: 3, value: 'jazz', focused: true }],
    });
    assert.deepEqual(
      ((answered.callback.data?.choices ?? []) as { value: string }[]).map((c) => c.value),
      [clipId],
    );
  });

  test('GIVEN a clip playing WHEN /nowplaying THEN its message follows the player, at most once a second, and stops when idle', async () => {
    const played = await h.command('play', [], ADA);
    assert.match(publicReply(played.id), /^▶ Playing/);
    await until(() => playerStatus() === 'playing', 5000, 'playing');
    const asked = await h.command('nowplaying', [], BOB);
    assert.match(publicReply(asked.id), /^▶ \*\*.+\*\* \(jazz\) 0:0\d \/ 0:0\d · asked by ada/);
    await until(() => playerStatus() === 'idle', 15_000, 'the clip to end');
    const edits = await h.fake.waitFor(() => {
      const found = originalEdits(h.fake, asked.id);
      return found.at(-1)?.content === 'Nothing is playing.' ? found : null;
    }, 5000);
    assert.ok(edits.length >= 2, `${edits.length} edits`);
    for (let i = 1; i < edits.length; i++) {
      const gap = (edits[i]?.at ?? 0) - (edits[i - 1]?.at ?? 0);
      assert.ok(gap >= 900, `edits ${i - 1} and ${i} ${gap} ms apart`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(originalEdits(h.fake, asked.id).length, edits.length, 'no edit once idle');
  });

  test('GIVEN /radio style:lofi THEN three segments play back to back and 👍 records a like of the segment on air; its end reports the listening', async (t) => {
    voice.clearPackets(GUILD_ID);
    h.fake.setInteractionTokenLifetime(RADIO_TOKEN_LIFETIME_MS);
    t.after(() => {
      h.fake.setInteractionTokenLifetime(15 * 60_000);
    });
    const asked = performance.now();
    const started = await h.command('radio', [option('style', 'lofi')], ADA);
    assert.match(publicReply(started.id), /^📻 Radio \*\*lofi\*\* · started by ada\nComposing the first segment/);
    const message = h.fake.originalOf(started.id);
    assert.ok(message);
    assert.deepEqual(customIds(message), ['radio:up', 'radio:down']);
    const radio = await until(
      () => {
        const state = h.players?.get(GUILD_ID)?.state;
        return state?.status === 'playing' && state.item.kind === 'radio' ? state.item.radio : null;
      },
      5000,
      'the radio',
    );
    await until(() => radio.current?.index === 0 && music(voice.packets(GUILD_ID)).length > 5, 30_000, 'segment 1');
    const firstMs = (music(voice.packets(GUILD_ID))[0]?.at ?? 0) - asked;

    const liked = await h.press(message.id, 'radio:up', BOB);
    assert.match(ephemeral(liked.id), /^👍 Noted: the radio will keep to the line of \*\*.+\*\*\.$/);
    const like = await until(() => feedback.find((e) => e.kind === 'like'), 2000, 'the like');
    assert.equal(like.userId, BOB);
    assert.equal(like.clipId, radio.segments[0]?.jobId);
    assert.equal(like.clip?.meta.request.style, 'lofi');

    await until(() => (radio.current?.index ?? 0) >= 2, 40_000, 'segment 3 on air');
    await until(
      () => /Segment 3: /.test(h.fake.originalOf(started.id)?.content ?? ''),
      3000,
      'the message to show segment 3',
    );
    // Segment 3 began after the /radio interaction's token had expired: the message went on as a channel message.
    const byChannel = h.fake.requests.filter(
      (r) => r.method === 'PATCH' && new RegExp(`^/channels/\\d+/messages/${message.id}$`).test(r.path),
    );
    assert.ok(byChannel.length > 0, 'edits through Edit Message');
    assert.deepEqual(
      h.fake.requests.filter((r) => r.status === 401).map((r) => `${r.method} ${r.path}`),
      [],
      'no edit with an expired token',
    );
    await assertBackToBack(radio, asked, firstMs);
    // Each segment was rendered seamless (no fade-out: no dip at the hand-overs; see radio-seam.test.ts).
    for (const segment of radio.segments.slice(0, 3)) {
      const request = h.service.status(segment.jobId)?.job.request as { seamless?: unknown } | undefined;
      assert.equal(request?.seamless, true, `segment ${segment.index} rendered seamless`);
    }

    const stopped = await h.command('stop', [], ADA);
    assert.equal(publicReply(stopped.id), '⏹ Stopped.');
    await until(() => radio.state.status === 'stopped', 3000, 'the radio to stop');
    const listened = await until(
      () => {
        const found = feedback.filter((e) => e.kind === 'radio-listen');
        return found.length >= 3 ? found : null;
      },
      3000,
      'radio-listen events',
    );
    for (const [index, event] of listened.entries()) {
      assert.equal(event.userId, ADA);
      assert.equal(event.clipId, radio.segments[index]?.jobId);
      assert.ok((event.value ?? 0) > 0 && (event.value ?? 0) <= SEGMENT_SECONDS + 0.1, `${event.value} s`);
    }
    assert.equal(listened[0]?.value, SEGMENT_SECONDS, 'the first segment heard whole');
    const ended = await h.fake.waitFor(() => {
      const found = h.fake.originalOf(started.id);
      return found !== null && /is over/.test(found.content) ? found : null;
    }, 5000);
    assert.match(ended.content, /^📻 Radio \*\*lofi\*\* is over \(\d+ segments\)\.$/);
    assert.deepEqual(customIds(ended), [], 'no buttons once over');
    const late = await h.press(message.id, 'radio:down', BOB);
    assert.match(ephemeral(late.id), /The radio is not playing here/);
  });

  /** The first three segments' own packets, concatenated, are what the voice server decrypted, without a gap. */
  async function assertBackToBack(radio: RadioStation, asked: number, firstMs: number): Promise<void> {
    const segments = radio.segments.slice(0, 3);
    const expected = await Promise.all(segments.map(async (s) => opusPacketsOf(await readFile(s.oggPath))));
    await until(() => music(voice.packets(GUILD_ID)).length >= expected.flat().length, 20_000, 'three segments heard');
    const heard = music(voice.packets(GUILD_ID)).slice(0, expected.flat().length);
    const wanted = expected.flat();
    for (const [index, packet] of heard.entries()) {
      assert.ok(packet.opus.equals(wanted[index] ?? Buffer.alloc(0)), `packet ${index} of the first three segments`);
    }
    const boundaries = handOverGaps(
      expected.map((packets) => packets.length),
      heard.map((p) => p.at),
    );
    const timing = timingOf(heard.map((p) => p.at));
    console.log(
      `/radio: ${segments.length} segments of ${expected.map((p) => p.length).join(' + ')} Opus packets back to back; ` +
        `gaps at the hand-overs ${boundaries.map((g) => g.toFixed(1)).join(', ')} ms; largest gap ${timing.largestGapMs} ms, ` +
        `p99 ${timing.p99GapMs} ms, mean ${timing.meanGapMs} ms; /radio → first packet ${firstMs.toFixed(0)} ms ` +
        `(${(performance.now() - asked).toFixed(0)} ms on air so far)`,
    );
    assertOneTimeline(heard);
    for (const gap of boundaries) assert.ok(gap <= FRAME_MS + STALL_MS, `a ${gap} ms stall between segments`);
    assert.ok(timing.meanGapMs > 18 && timing.meanGapMs < 25, `a 20 ms pace (mean gap ${timing.meanGapMs} ms)`);
  }

  /** Every packet 960 samples (20 ms) after the one before on the RTP timeline: no frame missing or inserted. */
  function assertOneTimeline(packets: readonly ReceivedOpusPacket[]): void {
    for (let i = 1; i < packets.length; i++) {
      assert.equal(
        packets[i]?.timestamp,
        ((packets[i - 1]?.timestamp ?? 0) + 960) % 2 ** 32,
        `packet ${i} on one continuous RTP timeline`,
      );
    }
  }
});
