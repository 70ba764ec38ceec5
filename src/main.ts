/**
 * `npm start`: Motif's composition root. Reads the configuration once (.env, then the environment), builds every
 * part (database, job queue, model session, render pool, inference service, voice players, bot), wires them, warms
 * up, and runs until SIGINT or SIGTERM, when every player leaves its voice channel, it stops taking requests, lets
 * jobs in flight finish and reply, and exits.
 *
 * It refuses to start, with one line saying what to fix and exit code 2, when a setting is missing or wrong or
 * the model, the soundfont or the database cannot be opened.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { createRenderPool, type RenderPool } from './audio/render-pool.ts';
import { enableCompileCache, flushCompileCache } from './compile-cache.ts';
import { SoundfontError } from './audio/soundfont.ts';
import { createBot, type Bot } from './bot/bot.ts';
import { createGuildSettingsStore } from './bot/guild-settings.ts';
import { createClipArchive } from './commands/clip-archive.ts';
import { loadConfig, requireDiscord } from './config.ts';
import { createClipStore } from './db/clip-store.ts';
import { openDatabase } from './db/database.ts';
import { createInferenceService } from './inference/inference-service.ts';
import { createJobQueue } from './inference/job-queue.ts';
import { isRadioSegment } from './inference/job-request.ts';
import { ModelLoadError, createModelSession, type ModelSession } from './inference/model-session.ts';
import { providerUnavailableReason } from './inference/provider-preflight.ts';
import { createTasteReader } from './taste/taste-reader.ts';
import { PlayerRegistry } from './voice/player-registry.ts';
import { createVoiceControls } from './voice/voice-controls.ts';

/** A setting or file the person running Motif must fix: printed as one line, exit code 2. */
class StartupError extends Error {
  override readonly name = 'StartupError';
}

const QUEUE_LIMITS = { maxQueued: 200, perUser: 3, perGuild: 30, maxAttempts: 3 } as const;
const BATCH_SIZE = 8;
const STOP_GRACE_MS = 30_000;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  // Before the workers start, so that they find their modules compiled (after .env: it may set NODE_COMPILE_CACHE).
  enableCompileCache();
  const loaded = loadConfig(process.env, availableParallelism());
  if (!loaded.ok) throw new StartupError(loaded.error.message);
  const config = loaded.value;
  const discord = requireDiscord(config.discord);
  if (!discord.ok) throw new StartupError(discord.error.message);

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`while stopping: ${describe(error)}`);
      }
    }
  };

  let bot: Bot | undefined;
  try {
    let db: ReturnType<typeof openDatabase>;
    try {
      db = openDatabase({ path: config.databasePath });
    } catch (error) {
      throw new StartupError(
        `cannot open the database ${config.databasePath}: ${describe(error)} (set MOTIF_DATABASE or MOTIF_DATA_DIR)`,
      );
    }
    cleanups.push(() => {
      db.close();
    });
    const [opened, pool] = await Promise.allSettled([
      createModelSession(config.modelPath, {
        device: config.device,
        intraOpNumThreads: config.threads,
        preflight: (provider) => providerUnavailableReason(provider, process.env['LD_LIBRARY_PATH']),
        log,
      }),
      createRenderPool({ soundfontPath: config.soundfontPath, workers: config.renderWorkers }),
    ]);
    if (opened.status === 'fulfilled') cleanups.push(() => opened.value.dispose());
    if (pool.status === 'fulfilled') cleanups.push(() => pool.value.close());
    if (opened.status === 'rejected') throw modelError(opened.reason, config.modelPath);
    if (pool.status === 'rejected') throw soundfontError(pool.reason);
    const session: ModelSession = opened.value;
    const renderPool: RenderPool = pool.value;

    const queue = createJobQueue(db, { ...QUEUE_LIMITS, concurrency: BATCH_SIZE, outsideUserCap: isRadioSegment });
    const clipsDir = join(config.dataDir, 'clips');
    const service = createInferenceService({
      queue,
      session,
      renderPool,
      dataDir: clipsDir,
      batchSize: BATCH_SIZE,
      log,
    });
    service.on('error', (error) => {
      log(`inference service: ${error.message}`);
    });
    await service.warmUp();

    // The clips table: every finished clip, every press, "for me", and the retention of clip files.
    const store = createClipStore(db, { dataDir: clipsDir, retention: config.retention });
    const taste = createTasteReader(db);
    const archive = createClipArchive({ service, store, taste, log });
    cleanups.push(() => {
      archive.stop();
    });
    await archive.start();

    // Voice: one player per guild, made when first needed; the radio composes with the same service.
    const players = new PlayerRegistry({ log });
    const voiceControls = createVoiceControls({ registry: players, service, log });

    bot = createBot({
      token: discord.value.token,
      applicationId: discord.value.applicationId,
      apiUrl: discord.value.apiUrl,
      service,
      settings: createGuildSettingsStore(db),
      clips: archive.clips,
      feedback: archive.feedback,
      onClipPosted: archive.onClipPosted,
      defaultStyle: archive.defaultStyle,
      userData: { store, taste },
      voiceControls,
      log,
    });
    const running = bot;
    cleanups.push(() => running.stop({ drain: () => service.stop({ graceMs: STOP_GRACE_MS }) }));
    // First to run on the way out (cleanups run in reverse): every player leaves while the gateway is still up.
    cleanups.push(() => {
      players.destroyAll();
    });
    try {
      await running.start(AbortSignal.timeout(60_000));
    } catch (error) {
      throw new StartupError(
        `cannot log in to Discord: ${describe(error)} (check DISCORD_TOKEN${discord.value.apiUrl === undefined ? '' : ' and DISCORD_API_URL'})`,
      );
    }
    const recovered = service.start();
    // What the main thread has compiled, on disk now: a bot is stopped with a signal more often than it exits.
    flushCompileCache();
    log(`motif is ready${recovered > 0 ? `; ${recovered} unfinished job(s) from the last run queued again` : ''}`);
  } catch (error) {
    await cleanUp();
    throw error;
  }

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log(`${signal}: stopping (jobs in flight get up to ${STOP_GRACE_MS / 1000} s to finish)`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await cleanUp();
  log('motif stopped');
}

function modelError(error: unknown, modelPath: string): unknown {
  if (error instanceof ModelLoadError) {
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    return new StartupError(
      `cannot load the model ${modelPath}: ${firstLine(reason)} (set MOTIF_MODEL, or run npm run train)`,
    );
  }
  return error;
}

function soundfontError(error: unknown): unknown {
  return error instanceof SoundfontError
    ? new StartupError(`${firstLine(error.message)} (set MOTIF_SOUNDFONT)`)
    : error;
}

function describe(error: unknown): string {
  return firstLine(error instanceof Error ? error.message : String(error));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

try {
  await main();
} catch (error) {
  if (error instanceof StartupError) {
    process.stderr.write(`motif: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(
      `motif: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
