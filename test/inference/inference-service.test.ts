import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { InferenceSession } from 'onnxruntime-node';

import type { RenderPool } from '../../src/audio/render-pool.ts';
import { createRenderPool } from '../../src/audio/render-pool.ts';
import type { RenderedClip } from '../../src/audio/rendered-clip.ts';
import { openDatabase } from '../../src/db/database.ts';
import { parseClipMeta } from '../../src/inference/clip-meta.ts';
import { parseComposeRequest } from '../../src/inference/compose-request.ts';
import {
  createInferenceService,
  type CancelledJob,
  type FailedJob,
  type FinishedJob,
  type InferenceService,
  type InferenceServiceOptions,
  type JobProgress,
  type JobResult,
} from '../../src/inference/inference-service.ts';
import { createJobQueue, type JobQueue } from '../../src/inference/job-queue.ts';
import {
  composeJobRequest,
  parseJobRequest,
  type ComposeJobRequest,
  type JobRequest,
} from '../../src/inference/job-request.ts';
import {
  createModelSession,
  type ModelBatch,
  type ModelLogits,
  type ModelSession,
} from '../../src/inference/model-session.ts';
import { MODEL_FOR_TESTS, TINY_MODEL } from '../fixtures/model-path.ts';

type Database = ReturnType<typeof openDatabase>;

const LIMITS = { maxQueued: 50, perUser: 10, perGuild: 50, maxAttempts: 3 } as const;
/** Few diffusion steps keep the tests short; the loop is the same with 12. */
const SAMPLING = { steps: 4 } as const;

/** A compose job request: 4 s at 120 bpm = 8 beats = 32 steps unless `length` says otherwise. */
function composeRequest(seed: number, length = 4): ComposeJobRequest {
  const parsed = parseComposeRequest(
    { style: 'jazz', tempo: 120, length, seed, key: 'F', instruments: 'melody=flute,drums=brush' },
    { style: 'pop', seed: () => 0 },
  );
  assert.ok(parsed.ok, 'the test request is valid');
  return composeJobRequest(parsed.value);
}

/** Model rows of one guided request: conditional and unconditional, for the lead-sheet and the drum view. */
const ROWS_PER_REQUEST = 4;

interface ModelRun {
  readonly rows: number;
  readonly steps: number;
}

/** The real session, with every batch it is asked to run recorded and, optionally, a hook before each run. */
function watchedSession(
  session: ModelSession,
  beforeRun?: (call: number) => Promise<void> | void,
): { session: InferenceServiceOptions['session']; runs: ModelRun[] } {
  const runs: ModelRun[] = [];
  return {
    runs,
    session: {
      metadata: session.metadata,
      provider: session.provider,
      run: async (batch: ModelBatch): Promise<ModelLogits> => {
        runs.push({ rows: batch.batchSize, steps: batch.steps });
        await beforeRun?.(runs.length);
        return session.run(batch);
      },
    },
  };
}

/** A render pool that answers at once with small fixed bytes (or waits for `gate`), and records its signals. */
function fakeRenderPool(gate?: () => Promise<void>): Pick<RenderPool, 'renderClip' | 'size'> & {
  signals: (AbortSignal | undefined)[];
} {
  const signals: (AbortSignal | undefined)[] = [];
  return {
    size: 2,
    signals,
    renderClip: async (score, _options, signal) => {
      signals.push(signal);
      if (gate) {
        await Promise.race([
          gate(),
          new Promise((_, reject) => {
            signal?.addEventListener('abort', () => {
              reject(signal.reason as Error);
            });
          }),
        ]);
      }
      signal?.throwIfAborted();
      const clip: RenderedClip = {
        ogg: new TextEncoder().encode('OggS fake'),
        mid: new TextEncoder().encode('MThd fake'),
        png: new TextEncoder().encode('PNG fake'),
        report: {
          frames: 48_000,
          durationSeconds: (score.lengthBeats * 60) / score.tempo,
          inputLufs: -20,
          loudnessLufs: -16,
          truePeakDbtp: -1.5,
          gainDb: 4,
          oggBytes: 9,
          timings: { renderMs: 1, masterMs: 1, encodeMs: 1, midiMs: 1, pianoRollMs: 1 },
        },
      };
      return clip;
    },
  };
}

