/**
 * The whole bot against the fake Discord: a real job queue (SQLite file), model session, render pool and
 * inference service, the real discord.js client logged in to the fake, and the commands deployed to its guild.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadImage } from '@napi-rs/canvas';
import { parseMidi } from 'midi-file';

import { createRenderPool, type RenderPool } from '../../src/audio/render-pool.ts';
import { createBot, type Bot, type BotOptions } from '../../src/bot/bot.ts';
import { deployCommands } from '../../src/bot/deploy-commands.ts';
import { createGuildSettingsStore } from '../../src/bot/guild-settings.ts';
import { createClipArchive, type ClipArchive } from '../../src/commands/clip-archive.ts';
import { createClipStore, type ClipStore } from '../../src/db/clip-store.ts';
import { openDatabase } from '../../src/db/database.ts';
import { parseClipMeta, type ClipMeta } from '../../src/inference/clip-meta.ts';
import type { Grid } from '../../src/inference/grid.ts';
import { createInferenceService, type InferenceService } from '../../src/inference/inference-service.ts';
import { createJobQueue } from '../../src/inference/job-queue.ts';
import { createModelSession, type ModelSession } from '../../src/inference/model-session.ts';
import { createTasteReader, type TasteReader } from '../../src/taste/taste-reader.ts';
import { PlayerRegistry, type PlayerRegistryOptions } from '../../src/voice/player-registry.ts';
import { createVoiceControls } from '../../src/voice/voice-controls.ts';
import { createFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from '../fake-discord/fake-discord.ts';
import type { CommandOptionSpec } from '../fake-discord/interactions.ts';
import type { FakeGuildOptions } from '../fake-discord/objects.ts';
import type { FakeMessage } from '../fake-discord/records.ts';
import { MODEL_FOR_TESTS } from '../fixtures/model-path.ts';

export const TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.fake.bot-token';
export const APP_ID = '100000000000000001';
export const GUILD_ID = '200000000000000001';
export const GENERAL = '300000000000000001';
export const OTHER_CHANNEL = '300000000000000002';
export const LOUNGE = '300000000000000003';
export const ADA = '400000000000000001';
export const BOB = '400000000000000002';
/** A member without Manage Server (only View Channel, Send Messages, Use Application Commands). */
export const CY = '400000000000000003';

export const GUILD: FakeGuildOptions = {
  id: GUILD_ID,
  name: 'Jam Room',
  channels: [
    { id: GENERAL, name: 'general' },
    { id: OTHER_CHANNEL, name: 'random' },
    { id: LOUNGE, name: 'Lounge', type: 2 },
  ],
  members: [
    { id: ADA, username: 'ada' },
    { id: BOB, username: 'bob' },
    { id: CY, username: 'cy', permissions: String((1n << 10n) | (1n << 11n) | (1n << 31n)) },
  ],
};

export interface HarnessOptions {
  readonly fake?: Partial<FakeDiscordOptions>;
  readonly bot?: Partial<Omit<BotOptions, 'token' | 'applicationId' | 'service' | 'settings' | 'log'>>;
  /** Diffusion steps; fewer keep tests short (the loop is the same). */
  readonly steps?: number;
  /** Age from which a job's interaction token counts as expired (0: every job's reply goes to the channel). */
  readonly tokenLifetimeMs?: number;
  /** A fake Discord and a data folder to reuse (a second process of the same bot); neither is closed by close(). */
  readonly reuse?: { readonly fake: FakeDiscord; readonly dir: string };
  /** Whether the inference service starts taking jobs; true by default. */
  readonly startService?: boolean;
  /** Extra time each model run takes (a slow machine), so that jobs wait in the queue and progress is seen. */
  readonly slowModelMs?: number;
  /** Every model run fails with this error (a broken model file). */
  readonly modelFailure?: Error;
  /** Clips per /history page (the store's default is 5). */
  readonly historyPageSize?: number;
  /** Voice as src/main.ts wires it: a player registry and voice controls on the harness's service. */
  readonly voice?: {
    readonly players?: PlayerRegistryOptions;
    readonly radioSegmentSeconds?: number;
    readonly radioLeadMs?: number;
  };
}

