/**
 * The inference service end to end, on the CPU, in one run: the real job queue (SQLite file), model session,
 * render pool and service, as the bot runs them.
 *
 *  1. latency of one 30 s clip (model, arrangement, render, master, Opus, MIDI, picture, files) with an empty queue;
 *  2. a burst of 100 requests from 20 users (10 ask once, 10 ask 9 times), with batching and with batch size 1
 *     (two bursts each, interleaved): clips per minute of the whole service and of the model stage (the wall time
 *     during which some job is between its first diffusion step and the end of its model stage), and the longest
 *     wait of a one-request user;
 *  3. peak RSS of the process (worker threads included) with the model and the SoundFont loaded;
 *  4. the longest event-loop stall of the main thread in the latency runs and in the bursts.
 *
 *   npm run bench:inference -- [burstSeconds=10] [batchSize=8] [session=worker|in-process]
 *
 * The npm script starts Node as `npm start` starts the bot, with the main thread's young generation capped
 * (`--max-semi-space-size=4`); `node bench/inference.ts` measures V8's default instead (about 25 MB more at peak).
 *
 * Like `npm start`, it enables Node's module compile cache (src/compile-cache.ts) before any worker starts: its
 * first run fills the cache, and later runs measure the workers as a bot that has started before runs them
 * (`NODE_DISABLE_COMPILE_CACHE=1` measures without: about 13 MB more once loaded).
 *
 * `session`: the model session in its worker thread (the default, as the bot runs it) or on the main thread
 * (`inWorker: false`), to compare the two.
 *
 * Uses models/motif-v1.onnx when present, else the tiny test model (it says which).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { createRenderPool } from '../src/audio/render-pool.ts';
import { enableCompileCache } from '../src/compile-cache.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { parseComposeRequest } from '../src/inference/compose-request.ts';
import { createInferenceService, type FinishedJob, type JobProgress } from '../src/inference/inference-service.ts';
import { createJobQueue } from '../src/inference/job-queue.ts';
import { composeJobRequest, type ComposeJobRequest } from '../src/inference/job-request.ts';
import { createModelSession } from '../src/inference/model-session.ts';

const LATENCY_RUNS = 10;
const BURST_USERS = 20;
const BURST_REQUESTS = 100;
const STYLES = ['pop', 'jazz', 'lofi', 'rock', 'folk'] as const;

const fullModel = fileURLToPath(new URL('../models/motif-v1.onnx', import.meta.url));
const tinyModel = fileURLToPath(new URL('../test/fixtures/tiny-model.onnx', import.meta.url));
const modelPath = existsSync(fullModel) ? fullModel : tinyModel;
const burstSeconds = Number(process.argv[2] ?? 10);
const batchSize = Number(process.argv[3] ?? 8);
const inWorker = (process.argv[4] ?? 'worker') !== 'in-process';
const cores = availableParallelism();
// Threads and workers as the bot would pick them (MOTIF_THREADS, MOTIF_RENDER_WORKERS or their defaults).
const config = loadConfig(process.env, cores);
if (!config.ok) throw new Error(config.error.message);
const { threads, renderWorkers: workers } = config.value;
/** The main thread's semi-space cap in MB when Node was started with one (`npm start` passes 4). */
const semiSpaceMb = /--max-semi-space-size[= ](\d+)/.exec(
  [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' '),
)?.[1];
/** Peak RSS so far, in MB (maxRSS is in KiB and counts the worker threads: they are threads of this process). */
const peakRssMb = (): number => (process.resourceUsage().maxRSS * 1024) / 1e6;

// As npm start does, before any worker starts: a run after the first finds every worker's modules compiled.
const compileCache = enableCompileCache();
const root = await mkdtemp(join(tmpdir(), 'motif-bench-inference-'));
const session = await createModelSession(modelPath, {
  device: 'cpu',
  intraOpNumThreads: threads,
  inWorker,
  log: (line) => {
    console.log(line);
  },
});
const renderPool = await createRenderPool({ workers });
const loadedRssMb = process.memoryUsage().rss / 1e6;
/** Longest event-loop delay of the main thread per phase, in ms. */
const stalls = { latency: 0, burst: 0 };
const delay = monitorEventLoopDelay({ resolution: 1 });