interface Harness {
  readonly service: InferenceService;
  readonly queue: JobQueue;
  readonly db: Database;
  readonly dataDir: string;
  readonly progress: JobProgress[];
  readonly finished: FinishedJob[];
  readonly failed: FailedJob[];
  readonly cancelled: CancelledJob[];
  readonly logs: string[];
  /** Resolves when `count` jobs have finished, failed or been cancelled in all. */
  settled(count: number): Promise<void>;
}

function submitCompose(service: InferenceService, userId: string, request: JobRequest, token: string | null = null) {
  const submitted = service.submit({
    userId,
    guildId: 'guild-1',
    channelId: 'channel-1',
    interactionToken: token,
    request,
  });
  assert.ok(submitted.ok, 'the job is queued');
  return submitted.job;
}

describe('inference service', () => {
  let model: ModelSession;
  let root = '';
  const open: Harness[] = [];

  before(async () => {
    model = await createModelSession(MODEL_FOR_TESTS, { device: 'cpu', intraOpNumThreads: 1 });
    root = await mkdtemp(join(tmpdir(), 'motif-service-'));
  });
  after(async () => {
    await model.dispose();
    await rm(root, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const harness of open.splice(0)) {
      await harness.service.stop({ graceMs: 5000 });
      harness.db.close();
    }
  });

  async function harness(
    options: Partial<InferenceServiceOptions> & { dbPath?: string; queueClock?: () => number } = {},
  ): Promise<Harness> {
    const db = openDatabase({ path: options.dbPath ?? ':memory:' });
    const queue = createJobQueue(db, LIMITS, options.queueClock);
    const dataDir = await mkdtemp(join(root, 'data-'));
    const logs: string[] = [];
    const service = createInferenceService({
      queue,
      session: model,
      renderPool: fakeRenderPool(),
      dataDir,
      batchSize: 4,
      sampling: SAMPLING,
      log: (line) => logs.push(line),
      idlePollMs: 20,
      ...options,
    });
    const progress: JobProgress[] = [];
    const finished: FinishedJob[] = [];
    const failed: FailedJob[] = [];
    const cancelled: CancelledJob[] = [];
    const waiters: { count: number; resolve: () => void }[] = [];
    const check = (): void => {
      const total = finished.length + failed.length + cancelled.length;
      for (const waiter of waiters.filter((w) => total >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    };
    service
      .on('progress', (p) => progress.push(p))
      .on('finished', (f) => {
        finished.push(f);
        check();
      })
      .on('failed', (f) => {
        failed.push(f);
        check();
      })
      .on('cancelled', (c) => {
        cancelled.push(c);
        check();
      });
    const made: Harness = {
      service,
      queue,
      db,
      dataDir,
      progress,
      finished,
      failed,
      cancelled,
      logs,
      settled: (count) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error(`only ${finished.length + failed.length + cancelled.length} of ${count} jobs settled`));
          }, 60_000);
          waiters.push({
            count,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          });
          check();
        }),
    };
    open.push(made);
    return made;
  }

  test('GIVEN two users with a job each THEN both finish with their files on disk and the result in the queue', async () => {
    const pool = await createRenderPool({ workers: 1 });
    try {
      const h = await harness({ renderPool: pool, batchSize: 1 });
      const ada = submitCompose(h.service, 'ada', composeRequest(1), 'token-ada');
      const bo = submitCompose(h.service, 'bo', composeRequest(2));
      h.service.start();
      await h.settled(2);

      assert.deepEqual(h.failed, []);
      assert.deepEqual(h.finished.map((f) => f.job.id).sort(), [ada.id, bo.id].sort());
      for (const finished of h.finished) {
        assert.equal(finished.job.status, 'done');
        assert.equal(finished.tokenExpired, false, 'a job finished at once has a fresh token (or none)');
        const ogg = await readFile(finished.files.ogg);
        assert.equal(ogg.subarray(0, 4).toString('latin1'), 'OggS');
        assert.equal((await readFile(finished.files.mid)).subarray(0, 4).toString('latin1'), 'MThd');
        assert.deepEqual([...(await readFile(finished.files.png)).subarray(1, 4)], [0x50, 0x4e, 0x47]);
        const meta = parseClipMeta(JSON.parse(await readFile(finished.files.json, 'utf8')));
        assert.ok(meta.ok, 'the .json is a clip description a variation can start from');
        assert.equal(meta.value.request.style, 'jazz');
        assert.equal(meta.value.resolved.keyName, 'F major');
        assert.equal(meta.value.resolved.lengthBeats, 8);
        assert.equal(meta.value.output.oggBytes, ogg.length);

        const stored = h.queue.get(finished.job.id);
        assert.ok(stored);
        assert.equal(stored.status, 'done');
        const result = stored.result as JobResult;
        assert.deepEqual(result.files, finished.files);
        assert.equal(result.meta.grid.data, finished.meta.grid.data);
      }
      // Nothing but the two job folders is left in the data directory (no temporaries).
      assert.deepEqual((await readdir(h.dataDir)).sort(), [ada.id, bo.id].sort());
    } finally {
      await pool.close();
    }
  });

  test('GIVEN three jobs of the same length THEN their steps run as one batch of three guided requests', async () => {
    const watched = watchedSession(model);
    const h = await harness({ session: watched.session });
    for (const [i, user] of ['ada', 'bo', 'cy'].entries()) submitCompose(h.service, user, composeRequest(10 + i));
    h.service.start();
    await h.settled(3);

    assert.equal(h.finished.length, 3);
    assert.equal(watched.runs.length, SAMPLING.steps, 'one model call per diffusion step, for all three');
    assert.deepEqual(
      watched.runs.map((r) => r.rows),
      Array.from({ length: SAMPLING.steps }, () => 3 * ROWS_PER_REQUEST),
      'conditional + unconditional rows of both views of three requests in every call',
    );
    for (const finished of h.finished) assert.equal(finished.meta.timingsMs['batch'], 3);
  });

  test('GIVEN jobs of two lengths THEN each length bucket runs in its own batches', async () => {
    const watched = watchedSession(model);
    const h = await harness({ session: watched.session });
    submitCompose(h.service, 'ada', composeRequest(20, 4));
    submitCompose(h.service, 'bo', composeRequest(21, 8));
    submitCompose(h.service, 'cy', composeRequest(22, 4));
    h.service.start();
    await h.settled(3);

    assert.equal(h.finished.length, 3);
    // The model runs each clip with its bar of lead-in (generate.ts): 4 s = 32 steps + 16, 8 s = 64 + 16.
    const byLength = new Map<number, number[]>();
    for (const run of watched.runs) byLength.set(run.steps, [...(byLength.get(run.steps) ?? []), run.rows]);
    assert.deepEqual(
      [...byLength.keys()].sort((a, b) => a - b),
      [48, 80],
    );
    assert.deepEqual(byLength.get(48), [8, 8, 8, 8], 'the two 4 s jobs together');
    assert.deepEqual(byLength.get(80), [4, 4, 4, 4], 'the 8 s job alone');
    // The first in fair order (ada, 4 s) decides the first batch; the 8 s job waits for the next.
    assert.deepEqual(
      watched.runs.map((r) => r.steps),
      [48, 48, 48, 48, 80, 80, 80, 80],
    );
  });

  test('GIVEN a same-length job beyond the batch window THEN it does not jump ahead of the jobs before it', async () => {
    const watched = watchedSession(model);
    const h = await harness({ session: watched.session, batchSize: 2, batchWindow: 2 });
    submitCompose(h.service, 'ada', composeRequest(25, 4));
    submitCompose(h.service, 'bo', composeRequest(26, 8));
    submitCompose(h.service, 'cy', composeRequest(27, 8));
    submitCompose(h.service, 'dan', composeRequest(28, 4));
    h.service.start();
    await h.settled(4);

    // Steps the model runs: the clip's and a bar of lead-in (generate.ts).
    const batches = watched.runs
      .filter((_, i) => i % SAMPLING.steps === 0)
      .map((r) => `${r.steps}x${r.rows / ROWS_PER_REQUEST}`);
    assert.deepEqual(batches, ['48x1', '80x2', '48x1'], "dan's 4 s job waits its turn instead of joining ada's");
  });

  test('GIVEN one job THEN progress goes queued → composing step by step → rendering → finished', async () => {
    const h = await harness();
    const job = submitCompose(h.service, 'ada', composeRequest(30));
    const order: string[] = [];
    h.service.on('finished', () => order.push('finished'));
    h.service.on('progress', (p) => order.push(p.stage === 'composing' ? `composing ${p.step}/${p.steps}` : p.stage));
    h.service.start();
    await h.settled(1);

    const [queued] = h.progress;
    assert.ok(queued);
    assert.equal(queued.stage, 'queued');
    assert.equal(queued.position, 1);
    assert.ok(h.progress.every((p) => p.jobId === job.id && p.userId === 'ada'));
    assert.deepEqual(order, [
      'composing 0/4',
      'composing 1/4',
      'composing 2/4',
      'composing 3/4',
      'composing 4/4',
      'rendering',
      'finished',
    ]);
    const rendering = h.progress.find((p) => p.stage === 'rendering');
    assert.ok(rendering?.etaSeconds === undefined || rendering.etaSeconds >= 0);
  });

  test('GIVEN a queued job cancelled by its owner THEN it never runs, and the other job does', async () => {
    const watched = watchedSession(model);
    const h = await harness({ session: watched.session });
    const kept = submitCompose(h.service, 'ada', composeRequest(40));
    const dropped = submitCompose(h.service, 'bo', composeRequest(41));

    assert.deepEqual(h.service.cancel(dropped.id, 'ada'), {
      ok: false,
      error: { code: 'not-yours', message: 'Only the person who asked for this piece can cancel it.' },
    });
    assert.deepEqual(h.service.cancel(dropped.id, 'bo'), { ok: true, wasRunning: false });
    h.service.start();
    await h.settled(2);

    assert.deepEqual(
      h.finished.map((f) => f.job.id),
      [kept.id],
    );
    assert.deepEqual(
      h.cancelled.map((c) => [c.job.id, c.job.status, c.wasRunning]),
      [[dropped.id, 'cancelled', false]],
    );
    assert.ok(
      watched.runs.every((r) => r.rows === ROWS_PER_REQUEST),
      'only one request ever reached the model',
    );
    assert.equal(h.service.status(dropped.id)?.job.status, 'cancelled');
    assert.ok(!h.progress.some((p) => p.jobId === dropped.id && p.stage !== 'queued'));
  });

  test('GIVEN a running job cancelled mid-generation THEN the model stops, nothing is written, no finished event', async () => {
    const running: { service?: InferenceService; jobId?: string } = {};
    const watched = watchedSession(model, (call) => {
      if (call === 2 && running.service && running.jobId !== undefined) {
        assert.deepEqual(running.service.cancel(running.jobId, 'ada'), { ok: true, wasRunning: true });
      }
    });
    const h = await harness({ session: watched.session });
    const jobId = submitCompose(h.service, 'ada', composeRequest(50)).id;
    running.service = h.service;
    running.jobId = jobId;
    h.service.start();
    await h.settled(1);
    // Let the aborted batch unwind, then make sure nothing else happened.
    await new Promise((resolve) => setTimeout(resolve, 100));

    assert.deepEqual(h.finished, []);
    assert.deepEqual(h.failed, []);
    assert.deepEqual(
      h.cancelled.map((c) => c.wasRunning),
      [true],
    );
    assert.equal(watched.runs.length, 2, 'no model call after the cancel');
    assert.equal(h.queue.get(jobId)?.status, 'cancelled');
    assert.equal(h.service.status(jobId)?.progress, undefined);
    assert.deepEqual(await readdir(h.dataDir), []);
  });

  test('GIVEN one job of a batch cancelled while rendering THEN its render is aborted and the other still finishes', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pool = fakeRenderPool(() => gate);
    const h = await harness({ renderPool: pool });
    const kept = submitCompose(h.service, 'ada', composeRequest(60));
    const dropped = submitCompose(h.service, 'bo', composeRequest(61));
    const rendering = new Promise<void>((resolve) => {
      h.service.on('progress', (p) => {
        if (p.jobId === dropped.id && p.stage === 'rendering') resolve();
      });
    });
    h.service.start();
    await rendering;
    assert.deepEqual(h.service.cancel(dropped.id, 'bo'), { ok: true, wasRunning: true });
    release();
    await h.settled(2);
    await new Promise((resolve) => setTimeout(resolve, 50));

    assert.deepEqual(
      h.finished.map((f) => f.job.id),
      [kept.id],
    );
    assert.equal(h.finished[0]?.meta.timingsMs['batch'], 2, 'both were generated in one batch');
    assert.equal(pool.signals.length, 2);
    assert.ok(
      pool.signals.some((s) => s?.aborted === true),
      "the cancelled job's render signal was aborted",
    );
    assert.equal(h.queue.get(dropped.id)?.status, 'cancelled');
    assert.deepEqual(await readdir(h.dataDir), [kept.id]);
  });

  test('GIVEN a database with a job left running by a dead process THEN start() runs it again', async () => {
    const dbPath = join(root, 'recovery.sqlite');
    const before = openDatabase({ path: dbPath });
    const deadQueue = createJobQueue(before, LIMITS);
    const submitted = deadQueue.submit({
      kind: 'compose',
      userId: 'ada',
      guildId: null,
      channelId: 'channel-1',
      interactionToken: null,
      request: composeRequest(70),
    });
    assert.ok(submitted.ok);
    assert.equal(deadQueue.take(1).length, 1);
    assert.equal(deadQueue.get(submitted.job.id)?.status, 'running');
    before.close(); // the process "dies" here

    const h = await harness({ dbPath });
    assert.equal(h.service.start(), 1, 'one job recovered');
    await h.settled(1);

    assert.deepEqual(h.failed, []);
    const [rerun] = h.finished;
    assert.ok(rerun);
    assert.equal(rerun.job.id, submitted.job.id);
    assert.equal(rerun.job.attempts, 2);
    assert.equal(h.queue.get(submitted.job.id)?.status, 'done');
    assert.ok(h.logs.some((line) => /1 unfinished job\(s\) queued again/.test(line)));
  });

  test('GIVEN a finished clip THEN a variation, an extension and a new drum track of it run from its stored meta', async () => {
    const h = await harness();
    submitCompose(h.service, 'ada', composeRequest(75));
    h.service.start();
    await h.settled(1);
    const parent = h.finished[0]?.meta;
    assert.ok(parent);
    const stored = JSON.parse(JSON.stringify(parent)) as typeof parent;
    submitCompose(h.service, 'ada', { kind: 'variation', parent: stored, strength: 0.5, seed: 76 });
    submitCompose(h.service, 'bo', { kind: 'extension', parent: stored, seed: 77, lengthSeconds: 8 });
    submitCompose(h.service, 'cy', { kind: 'regenerate', parent: stored, track: 'drums', seed: 78 });
    await h.settled(4);

    assert.deepEqual(h.failed, []);
    const byKind = new Map(h.finished.slice(1).map((f) => [f.meta.kind, f.meta]));
    assert.equal(byKind.get('variation')?.title, `${parent.title} (variation)`);
    assert.equal(byKind.get('variation')?.request.strength, 0.5);
    assert.equal(byKind.get('extension')?.resolved.lengthBeats, 16, '8 s at 120 bpm after the parent');
    assert.equal(byKind.get('regenerate')?.request.track, 'drums');
    for (const meta of byKind.values()) assert.deepEqual(meta.parent, { title: parent.title, seed: 75 });
  });

  test('GIVEN a stored request that no longer parses THEN the job fails with the reason and the loop goes on', async () => {
    const h = await harness();
    const broken = h.queue.submit({
      kind: 'compose',
      userId: 'ada',
      guildId: null,
      channelId: null,
      interactionToken: null,
      request: { kind: 'compose', style: 'polka-core', lengthSeconds: 4, seed: 1, instruments: {} },
    });
    assert.ok(broken.ok);
    const good = submitCompose(h.service, 'bo', composeRequest(80));
    h.service.start();
    await h.settled(2);

    assert.equal(h.failed.length, 1);
    const [failed] = h.failed;
    assert.ok(failed);
    assert.equal(failed.job.id, broken.job.id);
    assert.equal(failed.job.status, 'failed');
    assert.match(failed.error, /not a job request Motif can run: .*polka-core/);
    assert.deepEqual(
      h.finished.map((f) => f.job.id),
      [good.id],
    );
  });

  test('GIVEN a request that cannot run THEN submit refuses it and nothing is queued', async () => {
    const h = await harness();
    const result = h.service.submit({
      userId: 'ada',
      guildId: null,
      channelId: null,
      interactionToken: null,
      request: { ...composeRequest(1), lengthSeconds: 999 },
    });
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'bad-request');
    assert.equal(h.queue.counts().queued, 0);
  });

  test('GIVEN a job that finishes more than 15 minutes after it was asked for THEN tokenExpired is true', async () => {
    const asked = Date.UTC(2026, 0, 1, 12, 0, 0);
    const h = await harness({ queueClock: () => asked, clock: () => asked + 16 * 60_000 });
    submitCompose(h.service, 'ada', composeRequest(90), 'token-ada');
    submitCompose(h.service, 'bo', composeRequest(91), null);
    h.service.start();
    await h.settled(2);

    const byUser = Object.fromEntries(h.finished.map((f) => [f.job.userId, f.tokenExpired]));
    assert.deepEqual(byUser, { ada: true, bo: false });
  });

  test('GIVEN queued jobs THEN status and statusForUser tell their place in the queue', async () => {
    const h = await harness();
    const first = submitCompose(h.service, 'ada', composeRequest(100));
    const second = submitCompose(h.service, 'bo', composeRequest(101));
    const third = submitCompose(h.service, 'ada', composeRequest(102));

    assert.equal(h.service.status(first.id)?.progress?.position, 1);
    assert.equal(h.service.status(second.id)?.progress?.position, 2);
    assert.deepEqual(
      h.service.statusForUser('ada').map((v) => [v.job.id, v.progress?.stage, v.progress?.position]),
      [
        [first.id, 'queued', 1],
        [third.id, 'queued', 3],
      ],
    );
    assert.equal(h.service.status('no-such-job'), undefined);
  });

  test('GIVEN stop() while a job runs longer than the grace time THEN the job stays running for the next start', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const watched = watchedSession(model, (call) => (call === 2 ? gate : undefined));
    const h = await harness({ session: watched.session });
    const job = submitCompose(h.service, 'ada', composeRequest(110));
    h.service.start();
    while (watched.runs.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));

    const stopped = h.service.stop({ graceMs: 50 });
    setTimeout(release, 200);
    await stopped;

    assert.equal(h.service.state, 'stopped');
    assert.equal(h.queue.get(job.id)?.status, 'running', 'left for recovery, not failed');
    assert.deepEqual(h.finished, []);
    assert.deepEqual(h.failed, []);
    assert.ok(h.logs.some((line) => /1 job\(s\) left running/.test(line)));
    assert.equal(watched.runs.length, 2, 'no model call after the stop');
  });

  test('warmUp runs the model and every render worker once and says where it ran', async () => {
    const pool = fakeRenderPool();
    const h = await harness({ renderPool: pool });
    const report = await h.service.warmUp();
    assert.equal(report.provider, 'cpu');
    assert.ok(report.modelMs >= 0 && report.renderMs >= 0);
    assert.equal(pool.signals.length, 2, 'one render per worker');
    assert.ok(h.logs.some((line) => /^inference service warmed up on cpu: model \d+ ms, render \d+ ms$/.test(line)));
  });
});