export interface Harness {
  readonly fake: FakeDiscord;
  readonly bot: Bot;
  readonly service: InferenceService;
  /** The clips table, the taste reader and their wiring, as src/main.ts builds them. */
  readonly store: ClipStore;
  readonly taste: TasteReader;
  readonly archive: ClipArchive;
  readonly logs: string[];
  readonly dir: string;
  /** The SQLite file (dir/motif.sqlite) and the clips' data directory (dir/clips). */
  readonly databasePath: string;
  readonly dataDir: string;
  /** The guild players, with the `voice` option. */
  readonly players: PlayerRegistry | undefined;
  /** Dispatches /name with options; resolves with the interaction id and the callback type. */
  command(
    name: string,
    options?: CommandOptionSpec[],
    userId?: string,
    channelId?: string,
  ): Promise<{ id: string; type: number; ms: number }>;
  /** Presses a button (or picks select values) on a bot message. */
  press(messageId: string, customId: string, userId?: string, values?: string[]): Promise<{ id: string; type: number }>;
  /** Waits for the interaction's original message to carry the clip's attachments. */
  finished(interactionId: string, timeoutMs?: number): Promise<FakeMessage>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = options.reuse?.dir ?? (await mkdtemp(join(tmpdir(), 'motif-bot-')));
  const logs: string[] = [];
  const fake =
    options.reuse?.fake ??
    (await createFakeDiscord({ token: TOKEN, applicationId: APP_ID, guilds: [GUILD], ...options.fake }));
  const databasePath = join(dir, 'motif.sqlite');
  const dataDir = join(dir, 'clips');
  const db = openDatabase({ path: databasePath });
  const queue = createJobQueue(db, { maxQueued: 50, perUser: 5, perGuild: 50, maxAttempts: 3, concurrency: 4 });
  let session: ModelSession | undefined;
  let renderPool: RenderPool | undefined;
  try {
    session = await createModelSession(MODEL_FOR_TESTS, { device: 'cpu', intraOpNumThreads: 2 });
    renderPool = await createRenderPool({ workers: 1 });
  } catch (error) {
    await session?.dispose();
    await fake.close();
    throw error;
  }
  const model = session;
  const slowMs = options.slowModelMs ?? 0;
  const service = createInferenceService({
    queue,
    session:
      slowMs === 0 && options.modelFailure === undefined
        ? model
        : {
            metadata: model.metadata,
            provider: model.provider,
            run: async (batch) => {
              await new Promise((resolve) => setTimeout(resolve, slowMs));
              if (options.modelFailure !== undefined) throw options.modelFailure;
              return model.run(batch);
            },
          },
    renderPool,
    dataDir,
    batchSize: 4,
    idlePollMs: 50,
    sampling: options.steps === undefined ? undefined : { steps: options.steps },
    log: (line) => logs.push(line),
    ...(options.tokenLifetimeMs === undefined ? {} : { tokenLifetimeMs: options.tokenLifetimeMs }),
  });
  const store = createClipStore(db, { dataDir, historyPageSize: options.historyPageSize });
  const taste = createTasteReader(db);
  const archive = createClipArchive({ service, store, taste, log: (line) => logs.push(line) });
  await archive.start();
  if (options.startService !== false) service.start();
  const settings = createGuildSettingsStore(db);
  const players =
    options.voice === undefined
      ? undefined
      : new PlayerRegistry({ log: (line) => logs.push(line), ...options.voice.players });
  const voiceControls =
    players === undefined
      ? undefined
      : createVoiceControls({
          registry: players,
          service,
          radioSegmentSeconds: options.voice?.radioSegmentSeconds,
          radioLeadMs: options.voice?.radioLeadMs,
          log: (line) => logs.push(line),
        });
  const bot = createBot({
    token: TOKEN,
    applicationId: APP_ID,
    apiUrl: fake.restUrl,
    service,
    settings,
    clips: archive.clips,
    feedback: archive.feedback,
    onClipPosted: archive.onClipPosted,
    defaultStyle: archive.defaultStyle,
    userData: { store, taste },
    ...(voiceControls === undefined ? {} : { voiceControls }),
    log: (line) => logs.push(line),
    ...options.bot,
  });
  await bot.start(AbortSignal.timeout(10_000));
  await deployCommands({
    rest: bot.client.rest,
    applicationId: APP_ID,
    guildId: GUILD_ID,
    commands: bot.commands.map((c) => c.data),
  });

