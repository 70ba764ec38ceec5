import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { openDatabase } from '../../src/db/database.ts';
import { createJobQueue, type JobQueue } from '../../src/inference/job-queue.ts';

const WORKER = fileURLToPath(new URL('../fixtures/queue-worker.ts', import.meta.url));
const USERS = ['user-a', 'user-b', 'user-c'];
const WORK_MS = 150;

const dir = mkdtempSync(join(tmpdir(), 'motif-queue-crash-'));
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface LogLine {
  readonly event: string;
  readonly id: string;
  readonly rest: readonly string[];
}

function readLog(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [event = '', id = '', ...rest] = line.split(' ');
      return { event, id, rest };
    });
}

function startWorker(dbPath: string, logPath: string): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, [WORKER, dbPath, logPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return { child, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/** Polls `probe` until it returns a value; fails after `timeoutMs` or when the worker has died. */
async function waitFor<T>(
  what: string,
  probe: () => T | undefined,
  worker: { child: ChildProcess; stderr: () => string } | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    if (worker !== undefined && (worker.child.exitCode !== null || worker.child.signalCode !== null)) {
      assert.fail(
        `the worker exited (${worker.child.exitCode ?? worker.child.signalCode}) while waiting for ${what}:\n${worker.stderr()}`,
      );
    }
    await setTimeout(5);
  }
  return assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function submitJobs(queue: JobQueue, count: number, into: string[]): void {
  for (let i = 0; i < count; i++) {
    const n = into.length;
    const result = queue.submit({
      kind: 'compose',
      userId: USERS[n % USERS.length] ?? 'user-a',
      guildId: 'guild-1',
      channelId: 'channel-1',
      interactionToken: `token-${n}`,
      request: { n, workMs: WORK_MS },
    });
    assert.ok(result.ok, `submit ${n} was refused`);
    into.push(result.job.id); // acknowledged
  }
}

test(
  'GIVEN a worker killed with SIGKILL mid-job WHEN it restarts on the same file THEN every acknowledged job is done exactly once',
  { timeout: 60_000 },
  async () => {
    const dbPath = join(dir, 'motif.db');
    const logPath = join(dir, 'worker.log');
    const db = openDatabase({ path: dbPath });
    const queue = createJobQueue(db, { maxQueued: 1000, perUser: 1000, perGuild: 1000, maxAttempts: 3 });
    const submitted: string[] = [];
    try {
      submitJobs(queue, 12, submitted);
      const first = startWorker(dbPath, logPath);
      const doneCount = (): number => readLog(logPath).filter((line) => line.event === 'done').length;
      await waitFor('4 jobs done', () => (doneCount() >= 4 ? true : undefined), first);
      submitJobs(queue, 12, submitted); // while the worker writes to the same file

      // Kill it as soon as a job has started and not finished, after a few more were done.
      const victim = await waitFor(
        'a job in progress after 6 done',
        () => {
          const lines = readLog(logPath);
          const last = lines.at(-1);
          const done = lines.filter((line) => line.event === 'done').length;
          return done >= 6 && last?.event === 'start' ? last : undefined;
        },
        first,
      );
      first.child.kill('SIGKILL');
      await exited(first.child);
      assert.equal(first.child.signalCode, 'SIGKILL');
      const killedJob = queue.get(victim.id);
      assert.equal(killedJob?.status, 'running', 'the kill landed in the middle of a job');
      assert.equal(killedJob.attempts, 1);

      submitJobs(queue, 6, submitted); // acknowledged while no worker is alive
      const second = startWorker(dbPath, logPath);
      await waitFor('every job done', () => (queue.counts().done === submitted.length ? true : undefined), second);
      second.child.kill('SIGTERM');
      await exited(second.child);

      const lines = readLog(logPath);
      const ready = lines.filter((line) => line.event === 'ready');
      assert.deepEqual(
        ready.map((line) => [line.id, line.rest[0]]),
        [
          [String(first.child.pid), '0'],
          [String(second.child.pid), '1'],
        ],
        'the restarted worker recovered exactly the killed job',
      );
      assert.deepEqual(
        lines.filter((line) => line.event === 'refused'),
        [],
      );
      assert.deepEqual(queue.counts(), { queued: 0, running: 0, done: 30, failed: 0, cancelled: 0 });
      assert.equal(submitted.length, 30);
      assert.equal(new Set(submitted).size, 30);
      assert.equal(db.prepare('SELECT count(*) FROM jobs').pluck().get(), 30, 'no job appeared from nowhere');

      for (const id of submitted) {
        const job = queue.get(id);
        assert.ok(job, `job ${id} was lost`);
        assert.equal(job.status, 'done');
        const starts = lines.filter((line) => line.event === 'start' && line.id === id);
        const dones = lines.filter((line) => line.event === 'done' && line.id === id);
        assert.equal(dones.length, 1, `job ${id} completed ${dones.length} times`);
        const [done] = dones;
        const result = job.result;
        assert.ok(typeof result === 'object' && result !== null && 'nonce' in result && 'pid' in result);
        assert.equal(result.nonce, done?.rest[0], 'the stored result is the one run that logged its completion');
        assert.ok(starts.some((start) => start.rest[1] === result.nonce));
        if (id === victim.id) {
          assert.equal(job.attempts, 2);
          assert.deepEqual(
            starts.map((start) => [start.rest[0], start.rest[2]]),
            [
              ['1', String(first.child.pid)],
              ['2', String(second.child.pid)],
            ],
          );
          assert.equal(result.pid, second.child.pid);
        } else {
          assert.equal(job.attempts, 1, `job ${id} ran ${job.attempts} times`);
          assert.equal(starts.length, 1);
        }
      }
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  },
);