describe('job requests', () => {
  test('GIVEN a compose request THEN its stored form parses back to the same request', () => {
    const stored: unknown = JSON.parse(JSON.stringify(composeRequest(7)));
    const parsed = parseJobRequest(stored);
    assert.ok(parsed.ok && parsed.value.kind === 'compose');
    const request = parsed.value.request;
    assert.equal(request.style.label, 'jazz');
    assert.equal(request.tempo, 120);
    assert.deepEqual(request.key, { tonic: 5, mode: 'major' });
    assert.equal(request.lengthSeconds, 4);
    assert.equal(request.seed, 7);
    assert.deepEqual(request.instruments, { melody: 73, drums: 40 });
  });

  test('GIVEN broken stored requests THEN each is refused with a reason', () => {
    const cases: [unknown, RegExp][] = [
      [null, /not an object/],
      [{ kind: 'remix' }, /kind "remix"/],
      [{ ...composeRequest(1), instruments: { drums: 3 } }, /drum kit 3/],
      [{ ...composeRequest(1), seed: undefined }, /seed is missing/],
      [{ kind: 'variation', parent: { format: 'nope' }, strength: 0.3, seed: 1 }, /parent clip/],
      [{ kind: 'regenerate', parent: {}, track: 'drums', seed: 1 }, /parent clip/],
    ];
    for (const [value, reason] of cases) {
      const parsed = parseJobRequest(value);
      assert.ok(!parsed.ok);
      assert.match(parsed.error.message, reason);
    }
  });
});