  const openSession = session;
  const openPool = renderPool;
  return {
    fake,
    bot,
    service,
    store,
    taste,
    archive,
    logs,
    dir,
    databasePath,
    dataDir,
    players,
    async command(name, commandOptions = [], userId = ADA, channelId) {
      const started = performance.now();
      const answered = await fake.dispatchInteraction({
        kind: 'command',
        name,
        options: commandOptions,
        userId,
        ...(channelId === undefined ? {} : { channelId }),
      });
      return { id: answered.id, type: answered.callback.type, ms: performance.now() - started };
    },
    async press(messageId, customId, userId = ADA, values) {
      const answered = await fake.dispatchInteraction({
        kind: 'component',
        messageId,
        customId,
        userId,
        ...(values === undefined ? {} : { componentType: 3, values }),
      });
      return { id: answered.id, type: answered.callback.type };
    },
    finished(interactionId, timeoutMs = 60_000) {
      return fake.waitFor(() => {
        const message = fake.originalOf(interactionId);
        return message !== null && message.attachments.length > 0 ? message : null;
      }, timeoutMs);
    },
    async close() {
      players?.destroyAll();
      await bot.stop();
      await service.stop({ graceMs: 5000 });
      archive.stop();
      await openPool.close();
      await openSession.dispose();
      db.close();
      if (options.reuse !== undefined) return;
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A string option for a command spec. */
export function option(name: string, value: string | number | boolean): CommandOptionSpec {
  const type = typeof value === 'string' ? 3 : typeof value === 'boolean' ? 5 : 4;
  return { name, type, value };
}

export function attachment(message: FakeMessage, extension: string): Buffer {
  const found = message.attachments.find((a) => a.filename.endsWith(`.${extension}`));
  if (found === undefined) throw new Error(`no .${extension} attachment on message ${message.id}`);
  return found.bytes;
}

/** Decodes Ogg Opus with opusdec; returns the number of 48 kHz sample frames. */
export async function oggFrames(ogg: Buffer, dir: string): Promise<number> {
  const path = join(dir, `decode-${Date.now()}-${Math.random().toString(36).slice(2)}.ogg`);
  await writeFile(path, ogg);
  const result = spawnSync('opusdec', ['--force-wav', '--quiet', path, `${path}.wav`], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`opusdec failed: ${result.stderr}`);
  return wavFrames(await readFile(`${path}.wav`));
}

function wavFrames(bytes: Buffer): number {
  let offset = 12;
  let channels = 0;
  let bits = 0;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      channels = bytes.readUInt16LE(offset + 10);
      bits = bytes.readUInt16LE(offset + 22);
    }
    if (id === 'data') return Math.floor(Math.min(size, bytes.length - offset - 8) / (channels * (bits / 8)));
    offset += 8 + size + (size % 2);
  }
  throw new Error('no data chunk in the WAV');
}

export function midiTracks(mid: Buffer): number {
  return parseMidi(mid).tracks.length;
}

export async function pngSize(png: Buffer): Promise<{ width: number; height: number }> {
  const image = await loadImage(png);
  return { width: image.width, height: image.height };
}

/** The clip id a finished message carries (its buttons' custom ids). */
export function clipIdOf(message: FakeMessage): string {
  const ids = customIds(message);
  const play = ids.find((id) => id.startsWith('vary:'));
  if (play === undefined) throw new Error(`message ${message.id} has no clip buttons`);
  return play.slice('vary:'.length);
}

export function customIds(message: FakeMessage): string[] {
  const ids: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      if (typeof record.custom_id === 'string') ids.push(record.custom_id);
      if (Array.isArray(record.components)) walk(record.components);
    }
  };
  walk(message.components);
  return ids;
}

/** The finished job's ClipMeta and grid, from the queue. */
export function clipOf(service: InferenceService, clipId: string): { meta: ClipMeta; grid: Grid } {
  const result = service.status(clipId)?.job.result as { meta?: unknown } | undefined;
  const parsed = parseClipMeta(result?.meta);
  if (!parsed.ok) throw new Error(`clip ${clipId}: ${parsed.error.message}`);
  return { meta: parsed.value, grid: parsed.grid };
}

/**
 * The contents of every PATCH to the interaction's original message, in the order the fake received them: through
 * the interaction's webhook, or (once its token has expired) as a channel message.
 */
export function originalEdits(
  fake: FakeDiscord,
  interactionId: string,
): { at: number; content: string; files: number }[] {
  const token = fake.interactions.get(interactionId)?.token;
  if (token === undefined) return [];
  const messageId = fake.originalOf(interactionId)?.id;
  const asChannelMessage = new RegExp(`^/channels/\\d+/messages/${messageId ?? 'none'}$`);
  return fake.requests
    .filter(
      (r) =>
        r.method === 'PATCH' &&
        ((r.path.includes(token) && /messages\/(%40|@)original$/.test(r.path)) || asChannelMessage.test(r.path)),
    )
    .map((r) => {
      const json = (r.json ?? {}) as { content?: unknown };
      return { at: r.at, content: typeof json.content === 'string' ? json.content : '', files: r.files.length };
    });
}