function request(style: string, seconds: number, seed: number): ComposeJobRequest {
  const parsed = parseComposeRequest({ style, length: seconds, seed }, { style: 'pop', seed: () => seed });
  if (!parsed.ok) throw new Error(parsed.error.message);
  return composeJobRequest(parsed.value);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** Total length of the union of [start, end] intervals. */
function unionLength(intervals: readonly (readonly [number, number])[]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [start, end] = [-Infinity, -Infinity];
  for (const [s, e] of sorted) {
    if (s > end) {
      if (end > start) total += end - start;
      [start, end] = [s, e];
    } else {
      end = Math.max(end, e);
    }
  }
  if (end > start) total += end - start;
  return total;
}

interface Run {
  readonly service: ReturnType<typeof createInferenceService>;
  readonly finished: Map<string, { at: number; job: FinishedJob }>;
  /** performance.now() of each job's model stage start and end (progress 'composing' 0 → 'rendering'). */
  readonly modelStage: Map<string, [number, number]>;
  readonly batchSizes: number[];
  close(): Promise<void>;
}

function openRun(name: string, size: number): Run {
  const db = openDatabase({ path: join(root, `${name}.sqlite`) });
  const queue = createJobQueue(db, {
    maxQueued: 500,
    perUser: 100,
    perGuild: 500,
    maxAttempts: 3,
    concurrency: size,
  });
  const service = createInferenceService({
    queue,
    session,
    renderPool,
    dataDir: join(root, name),
    batchSize: size,
    idlePollMs: 50,
  });
  const finished = new Map<string, { at: number; job: FinishedJob }>();
  const modelStage = new Map<string, [number, number]>();
  const batchSizes: number[] = [];
  service.on('progress', (p: JobProgress) => {
    const now = performance.now();
    if (p.stage === 'composing' && p.step === 0) modelStage.set(p.jobId, [now, now]);
    if (p.stage === 'rendering') {
      const stage = modelStage.get(p.jobId);
      if (stage) stage[1] = now;
    }
  });
  service.on('finished', (f) => {
    finished.set(f.job.id, { at: performance.now(), job: f });
    batchSizes.push(f.meta.timingsMs['batch'] ?? 1);
  });
  service.on('failed', (f) => {
    failures.push(`job ${f.job.id} failed: ${f.error}`);
  });
  service.start();
  return {
    service,
    finished,
    modelStage,
    batchSizes,
    close: async () => {
      await service.stop();
      db.close();
    },
  };
}

const failures: string[] = [];

async function until(check: () => boolean): Promise<void> {
  while (!check()) {
    if (failures.length > 0) throw new Error(failures.join('; '));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Burst {
  readonly seconds: number;
  /** Wall time during which at least one job was in the model stage. */
  readonly modelSeconds: number;
  readonly batchSizes: readonly number[];
  readonly longestLoneWait: number;
}

interface BurstSummary {
  readonly clipsPerMinute: number;
  readonly modelClipsPerMinute: number;
  readonly meanBatch: number;
  readonly longestLoneWait: number;
  readonly seconds: number;
}

async function burst(size: number, round: number): Promise<Burst> {
  const run = openRun(`burst-${size}-${round}`, size);
  const submitted = new Map<string, { at: number; lone: boolean }>();
  // 10 users ask once, 10 ask 9 times: 100 requests, submitted together (heavy users first, the worst case).
  const users = Array.from({ length: BURST_USERS }, (_, i) => ({ id: `user-${i}`, count: i < 10 ? 9 : 1 }));
  const started = performance.now();
  let seed = 1000;
  for (let round = 0; round < 9; round++) {
    for (const user of users) {
      if (round >= user.count) continue;
      const style = STYLES[seed % STYLES.length] ?? 'pop';
      const result = run.service.submit({
        userId: user.id,
        guildId: `guild-${Number(user.id.slice(5)) % 4}`,
        channelId: 'channel',
        interactionToken: null,
        request: request(style, burstSeconds, seed++),
      });
      if (!result.ok) throw new Error(result.error.message);
      submitted.set(result.job.id, { at: performance.now(), lone: user.count === 1 });
    }
  }
  if (submitted.size !== BURST_REQUESTS) throw new Error(`submitted ${submitted.size}`);
  await until(() => run.finished.size === BURST_REQUESTS);
  const seconds = (performance.now() - started) / 1000;
  const modelSeconds = unionLength([...run.modelStage.values()]) / 1000;
  const loneWaits = [...submitted].filter(([, s]) => s.lone).map(([id, s]) => (run.finished.get(id)?.at ?? NaN) - s.at);
  await run.close();
  return { seconds, modelSeconds, batchSizes: run.batchSizes, longestLoneWait: Math.max(...loneWaits) / 1000 };
}

/** The bursts of one batch size together: clips over total time, so every round weighs by its length. */
function summarise(bursts: readonly Burst[]): BurstSummary {
  const clips = bursts.length * BURST_REQUESTS;
  const seconds = bursts.reduce((sum, b) => sum + b.seconds, 0);
  const modelSeconds = bursts.reduce((sum, b) => sum + b.modelSeconds, 0);
  const sizes = bursts.flatMap((b) => b.batchSizes);
  return {
    clipsPerMinute: (clips / seconds) * 60,
    modelClipsPerMinute: (clips / modelSeconds) * 60,
    meanBatch: sizes.reduce((a, b) => a + b, 0) / sizes.length,
    longestLoneWait: Math.max(...bursts.map((b) => b.longestLoneWait)),
    seconds: seconds / bursts.length,
  };
}

try {
  console.log(
    `model: ${modelPath === fullModel ? 'models/motif-v1.onnx' : 'test/fixtures/tiny-model.onnx (no models/motif-v1.onnx yet)'}` +
      ` (${session.metadata.parameters.toLocaleString('en')} parameters) on ${session.provider}, ${threads} intra-op threads;` +
      ` ${workers} render workers; ${cores} cores; model session ${inWorker ? 'in its worker thread' : 'on the main thread'};` +
      ` compile cache ${compileCache ?? 'off'}`,
  );

  // 1. Latency with an empty queue.
  const latencyRun = openRun('latency', batchSize);
  const warm = await latencyRun.service.warmUp();
  console.log(`warm-up: model ${warm.modelMs} ms, render ${warm.renderMs} ms`);
  const latencies: number[] = [];
  const modelMs: number[] = [];
  const renderMs: number[] = [];
  delay.reset();
  delay.enable();
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const at = performance.now();
    const result = latencyRun.service.submit({
      userId: 'solo',
      guildId: null,
      channelId: null,
      interactionToken: null,
      request: request(STYLES[i % STYLES.length] ?? 'pop', 30, 500 + i),
    });
    if (!result.ok) throw new Error(result.error.message);
    await until(() => latencyRun.finished.has(result.job.id));
    const done = latencyRun.finished.get(result.job.id);
    latencies.push((done?.at ?? NaN) - at);
    modelMs.push(done?.job.meta.timingsMs['generate'] ?? NaN);
    renderMs.push(done?.job.meta.timingsMs['renderStage'] ?? NaN);
  }
  delay.disable();
  stalls.latency = delay.max / 1e6;
  await latencyRun.close();
  const latencyPeakMb = peakRssMb();
  console.log(
    `30 s clip, ${LATENCY_RUNS} runs: model stage p50 ${quantile(modelMs, 0.5).toFixed(0)} ms, ` +
      `render stage p50 ${quantile(renderMs, 0.5).toFixed(0)} ms; peak RSS so far ${latencyPeakMb.toFixed(0)} MB ` +
      `(decoded samples ${(renderPool.decodedSampleBytes / 1e6).toFixed(0)} MB)`,
  );

  // 2. The burst, batched and one at a time, twice each in the order batched, 1, 1, batched: on a shared machine
  // whose load drifts, both sizes then see about the same load, and their ratio does not depend on when each ran.
  const rounds: Burst[][] = [[], []];
  for (const [round, size] of [batchSize, 1, 1, batchSize].entries()) {
    delay.reset();
    delay.enable();
    const one = await burst(size, round);
    delay.disable();
    stalls.burst = Math.max(stalls.burst, delay.max / 1e6);
    rounds[size === 1 ? 1 : 0]?.push(one);
    const meanBatch = one.batchSizes.reduce((a, b) => a + b, 0) / one.batchSizes.length;
    console.log(
      `burst ${round + 1}/4, batch ${size}: ${one.seconds.toFixed(1)} s, mean batch ${meanBatch.toFixed(1)}, ` +
        `model stage ${((BURST_REQUESTS / one.modelSeconds) * 60).toFixed(0)} clips/min; ` +
        `longest event-loop stall ${(delay.max / 1e6).toFixed(0)} ms; peak RSS so far ${peakRssMb().toFixed(0)} MB ` +
        `(decoded samples ${(renderPool.decodedSampleBytes / 1e6).toFixed(0)} MB)`,
    );
  }
  const batched = summarise(rounds[0] ?? []);
  const single = summarise(rounds[1] ?? []);
  console.log(
    `model stage batching gain (batch ${batchSize} / batch 1 clips per minute, 2 bursts each): ` +
      `${(batched.modelClipsPerMinute / single.modelClipsPerMinute).toFixed(2)}x`,
  );

  // 3. Peak memory of the whole run.
  const peakMb = peakRssMb();
  const memory = process.memoryUsage();
  console.log(
    `main thread now: V8 heap ${(memory.heapTotal / 1e6).toFixed(0)} MB, external ${(memory.external / 1e6).toFixed(0)} MB; ` +
      `decoded samples shared by the workers ${(renderPool.decodedSampleBytes / 1e6).toFixed(0)} MB`,
  );

  const rows: [string, string, string, boolean | undefined][] = [
    [
      'latency p50, one 30 s clip, empty queue',
      `${(quantile(latencies, 0.5) / 1000).toFixed(2)} s`,
      '≤ 1.5 s',
      quantile(latencies, 0.5) <= 1500,
    ],
    ['latency p95, one 30 s clip, empty queue', `${(quantile(latencies, 0.95) / 1000).toFixed(2)} s`, '', undefined],
    [
      `burst ${BURST_REQUESTS} x ${burstSeconds} s / ${BURST_USERS} users: clips/min, batch ${batchSize}`,
      batched.clipsPerMinute.toFixed(1),
      '≥ 60',
      batched.clipsPerMinute >= 60,
    ],
    [`burst: clips/min, batch 1`, single.clipsPerMinute.toFixed(1), '', undefined],
    [`model stage clips/min, batch ${batchSize}`, batched.modelClipsPerMinute.toFixed(1), '', undefined],
    ['model stage clips/min, batch 1', single.modelClipsPerMinute.toFixed(1), '', undefined],
    [
      'model stage: batched / batch 1',
      `${(batched.modelClipsPerMinute / single.modelClipsPerMinute).toFixed(2)}x`,
      '≥ 1.5x',
      batched.modelClipsPerMinute / single.modelClipsPerMinute >= 1.5,
    ],
    [
      'whole service: batched / batch 1',
      `${(batched.clipsPerMinute / single.clipsPerMinute).toFixed(2)}x`,
      '',
      undefined,
    ],
    [
      `longest wait of a one-request user, batch ${batchSize}`,
      `${batched.longestLoneWait.toFixed(1)} s`,
      '',
      undefined,
    ],
    ['longest wait of a one-request user, batch 1', `${single.longestLoneWait.toFixed(1)} s`, '', undefined],
    ['longest event-loop stall, latency runs (one clip at a time)', `${stalls.latency.toFixed(0)} ms`, '', undefined],
    ['longest event-loop stall, bursts', `${stalls.burst.toFixed(0)} ms`, '', undefined],
    ['RSS once loaded, before any clip', `${loadedRssMb.toFixed(0)} MB`, '', undefined],
    [
      `main thread young generation`,
      semiSpaceMb === undefined ? "V8's default" : `semi-space ${semiSpaceMb} MB`,
      'as npm start',
      semiSpaceMb === '4',
    ],
    ['peak RSS (model + SoundFont + workers)', `${peakMb.toFixed(0)} MB`, '≤ 500 MB', peakMb <= 500],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${'measure'.padEnd(width)}  ${'value'.padStart(10)}  ${'target'.padEnd(9)}`);
  for (const [label, value, target, ok] of rows) {
    const verdict = ok === undefined ? '' : ok ? 'met' : 'NOT met';
    console.log(`${label.padEnd(width)}  ${value.padStart(10)}  ${target.padEnd(9)} ${verdict}`);
  }
} finally {
  await renderPool.close();
  await session.dispose();
  await rm(root, { recursive: true, force: true });
}
