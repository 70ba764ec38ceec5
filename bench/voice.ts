/**
 * `node bench/voice.ts [--plays 5]`: voice playback through the fake Discord (real discord.js, @discordjs/voice and
 * DAVE-capable identify; the fake voice server on loopback decrypts every RTP packet). Prints, per scenario, the
 * Opus packets delivered, the gaps between their arrivals (largest, 99th percentile, mean) and the time from ▶
 * (`controls.play`) to the first packet: joining voice first (cold), already connected (warm), two guilds at once.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { PlayerRegistry } from '../src/voice/player-registry.ts';
import type { VoiceClip } from '../src/voice/voice-clip.ts';
import { createVoiceControls } from '../src/voice/voice-controls.ts';
import { voiceTargetOf, type VoiceTarget } from '../src/voice/voice-target.ts';
import { moveMemberToVoice } from '../test/fake-discord/voice-state-handler.ts';
import {
  ADA,
  isSilence,
  renderTestClips,
  startVoiceHarness,
  testGuild,
  timingOf,
  until,
  type RenderedTestClip,
  type VoiceHarness,
} from '../test/voice/voice-harness.ts';

interface Row {
  scenario: string;
  packets: number;
  expected: number;
  inOrder: boolean;
  firstPacketMs: number;
  largestGapMs: number;
  p99GapMs: number;
  meanGapMs: number;
}

const { values } = parseArgs({ options: { plays: { type: 'string', default: '5' } } });
const plays = Math.max(1, Number(values.plays));
const guilds = [testGuild(1), testGuild(2)];
const clips = await renderTestClips([5, 1]);
const [long, short] = clips.clips;
if (long === undefined || short === undefined) throw new Error('no clips rendered');
const h = await startVoiceHarness(guilds);
const registry = new PlayerRegistry({ idleTimeoutMs: 60_000 });
const controls = createVoiceControls({ registry });
const rows: Row[] = [];

const clipOf = (rendered: RenderedTestClip, id: string): VoiceClip => ({
  id,
  title: rendered.title,
  oggPath: rendered.path,
  durationSeconds: rendered.durationSeconds,
  style: 'pop',
  requestedBy: { id: ADA.id, name: ADA.username },
});

async function targetIn(harness: VoiceHarness, guildId: string, voiceId: string): Promise<VoiceTarget> {
  moveMemberToVoice(harness.fake, guildId, ADA, voiceId);
  const member = await until(
    () => {
      const found = harness.guild(guildId).members.cache.get(ADA.id);
      return found?.voice.channelId === voiceId ? found : null;
    },
    3000,
    'the voice state',
  );
  return voiceTargetOf(member);
}

async function play(
  scenario: string,
  pairs: { guildId: string; target: VoiceTarget; clip: RenderedTestClip }[],
): Promise<void> {
  for (const { guildId } of pairs) h.voice.clearPackets(guildId);
  const asked = performance.now();
  for (const { target, clip } of pairs) {
    const result = controls.play({ target, settings: { voiceEnabled: true }, clip: clipOf(clip, scenario) });
    if (!result.ok) throw new Error(result.error.message);
  }
  for (const { guildId } of pairs) {
    await until(() => registry.get(guildId)?.state.status === 'idle', 60_000, `${scenario} to end`);
  }
  for (const { guildId, clip } of pairs) {
    const music = h.voice.packets(guildId).filter((p) => !isSilence(p.opus));
    const timing = timingOf(music.map((p) => p.at));
    rows.push({
      scenario: pairs.length > 1 ? `${scenario} (guild ${guildId.slice(-1)})` : scenario,
      packets: music.length,
      expected: clip.packets.length,
      inOrder:
        music.length === clip.packets.length &&
        music.every((p, i) => p.opus.equals(clip.packets[i] ?? Buffer.alloc(0))),
      firstPacketMs: (music[0]?.at ?? Number.NaN) - asked,
      largestGapMs: timing.largestGapMs,
      p99GapMs: timing.p99GapMs,
      meanGapMs: timing.meanGapMs,
    });
  }
}

try {
  const [g1, g2] = guilds;
  if (g1 === undefined || g2 === undefined) throw new Error('no guilds');
  const t1 = await targetIn(h, g1.id, g1.voiceId);
  await play('10 s clip, joining voice (cold)', [{ guildId: g1.id, target: t1, clip: long }]);
  for (let n = 1; n <= plays; n++) {
    await play(`2 s clip, connected (warm ${n})`, [{ guildId: g1.id, target: t1, clip: short }]);
  }
  const t2 = await targetIn(h, g2.id, g2.voiceId);
  await play('10 s clip, two guilds at once', [
    { guildId: g1.id, target: t1, clip: long },
    { guildId: g2.id, target: t2, clip: long },
  ]);
  const [l1, l5] = loadavg();
  console.log(`voice bench on ${availableParallelism()} cores (load average ${l1?.toFixed(1)} / ${l5?.toFixed(1)})`);
  console.table(
    rows.map((row) => ({
      scenario: row.scenario,
      packets: `${row.packets}/${row.expected}${row.inOrder ? '' : ' MISMATCH'}`,
      'play → 1st packet ms': row.firstPacketMs.toFixed(1),
      'largest gap ms': row.largestGapMs,
      'p99 gap ms': row.p99GapMs,
      'mean gap ms': row.meanGapMs,
    })),
  );
  const warm = rows
    .filter((row) => row.scenario.includes('warm'))
    .map((row) => row.firstPacketMs)
    .sort((a, b) => a - b);
  console.log(`warm play → first packet: median ${(warm[Math.floor(warm.length / 2)] ?? 0).toFixed(1)} ms`);
  if (h.voice.errors.length > 0) console.log(`voice server errors: ${h.voice.errors.join('; ')}`);
} finally {
  registry.destroyAll();
  await h.close();
  await clips.remove();
}