describe('execution provider fallback', () => {
  test('GIVEN auto and neither CUDA nor WebGPU usable THEN the CPU is taken and one line says why', async () => {
    const lines: string[] = [];
    const tried: string[] = [];
    const session = await createModelSession(TINY_MODEL, {
      device: 'auto',
      supportedProviders: () => ['cuda', 'webgpu', 'cpu'],
      preflight: (provider) =>
        provider === 'cuda' ? 'the CUDA runtime (libcudart) is not on the library path' : undefined,
      openSession: async (path, options) => {
        const first = options.executionProviders?.[0];
        const provider = typeof first === 'string' ? first : (first?.name ?? '');
        tried.push(provider);
        if (provider === 'webgpu') throw new Error('no WebGPU adapter found\nnative stack trace');
        return InferenceSession.create(path, options);
      },
      log: (line) => lines.push(line),
    });
    try {
      assert.equal(session.provider, 'cpu');
      assert.deepEqual(tried, ['webgpu', 'cpu'], 'CUDA was passed over before ONNX Runtime was asked');
      assert.deepEqual(
        session.attempts.map((a) => [a.provider, a.taken]),
        [
          ['cuda', false],
          ['webgpu', false],
          ['cpu', true],
        ],
      );
      assert.equal(lines.length, 1);
      assert.equal(
        lines[0],
        `model ${session.metadata.name} ${session.metadata.version}: cpu opened (passed over cuda: the CUDA runtime (libcudart) is not on the library path; ` +
          'webgpu: failed to open: no WebGPU adapter found)',
      );
    } finally {
      await session.dispose();
    }
  });
});
