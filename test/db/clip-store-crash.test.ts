import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import Database from 'better-sqlite3';

import { createClipStore } from '../../src/db/clip-store.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createJobQueue } from '../../src/inference/job-queue.ts';
import { makeClip } from '../fixtures/clip-world.ts';

const WRITER = fileURLToPath(new URL('../fixtures/feedback-writer.ts', import.meta.url));
const FORGETTER = fileURLToPath(new URL('../fixtures/forget-runner.ts', import.meta.url));
const LIMITS = { maxQueued: 100_000, perUser: 100_000, perGuild: 100_000, maxAttempts: 3 };

const root = mkdtempSync(join(tmpdir(), 'motif-clip-crash-'));
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

interface Child {
  readonly child: ChildProcess;
  readonly lines: () => string[];
  readonly stderr: () => string;
  readonly exited: Promise<void>;
}

function start(script: string, args: readonly string[]): Child {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  // Only whole lines: a line is acknowledged once its newline arrived.
  const lines = (): string[] => stdout.split('\n').slice(0, -1);
  return { child, lines, stderr: () => stderr, exited };
}

async function waitFor(what: string, probe: () => boolean, worker: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (probe()) return;
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
      assert.fail(
        `the child exited (${worker.child.exitCode ?? worker.child.signalCode}) while waiting for ${what}:\n${worker.stderr()}`,
      );
    }
    await setTimeout(2);
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

test(
  'GIVEN a write burst killed with SIGKILL THEN integrity_check is ok and every acknowledged event and clip is in the file',
  { timeout: 90_000 },
  async () => {
    const dir = join(root, 'burst');
    const dbPath = join(dir, 'motif.db');
    const dataDir = join(dir, 'clips');
    const db = openDatabase({ path: dbPath });
    const queue = createJobQueue(db, LIMITS);
    const store = createClipStore(db, { dataDir });
    const seeds = [0, 1, 2].map((i) => makeClip(queue, store, dataDir, { userId: `owner-${i}`, style: 'jazz' }).id);
    db.close();

    const writer = start(WRITER, [dbPath, dataDir, ...seeds]);
    await waitFor('400 acknowledged writes', () => writer.lines().length >= 400, writer);
    writer.child.kill('SIGKILL');
    await writer.exited;
    assert.equal(writer.child.signalCode, 'SIGKILL');

    const acknowledged = writer.lines().map((line) => line.split(' '));
    const events = acknowledged.filter(([kind]) => kind === 'event').map(([, id]) => Number(id));
    const clips = acknowledged.filter(([kind]) => kind === 'clip').map(([, id]) => id ?? '');
    assert.ok(events.length >= 300 && clips.length >= 30, `${events.length} events, ${clips.length} clips`);

    const check = new Database(dbPath);
    try {
      assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(check.pragma('foreign_key_check'), []);
      const storedEvents = new Set(check.prepare<[], number>('SELECT id FROM feedback_events').pluck().all());
      const missingEvents = events.filter((id) => !storedEvents.has(id));
      assert.deepEqual(missingEvents, [], 'every acknowledged event is in the file');
      const storedClips = new Set(check.prepare<[], string>('SELECT id FROM clips').pluck().all());
      assert.deepEqual(
        clips.filter((id) => !storedClips.has(id)),
        [],
        'every acknowledged clip is in the file',
      );
      // At most the one write in flight when the kill landed is in the file without being acknowledged.
      assert.ok(storedEvents.size - events.length <= 1, `${storedEvents.size} stored, ${events.length} acknowledged`);
      for (const id of clips) assert.ok(existsSync(join(dataDir, id, 'clip.ogg')), `clip ${id} has its files`);
    } finally {
      check.close();
    }
  },
);

test(
  'GIVEN /forget-me killed with SIGKILL before or after its commit THEN no row points to a deleted file, every leftover folder is listed, and a sweep leaves none',
  { timeout: 120_000 },
  async (t) => {
    const outcomes: string[] = [];
    for (const moment of ['at once', 'right after the commit'] as const) {
      const dir = join(root, `forget-${outcomes.length}`);
      const dbPath = join(dir, 'motif.db');
      const dataDir = join(dir, 'clips');
      const db = openDatabase({ path: dbPath });
      const queue = createJobQueue(db, LIMITS);
      const store = createClipStore(db, { dataDir });
      const mine: string[] = [];
      for (let i = 0; i < 150; i++) mine.push(makeClip(queue, store, dataDir, { userId: 'leaver', seed: i }).id);
      const theirs = [0, 1, 2].map((i) => makeClip(queue, store, dataDir, { userId: 'stayer', seed: i }).id);
      assert.ok(store.recordFeedback({ userId: 'leaver', guildId: 'g', clipId: theirs[0] ?? '', kind: 'like' }).ok);

      const runner = start(FORGETTER, [dbPath, dataDir, 'leaver']);
      await waitFor('start', () => runner.lines().includes('start'), runner);
      if (moment === 'right after the commit') {
        const probe = new Database(dbPath, { readonly: true });
        try {
          const users = probe.prepare<[], number>("SELECT count(*) FROM users WHERE id = 'leaver'").pluck();
          await waitFor('the commit', () => users.get() === 0, runner);
        } finally {
          probe.close();
        }
      }
      runner.child.kill('SIGKILL');
      await runner.exited;

      const rowsLeft = db.prepare<[], number>("SELECT count(*) FROM clips WHERE user_id = 'leaver'").pluck().get();
      const listed = new Set(db.prepare<[], string>('SELECT dir FROM pending_file_deletions').pluck().all());
      const foldersLeft = mine.filter((id) => existsSync(join(dataDir, id)));
      if (rowsLeft === mine.length) {
        // Killed before the commit: nothing happened.
        assert.equal(foldersLeft.length, mine.length, 'no folder deleted before the commit');
        assert.equal(listed.size, 0);
        outcomes.push('before');
      } else {
        assert.equal(rowsLeft, 0, 'the transaction is all or nothing');
        assert.equal(db.prepare("SELECT count(*) FROM feedback_events WHERE user_id = 'leaver'").pluck().get(), 0);
        for (const id of foldersLeft) assert.ok(listed.has(join(dataDir, id)), `leftover folder ${id} is listed`);
        outcomes.push(`after, ${foldersLeft.length} folders left`);
      }
      // Whatever the moment, the next run (here: a start-up sweep, then /forget-me again) finishes the job.
      await store.sweepPendingDeletions();
      const report = await store.forgetUser('leaver');
      assert.equal(report.foldersPending, 0);
      assert.deepEqual(readdirSync(dataDir).sort(), [...theirs].sort(), `after ${moment}`);
      assert.equal(db.prepare('SELECT count(*) FROM pending_file_deletions').pluck().get(), 0);
      assert.equal(db.prepare("SELECT count(*) FROM clips WHERE user_id = 'stayer'").pluck().get(), 3);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      db.close();
    }
    t.diagnostic(`killed: ${outcomes.join('; ')}`);
    assert.equal(outcomes.length, 2);
    assert.match(outcomes[1] ?? '', /^after/, 'the second kill landed after the commit');
  },
);
