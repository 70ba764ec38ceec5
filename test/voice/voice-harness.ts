/**
 * What the voice end-to-end tests share: a fake Discord whose op 4 handler answers with the fake voice server (wss
 * on loopback with a certificate made now, trusted through tls.setDefaultCACertificates), a real discord.js Client
 * logged in to it, and clips rendered once with the real pipeline.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client, GatewayIntentBits, type Guild } from 'discord.js';

import { createRenderPool } from '../../src/audio/render-pool.ts';
import { readOggPages } from '../../src/audio/read-ogg-pages.ts';
import { createFakeDiscord, type FakeDiscord } from '../fake-discord/fake-discord.ts';
import type { FakeGuildOptions, FakeMemberOptions, FakeUserOptions } from '../fake-discord/objects.ts';
import {
  createTestCertificate,
  trustTestCertificate,
  type TestCertificate,
} from '../fake-discord/voice-certificate.ts';
import { FakeVoiceServer } from '../fake-discord/voice-server.ts';
import { createVoiceStateHandler } from '../fake-discord/voice-state-handler.ts';
import { demoScore } from '../fixtures/demo-score.ts';

export const TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.voice.token';
export const APP = '100000000000000001';
export const BOT: FakeUserOptions = { id: APP, username: 'Motif', bot: true };
export const ADA: FakeMemberOptions = { id: '400000000000000001', username: 'ada' };
export const BO: FakeMemberOptions = { id: '400000000000000002', username: 'bo' };

export interface TestGuild extends FakeGuildOptions {
  readonly textId: string;
  readonly voiceId: string;
  /** A second voice channel. */
  readonly stageId: string;
}

export function testGuild(n: number): TestGuild {
  const id = `20000000000000000${n}`;
  const textId = `30000000000000${n}001`;
  const voiceId = `30000000000000${n}002`;
  const stageId = `30000000000000${n}003`;
  return {
    id,
    name: `Jam Room ${n}`,
    textId,
    voiceId,
    stageId,
    channels: [
      { id: textId, name: 'general' },
      { id: voiceId, name: 'Lounge', type: 2 },
      { id: stageId, name: 'Stage', type: 2 },
    ],
    members: [ADA, BO],
  };
}

export interface VoiceHarness extends AsyncDisposable {
  readonly fake: FakeDiscord;
  readonly voice: FakeVoiceServer;
  readonly client: Client<true>;
  guild(id: string): Guild;
  close(): Promise<void>;
}

export async function startVoiceHarness(guilds: readonly TestGuild[]): Promise<VoiceHarness> {
  const certificate: TestCertificate = await createTestCertificate();
  const untrust = trustTestCertificate(certificate.caPem);
  const voice = await FakeVoiceServer.start({ certificate, heartbeatIntervalMs: 1000 });
  const fake = await createFakeDiscord({
    token: TOKEN,
    applicationId: APP,
    guilds: [...guilds],
    heartbeatIntervalMs: 45_000,
    gatewayHandlers: { 4: createVoiceStateHandler({ voice, bot: BOT }) },
  });
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates],
    rest: { api: fake.restUrl },
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await client.destroy();
    await fake.close();
    await voice.close();
    untrust();
    await certificate.remove();
  };
  const ready = new Promise<void>((resolve, reject) => {
    client.once('clientReady', () => {
      resolve();
    });
    setTimeout(() => {
      reject(new Error('discord.js did not become ready on the fake Discord within 10 s'));
    }, 10_000).unref();
  });
  try {
    await client.login(TOKEN);
    await ready;
  } catch (error) {
    await close();
    throw error;
  }
  if (!client.isReady()) throw new Error('the client did not become ready');
  const readyClient = client;
  return {
    fake,
    voice,
    client: readyClient,
    guild: (id) => {
      const guild = readyClient.guilds.cache.get(id);
      if (guild === undefined) throw new Error(`the client has no guild ${id}`);
      return guild;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

export interface RenderedTestClip {
  readonly path: string;
  readonly title: string;
  readonly durationSeconds: number;
  /** The clip's Opus packets in order (OpusHead and OpusTags left out). */
  readonly packets: readonly Buffer[];
}

export interface TestClips extends AsyncDisposable {
  readonly clips: readonly RenderedTestClip[];
  remove(): Promise<void>;
}

/** Renders demo scores of the given bar counts (120 bpm: 2 s a bar) with the real pipeline into .ogg files. */
export async function renderTestClips(bars: readonly number[]): Promise<TestClips> {
  const dir = await mkdtemp(join(tmpdir(), 'motif-voice-clips-'));
  const pool = await createRenderPool({ workers: 1 });
  try {
    const clips: RenderedTestClip[] = [];
    for (const [index, count] of bars.entries()) {
      const title = `Demo ${index + 1}`;
      const rendered = await pool.renderClip(demoScore({ bars: count, title }));
      const path = join(dir, `clip-${index + 1}.ogg`);
      await writeFile(path, rendered.ogg);
      clips.push({
        path,
        title,
        durationSeconds: rendered.report.durationSeconds,
        packets: opusPacketsOf(rendered.ogg),
      });
    }
    const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
    return { clips, remove, [Symbol.asyncDispose]: remove };
  } finally {
    await pool.close();
  }
}

export function opusPacketsOf(ogg: Uint8Array): Buffer[] {
  const pages = readOggPages(ogg);
  if (!pages.ok) throw new Error(pages.error.message);
  return pages.value.flatMap((page) => page.packets.map((packet) => Buffer.from(packet))).slice(2);
}

/** The silence frame @discordjs/voice sends after a resource ends (and while paused). */
export const SILENCE_FRAME = Buffer.from([0xf8, 0xff, 0xfe]);

export function isSilence(packet: Buffer): boolean {
  return packet.equals(SILENCE_FRAME);
}

export interface PacketTiming {
  readonly count: number;
  /** Largest time between consecutive arrivals, ms. */
  readonly largestGapMs: number;
  /** Mean time between arrivals, ms. */
  readonly meanGapMs: number;
  /** 99th percentile of the times between arrivals, ms. */
  readonly p99GapMs: number;
}

/** The gaps, ms, between the last packet of each segment and the first of the next (`times`: arrival of every packet). */
export function handOverGaps(segmentPackets: readonly number[], times: readonly number[]): number[] {
  const gaps: number[] = [];
  let at = 0;
  for (const count of segmentPackets.slice(0, -1)) {
    at += count;
    gaps.push((times[at] ?? 0) - (times[at - 1] ?? 0));
  }
  return gaps;
}

export function timingOf(times: readonly number[]): PacketTiming {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push((times[i] ?? 0) - (times[i - 1] ?? 0));
  gaps.sort((x, y) => x - y);
  const largest = gaps.at(-1) ?? 0;
  const p99 = gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.99))] ?? 0;
  const span = times.length > 1 ? (times.at(-1) ?? 0) - (times[0] ?? 0) : 0;
  return {
    count: times.length,
    largestGapMs: Math.round(largest * 10) / 10,
    p99GapMs: Math.round(p99 * 10) / 10,
    meanGapMs: times.length > 1 ? Math.round((span / (times.length - 1)) * 100) / 100 : 0,
  };
}

/** Polls `predicate` every 10 ms until it returns a value that is not null, undefined or false. */
export async function until<T>(
  predicate: () => T | null | undefined | false,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value !== null && value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
