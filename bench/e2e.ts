/**
 * /compose to posted attachments, end to end: the real discord.js client against the fake Discord on loopback,
 * the real job queue (SQLite file), model session, render pool and inference service, as `npm start` runs them.
 * Each run dispatches `/compose style:S length:30` and stops the clock when the fake receives the edit that
 * carries the .ogg, .mid and .png. Runs are one after another (an empty queue each time).
 *
 *   node bench/e2e.ts [runs=20] [lengthSeconds=30]
 *
 * Prints p50 and p95 of the whole path, and where the time goes (deferral, the service's job, posting).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { createRenderPool } from '../src/audio/render-pool.ts';
import { createBot } from '../src/bot/bot.ts';
import { deployCommands } from '../src/bot/deploy-commands.ts';
import { createGuildSettingsStore } from '../src/bot/guild-settings.ts';
import { openDatabase } from '../src/db/database.ts';
import { createInferenceService, type FinishedJob } from '../src/inference/inference-service.ts';
import { createJobQueue } from '../src/inference/job-queue.ts';
import { createModelSession } from '../src/inference/model-session.ts';
import { createFakeDiscord } from '../test/fake-discord/fake-discord.ts';
import { MODEL_FOR_TESTS } from '../test/fixtures/model-path.ts';

const runs = Number(process.argv[2] ?? 20);
const lengthSeconds = Number(process.argv[3] ?? 30);
const STYLES = ['jazz', 'pop', 'lofi', 'rock', 'folk'] as const;
const TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.bench.token';
const APP_ID = '100000000000000001';
const GUILD_ID = '200000000000000001';
const CHANNEL_ID = '300000000000000001';
const USER_ID = '400000000000000001';

const cores = availableParallelism();
const threads = Math.max(1, Math.min(cores, 4));
const workers = Math.max(1, Math.min(cores, 4));
const dir = await mkdtemp(join(tmpdir(), 'motif-bench-e2e-'));
const fake = await createFakeDiscord({
  token: TOKEN,
  applicationId: APP_ID,
  guilds: [
    {
      id: GUILD_ID,
      name: 'Bench',
      channels: [{ id: CHANNEL_ID, name: 'general' }],
      members: [{ id: USER_ID, username: 'ada' }],
    },
  ],
});
const db = openDatabase({ path: join(dir, 'motif.sqlite') });
const queue = createJobQueue(db, { maxQueued: 100, perUser: 100, perGuild: 100, maxAttempts: 3, concurrency: 8 });
const session = await createModelSession(MODEL_FOR_TESTS, { device: 'cpu', intraOpNumThreads: threads });
const renderPool = await createRenderPool({ workers });
const service = createInferenceService({ queue, session, renderPool, dataDir: join(dir, 'clips'), batchSize: 8 });
const warm = await service.warmUp();
service.start();
const bot = createBot({
  token: TOKEN,
  applicationId: APP_ID,
  apiUrl: fake.restUrl,
  service,
  settings: createGuildSettingsStore(db),
  log: (line) => {
    console.log(line);
  },
});
await bot.start(AbortSignal.timeout(30_000));
await deployCommands({
  rest: bot.client.rest,
  applicationId: APP_ID,
  guildId: GUILD_ID,
  commands: bot.commands.map((c) => c.data),
});

const finishedAt = new Map<string, number>();
service.on('finished', (finished: FinishedJob) => {
  finishedAt.set(finished.job.id, performance.now());
});

interface Sample {
  readonly totalMs: number;
  readonly deferMs: number;
  readonly jobMs: number;
  readonly postMs: number;
}

const samples: Sample[] = [];
for (let i = -1; i < runs; i++) {
  const style = STYLES[(i + STYLES.length) % STYLES.length] ?? 'pop';
  const started = performance.now();
  const startedWall = Date.now();
  const answered = await fake.dispatchInteraction({
    kind: 'command',
    name: 'compose',
    options: [
      { name: 'style', type: 3, value: style },
      { name: 'length', type: 4, value: lengthSeconds },
      { name: 'seed', type: 4, value: 1000 + i },
    ],
  });
  const deferMs = performance.now() - started;
  const token = answered.token;
  const posted = await fake.waitFor(
    () =>
      fake.requests.find(
        (r) => r.method === 'PATCH' && r.path.includes(token) && r.files.length === 3 && r.status !== null,
      ),
    120_000,
  );
  const totalMs = posted.at - startedWall;
  const jobId = service.statusForUser(USER_ID)[0]?.job.id ?? '';
  const doneAt = finishedAt.get(jobId) ?? performance.now();
  // The first run is a warm-up of the Discord path (discord.js's first webhook, undici connections).
  if (i >= 0) samples.push({ totalMs, deferMs, jobMs: doneAt - started, postMs: totalMs - (doneAt - started) });
  await bot.replies.idle();
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const column = (pick: (s: Sample) => number): string =>
  `p50 ${fmt(quantile(samples.map(pick), 0.5))}, p95 ${fmt(quantile(samples.map(pick), 0.95))}`;

console.log(
  `\n/compose → posted attachments, ${lengthSeconds} s clip, ${samples.length} runs, ${cores} cores ` +
    `(${cpus()[0]?.model.trim() ?? '?'}), model ${MODEL_FOR_TESTS.split('/').at(-1) ?? ''} on ${session.provider}, ` +
    `${threads} threads, ${workers} render workers; warm-up: model ${warm.modelMs} ms, render ${warm.renderMs} ms`,
);
console.log(`  whole path:              ${column((s) => s.totalMs)}   (target p50 ≤ 1.50 s)`);
console.log(`  deferral (callback):     ${column((s) => s.deferMs)}`);
console.log(`  job (submit → finished): ${column((s) => s.jobMs)}`);
console.log(`  posting (files → fake):  ${column((s) => s.postMs)}`);

await bot.stop({ drain: () => service.stop({ graceMs: 5000 }) });
await renderPool.close();
await session.dispose();
db.close();
await fake.close();
await rm(dir, { recursive: true, force: true });
