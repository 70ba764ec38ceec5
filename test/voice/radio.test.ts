import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { createRenderPool, type RenderPool } from '../../src/audio/render-pool.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createInferenceService, type InferenceService } from '../../src/inference/inference-service.ts';
import { createJobQueue } from '../../src/inference/job-queue.ts';
import { createModelSession, type ModelSession } from '../../src/inference/model-session.ts';
import { PlayerRegistry } from '../../src/voice/player-registry.ts';
import type { RadioStation } from '../../src/voice/radio.ts';
import { createVoiceControls, type VoiceControls } from '../../src/voice/voice-controls.ts';
import { voiceTargetOf } from '../../src/voice/voice-target.ts';
import { moveMemberToVoice } from '../fake-discord/voice-state-handler.ts';
import { MODEL_FOR_TESTS } from '../fixtures/model-path.ts';
import {
  ADA,
  BO,
  isSilence,
  opusPacketsOf,
  startVoiceHarness,
  testGuild,
  handOverGaps,
  timingOf,
  until,
  type VoiceHarness,
} from './voice-harness.ts';

const GUILD = testGuild(1);
const SEGMENT_SECONDS = 4;
const FRAME_MS = 20;
/**
 * "No gap" is proven by the stream itself (the packets are the segments' own, back to back, on one continuous RTP
 * timeline, no silence between). Wall-clock gaps are printed; bench/voice measures them. On a loaded shared machine
 * a timer can fire late, so the wall-clock bound here only catches a real stall (a segment that was not ready).
 */
const STALL_MS = 250;

describe('radio through the fake Discord with the real inference service', () => {
  let h: VoiceHarness;
  let model: ModelSession;
  let pool: RenderPool;
  let service: InferenceService;
  let db: ReturnType<typeof openDatabase>;
  let dataDir: string;
  let registry: PlayerRegistry;
  let controls: VoiceControls;

  before(async () => {
    model = await createModelSession(MODEL_FOR_TESTS, { device: 'cpu', intraOpNumThreads: 1 });
    pool = await createRenderPool({ workers: 1 });
    db = openDatabase({ path: ':memory:' });
    dataDir = await mkdtemp(join(tmpdir(), 'motif-radio-'));
    service = createInferenceService({
      queue: createJobQueue(db, { maxQueued: 50, perUser: 10, perGuild: 50, maxAttempts: 3 }),
      session: model,
      renderPool: pool,
      dataDir,
      batchSize: 2,
      sampling: { steps: 4 },
      idlePollMs: 20,
    });
    service.start();
    h = await startVoiceHarness([GUILD]);
    registry = new PlayerRegistry({ idleTimeoutMs: 60_000 });
    controls = createVoiceControls({ registry, service, radioSegmentSeconds: SEGMENT_SECONDS, radioLeadMs: 2000 });
  });

  after(async () => {
    registry.destroyAll();
    await h.close();
    await service.stop({ graceMs: 5000 });
    await pool.close();
    await model.dispose();
    db.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('GIVEN /radio style:lofi THEN at least three segments, each an extension of the one before, play back to back with no gap, 👍/👎 steer, ▶ takes over', async () => {
    moveMemberToVoice(h.fake, GUILD.id, ADA, GUILD.voiceId);
    const member = await until(
      () => {
        const found = h.guild(GUILD.id).members.cache.get(ADA.id);
        return found?.voice.channelId === GUILD.voiceId ? found : null;
      },
      3000,
      'ada in voice',
    );
    const asked = performance.now();
    const started = controls.radio({
      target: voiceTargetOf(member),
      settings: { voiceEnabled: true },
      style: 'lofi',
      textChannelId: GUILD.textId,
    });
    assert.ok(started.ok, started.ok ? '' : started.error.message);
    const radio: RadioStation = started.value;
    assert.match(
      controls.nowPlaying(GUILD.id).text,
      /📻 Radio \*\*lofi\*\* · started by ada\nComposing the first segment/,
    );

    // 👍 from ada on the first segment, 👎 from bo on the second: what comes after returns to the first's line.
    await until(() => radio.current?.index === 0 && h.voice.packets(GUILD.id).length > 5, 20_000, 'segment 1 on air');
    const firstPacketMs = (h.voice.packets(GUILD.id).find((p) => !isSilence(p.opus))?.at ?? 0) - asked;
    const liked = controls.radioVote(GUILD.id, ADA.id, 'up');
    assert.equal(liked.ok ? liked.value.index : null, 0);
    await until(() => radio.current?.index === 1, 10_000, 'segment 2 on air');
    const votedAt = Date.now();
    const disliked = controls.radioVote(GUILD.id, BO.id, 'down');
    assert.equal(disliked.ok ? disliked.value.index : null, 1);
    assert.match(controls.nowPlaying(GUILD.id).text, /Segment 2: .* · 👍 0 👎 1/);

    await until(() => radio.segments.length >= 4 && radio.current?.index === 3, 30_000, 'segment 4 on air');
    // ▶ on a clip during the radio: the radio makes way at once and the clip plays whole.
    const clipPath = radio.segments[0]?.oggPath ?? '';
    const clipPackets = opusPacketsOf(await readFile(clipPath));
    const played = controls.play({
      target: voiceTargetOf(member),
      settings: { voiceEnabled: true },
      clip: {
        id: 'c',
        title: 'Again',
        oggPath: clipPath,
        durationSeconds: 4,
        style: 'lofi',
        requestedBy: { id: ADA.id, name: 'ada' },
      },
    });
    assert.ok(played.ok);
    assert.equal(played.value.position, 1);
    await until(() => registry.get(GUILD.id)?.state.status === 'idle', 10_000, 'idle after the clip');
    assert.equal(radio.state.status, 'stopped');
    const tail = h.voice
      .packets(GUILD.id)
      .filter((p) => !isSilence(p.opus))
      .slice(-clipPackets.length);
    assert.ok(
      tail.every((p, i) => p.opus.equals(clipPackets[i] ?? Buffer.alloc(0))),
      'the clip after the radio',
    );

    // Each segment's own Opus packets, concatenated, are what the voice server decrypted, with no silence between.
    const segments = radio.segments.slice(0, 3);
    const expected = await Promise.all(segments.map(async (s) => opusPacketsOf(await readFile(s.oggPath))));
    const received = h.voice.packets(GUILD.id);
    const first = received.findIndex((p) => !isSilence(p.opus));
    const wanted = expected.flat();
    const heard = received.slice(first, first + wanted.length);
    assert.equal(heard.length, wanted.length);
    for (const [index, packet] of heard.entries()) {
      assert.ok(packet.opus.equals(wanted[index] ?? Buffer.alloc(0)), `packet ${index} of the first three segments`);
    }
    for (let i = 1; i < heard.length; i++) {
      assert.equal(
        heard[i]?.timestamp,
        ((heard[i - 1]?.timestamp ?? 0) + 960) % 2 ** 32,
        'one continuous RTP timeline',
      );
    }

    // The gaps where one segment hands over to the next.
    const boundaries = handOverGaps(
      expected.map((packets) => packets.length),
      heard.map((p) => p.at),
    );
    const timing = timingOf(heard.map((p) => p.at));
    console.log(
      `radio: ${segments.length} segments of ${expected.map((p) => p.length).join(' + ')} Opus packets back to back; ` +
        `gaps at the hand-overs ${boundaries.map((g) => g.toFixed(1)).join(', ')} ms; largest gap anywhere ` +
        `${timing.largestGapMs} ms, p99 ${timing.p99GapMs} ms, mean ${timing.meanGapMs} ms; /radio → first packet ${firstPacketMs.toFixed(0)} ms`,
    );
    for (const gap of boundaries) assert.ok(gap <= FRAME_MS + STALL_MS, `a ${gap} ms stall between segments`);
    assert.ok(timing.meanGapMs > 18 && timing.meanGapMs < 25, `a 20 ms pace (mean gap ${timing.meanGapMs} ms)`);

    // How each segment was made: compose, then extensions of the one before; after the 👎, back to the liked one.
    assert.deepEqual(radio.segments[0]?.origin, { kind: 'compose' });
    assert.deepEqual(radio.segments[1]?.origin, { kind: 'extension', from: 0 });
    const afterVote = radio.segments.find((segment) => segment.submittedAt >= votedAt);
    assert.deepEqual(afterVote?.origin, { kind: 'extension', from: 0 });
    assert.deepEqual(
      radio.segments.map((segment) => segment.meta.kind),
      ['compose', ...radio.segments.slice(1).map(() => 'extension')],
    );
    assert.equal(new Set(radio.segments.map((segment) => segment.meta.request.style)).size, 1, 'one style throughout');
    assert.deepEqual(h.voice.errors, []);
  });
});
