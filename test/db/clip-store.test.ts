import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { createClipStore, type ClipStore } from '../../src/db/clip-store.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createJobQueue, type JobQueue } from '../../src/inference/job-queue.ts';
import { makeClip, makeClipMeta, writeClipFiles } from '../fixtures/clip-world.ts';

const root = mkdtempSync(join(tmpdir(), 'motif-clip-store-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

const DAY = 86_400_000;
const HOUR = 3_600_000;
const LIMITS = { maxQueued: 1000, perUser: 1000, perGuild: 1000, maxAttempts: 3 };

interface World {
  readonly db: Database.Database;
  readonly dbPath: string;
  readonly dataDir: string;
  readonly queue: JobQueue;
  readonly store: ClipStore;
  /** Moves the store's clock. */
  setNow(ms: number): void;
  close(): void;
}

let worlds = 0;
function world(
  options: {
    pageSize?: number;
    retention?: { keepDays?: number | null; keepLiked?: boolean; radioKeepHours?: number | null };
  } = {},
): World {
  const dir = join(root, `w${++worlds}`);
  const dbPath = join(dir, 'motif.db');
  const dataDir = join(dir, 'clips');
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase({ path: dbPath });
  let now = 1_700_000_000_000;
  const clock = (): number => now;
  const queue = createJobQueue(db, LIMITS, clock);
  const store = createClipStore(db, {
    dataDir,
    clock,
    historyPageSize: options.pageSize,
    retention: options.retention,
  });
  return {
    db,
    dbPath,
    dataDir,
    queue,
    store,
    setNow: (ms) => {
      now = ms;
    },
    close: () => {
      db.close();
    },
  };
}

/** Every row of every table, read through a separate connection to the file. */
function dump(path: string): Record<string, Record<string, unknown>[]> {
  const other = new Database(path, { readonly: true });
  try {
    const out: Record<string, Record<string, unknown>[]> = {};
    const names = other
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    for (const name of names) {
      out[name] = other.prepare<[], Record<string, unknown>>(`SELECT * FROM ${name} ORDER BY rowid`).all();
    }
    return out;
  } finally {
    other.close();
  }
}

function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('recordClip', () => {
  test('GIVEN a finished job THEN its clip is stored with its parameters, files, user and guild', () => {
    const w = world();
    try {
      const clip = makeClip(w.queue, w.store, w.dataDir, {
        userId: 'u1',
        guildId: 'g1',
        style: 'jazz:0.6,lofi:0.4',
        mood: 'calm',
        tempo: 90,
        seed: 42,
        instruments: { melody: 66 },
      });
      assert.equal(clip.userId, 'u1');
      assert.equal(clip.guildId, 'g1');
      assert.equal(clip.channelId, 'channel-1');
      assert.equal(clip.kind, 'compose');
      assert.equal(clip.style, 'jazz:0.6,lofi:0.4');
      assert.deepEqual(clip.styleMix, { jazz: 0.6, lofi: 0.4 });
      assert.equal(clip.mood, 'calm');
      assert.equal(clip.tempo, 90);
      assert.equal(clip.key, 'C major');
      assert.equal(clip.seed, 42);
      assert.deepEqual(clip.instruments, { melody: 66 });
      assert.equal(clip.modelVersion, 'test-1');
      assert.equal(clip.meta.request.style, 'jazz:0.6,lofi:0.4');
      assert.equal(clip.files?.ogg, join(w.dataDir, clip.id, 'clip.ogg'));
      assert.equal(readFileSync(clip.files.ogg, 'utf8'), `${clip.id}\n`);
      assert.deepEqual(w.store.get(clip.id), clip);
      assert.deepEqual(w.db.prepare('SELECT id FROM users').pluck().all(), ['u1']);
      assert.deepEqual(w.db.prepare('SELECT id FROM guilds').pluck().all(), ['g1']);
    } finally {
      w.close();
    }
  });

  test('GIVEN the same job recorded twice THEN there is one clip and the first record is returned', () => {
    const w = world();
    try {
      const clip = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
      const job = w.queue.get(clip.id);
      assert.ok(job);
      const again = w.store.recordClip({
        job,
        meta: makeClipMeta({ style: 'rock' }),
        files: writeClipFiles(w.dataDir, clip.id),
      });
      assert.ok(again.ok);
      assert.equal(again.value.style, 'jazz');
      assert.equal(w.db.prepare('SELECT count(*) FROM clips').pluck().get(), 1);
    } finally {
      w.close();
    }
  });

  test('GIVEN a parent and a radio clip THEN kind and parent are kept; an unknown parent becomes null', () => {
    const w = world();
    try {
      const parent = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
      const child = makeClip(w.queue, w.store, w.dataDir, { userId: 'u2', parentId: parent.id, kind: 'variation' });
      const orphan = makeClip(w.queue, w.store, w.dataDir, { userId: 'u2', parentId: 'gone', kind: 'radio' });
      assert.equal(child.parentId, parent.id);
      assert.equal(child.kind, 'variation');
      assert.equal(orphan.parentId, null);
      assert.equal(orphan.kind, 'radio');
    } finally {
      w.close();
    }
  });

  test('GIVEN a job whose row is gone (its owner was forgotten) THEN nothing is written and its folder is deleted', () => {
    const w = world();
    try {
      const files = writeClipFiles(w.dataDir, '6f1c1d2e-0000-4000-8000-000000000001');
      const result = w.store.recordClip({
        job: {
          id: '6f1c1d2e-0000-4000-8000-000000000001',
          userId: 'u1',
          guildId: 'g1',
          channelId: null,
          kind: 'compose',
        },
        meta: makeClipMeta(),
        files,
      });
      assert.deepEqual(result.ok ? 'ok' : result.error.code, 'job-gone');
      assert.equal(existsSync(join(w.dataDir, '6f1c1d2e-0000-4000-8000-000000000001')), false);
      assert.equal(w.db.prepare('SELECT count(*) FROM clips').pluck().get(), 0);
      assert.equal(w.db.prepare('SELECT count(*) FROM users').pluck().get(), 0);
    } finally {
      w.close();
    }
  });

  test('GIVEN files outside the data directory or an unknown style THEN it is refused with bad-clip', () => {
    const w = world();
    try {
      const submitted = w.queue.submit({
        kind: 'compose',
        userId: 'u1',
        guildId: null,
        channelId: null,
        interactionToken: null,
        request: {},
      });
      assert.ok(submitted.ok);
      const job = submitted.job;
      const outside = writeClipFiles(join(root, 'elsewhere'), job.id);
      const a = w.store.recordClip({ job, meta: makeClipMeta(), files: outside });
      assert.equal(a.ok ? 'ok' : a.error.code, 'bad-clip');
      const b = w.store.recordClip({
        job,
        meta: makeClipMeta({ style: 'polka' }),
        files: writeClipFiles(w.dataDir, job.id),
      });
      assert.equal(b.ok ? 'ok' : b.error.code, 'bad-clip');
      assert.equal(w.db.prepare('SELECT count(*) FROM clips').pluck().get(), 0);
    } finally {
      w.close();
    }
  });
});

describe('attachMessage and listForUser', () => {
  test('GIVEN a posted clip THEN its message id is kept; an unknown clip answers false', () => {
    const w = world();
    try {
      const clip = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
      assert.equal(w.store.attachMessage(clip.id, 'm-1'), true);
      assert.equal(w.store.get(clip.id)?.messageId, 'm-1');
      assert.equal(w.store.attachMessage('nope', 'm-2'), false);
    } finally {
      w.close();
    }
  });

  test('GIVEN 7 clips and pages of 3 THEN /history pages are newest first, 3 + 3 + 1, and a page past the end is the last', () => {
    const w = world({ pageSize: 3 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        w.setNow(1_700_000_000_000 + i * 1000);
        ids.push(makeClip(w.queue, w.store, w.dataDir, { userId: 'u1', seed: i }).id);
      }
      makeClip(w.queue, w.store, w.dataDir, { userId: 'someone-else' });
      const newest = [...ids].reverse();
      const first = w.store.listForUser('u1');
      assert.deepEqual(
        { ids: first.clips.map((c) => c.id), page: first.page, pageCount: first.pageCount, total: first.total },
        { ids: newest.slice(0, 3), page: 0, pageCount: 3, total: 7 },
      );
      assert.deepEqual(
        w.store.listForUser('u1', 1).clips.map((c) => c.id),
        newest.slice(3, 6),
      );
      const last = w.store.listForUser('u1', 99);
      assert.deepEqual([last.page, last.clips.map((c) => c.id)], [2, newest.slice(6)]);
      assert.deepEqual(w.store.listForUser('nobody'), { clips: [], page: 0, pageCount: 1, total: 0 });
    } finally {
      w.close();
    }
  });
});

describe('listForUser playable (/play)', () => {
  test('GIVEN radio segments and a clip whose files are gone THEN only playable clips, newest first, in pages of the asked size', async () => {
    const w = world({ pageSize: 5 });
    try {
      const t0 = 1_700_000_000_000;
      w.setNow(t0);
      const expired = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1', seed: 1 });
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        w.setNow(t0 + 31 * DAY + i * 1000);
        ids.push(makeClip(w.queue, w.store, w.dataDir, { userId: 'u1', seed: 10 + i }).id);
        makeClip(w.queue, w.store, w.dataDir, { userId: 'u1', seed: 20 + i, kind: 'radio' });
      }
      w.setNow(t0 + 31 * DAY + 9000);
      ids.push(makeClip(w.queue, w.store, w.dataDir, { userId: 'u1', seed: 30, kind: 'variation' }).id);
      makeClip(w.queue, w.store, w.dataDir, { userId: 'u2', seed: 40 });
      assert.equal((await w.store.applyRetention(t0 + 31 * DAY)).clips, 1);
      assert.equal(w.store.get(expired.id)?.files, undefined);

      const newest = [...ids].reverse();
      const first = w.store.listForUser('u1', 0, { playable: true, pageSize: 3 });
      assert.deepEqual(
        { ids: first.clips.map((c) => c.id), pageCount: first.pageCount, total: first.total },
        { ids: newest.slice(0, 3), pageCount: 2, total: 5 },
      );
      assert.deepEqual(
        w.store.listForUser('u1', 1, { playable: true, pageSize: 3 }).clips.map((c) => c.id),
        newest.slice(3),
      );
      assert.ok(first.clips.every((c) => c.kind !== 'radio' && c.files !== undefined));
      // /history still lists every clip: the radio segments and the one without files too.
      assert.equal(w.store.listForUser('u1').total, 10);
    } finally {
      w.close();
    }
  });
});

describe('recordFeedback', () => {
  test("GIVEN a like on someone's clip THEN the event carries a copy of the clip's style mix, mood, tempo and instruments", () => {
    const w = world();
    try {
      const clip = makeClip(w.queue, w.store, w.dataDir, {
        userId: 'owner',
        style: 'latin:0.75,jazz:0.25',
        mood: 'romantic',
        tempo: 120,
        instruments: { melody: 73 },
      });
      w.setNow(1_700_000_100_000);
      const liked = w.store.recordFeedback({ userId: 'fan', guildId: 'g2', clipId: clip.id, kind: 'like' });
      assert.ok(liked.ok);
      assert.deepEqual(liked.value, {
        id: liked.value.id,
        userId: 'fan',
        guildId: 'g2',
        clipId: clip.id,
        kind: 'like',
        value: null,
        styleMix: { latin: 0.75, jazz: 0.25 },
        mood: 'romantic',
        tempo: 120,
        instruments: { melody: 73 },
        createdAt: 1_700_000_100_000,
      });
      const listened = w.store.recordFeedback({
        userId: 'fan',
        guildId: null,
        clipId: clip.id,
        kind: 'radio-listen',
        value: 95,
      });
      assert.ok(listened.ok);
      assert.equal(listened.value.value, 95);
      assert.deepEqual(w.db.prepare('SELECT id FROM users ORDER BY id').pluck().all(), ['fan', 'owner']);
      assert.deepEqual(w.db.prepare('SELECT id FROM guilds ORDER BY id').pluck().all(), ['g2', 'guild-1']);
    } finally {
      w.close();
    }
  });

  test('GIVEN bad input THEN each is a clear error and nothing is written', () => {
    const w = world();
    try {
      const clip = makeClip(w.queue, w.store, w.dataDir, { userId: 'owner' });
      const cases: [Parameters<ClipStore['recordFeedback']>[0], string, RegExp][] = [
        [
          { userId: 'u', guildId: null, clipId: clip.id, kind: 'love' as 'like' },
          'bad-feedback',
          /unknown feedback kind "love"/,
        ],
        [{ userId: '', guildId: null, clipId: clip.id, kind: 'like' }, 'bad-feedback', /user id/],
        [{ userId: 'u', guildId: null, clipId: '', kind: 'like' }, 'bad-feedback', /clip id/],
        [
          { userId: 'u', guildId: null, clipId: clip.id, kind: 'like', value: 3 },
          'bad-feedback',
          /like event has no value/,
        ],
        [{ userId: 'u', guildId: null, clipId: clip.id, kind: 'radio-listen' }, 'bad-feedback', /seconds listened/],
        [{ userId: 'u', guildId: null, clipId: clip.id, kind: 'radio-listen', value: -1 }, 'bad-feedback', /seconds/],
        [
          { userId: 'u', guildId: null, clipId: clip.id, kind: 'radio-listen', value: Number.NaN },
          'bad-feedback',
          /seconds/,
        ],
        [{ userId: 'u', guildId: null, clipId: 'missing', kind: 'skip' }, 'unknown-clip', /no clip missing/],
      ];
      for (const [input, code, message] of cases) {
        const result = w.store.recordFeedback(input);
        assert.ok(!result.ok, JSON.stringify(input));
        assert.equal(result.error.code, code);
        assert.match(result.error.message, message);
      }
      assert.equal(w.db.prepare('SELECT count(*) FROM feedback_events').pluck().get(), 0);
      assert.deepEqual(w.db.prepare('SELECT id FROM users').pluck().all(), ['owner']);
    } finally {
      w.close();
    }
  });
});

/** Two people in two guilds, with clips, jobs, feedback on each other's clips, a variation and a setting. */
function populate(w: World): { a: string[]; b: string[] } {
  const a1 = makeClip(w.queue, w.store, w.dataDir, { userId: 'user-a', guildId: 'g1', style: 'jazz', mood: 'calm' });
  const a2 = makeClip(w.queue, w.store, w.dataDir, { userId: 'user-a', guildId: 'g2', style: 'lofi' });
  const b1 = makeClip(w.queue, w.store, w.dataDir, { userId: 'user-b', guildId: 'g1', style: 'rock' });
  const b2 = makeClip(w.queue, w.store, w.dataDir, {
    userId: 'user-b',
    guildId: 'g1',
    style: 'jazz',
    kind: 'variation',
    parentId: a1.id,
  });
  for (const [userId, clipId, kind] of [
    ['user-a', a1.id, 'like'],
    ['user-a', b1.id, 'dislike'],
    ['user-a', b2.id, 'play'],
    ['user-b', a1.id, 'like'],
    ['user-b', a2.id, 'skip'],
    ['user-b', b1.id, 'like'],
  ] as const) {
    assert.ok(w.store.recordFeedback({ userId, guildId: 'g1', clipId, kind }).ok);
  }
  assert.ok(
    w.store.recordFeedback({ userId: 'user-a', guildId: 'g1', clipId: b1.id, kind: 'radio-listen', value: 30 }).ok,
  );
  // A queued job of A (no files yet), and a finished job of A whose clip was never recorded (files only).
  const queued = w.queue.submit({
    kind: 'compose',
    userId: 'user-a',
    guildId: 'g1',
    channelId: null,
    interactionToken: 't',
    request: {},
  });
  assert.ok(queued.ok);
  const unrecorded = w.queue.submit({
    kind: 'compose',
    userId: 'user-a',
    guildId: 'g1',
    channelId: null,
    interactionToken: null,
    request: {},
  });
  assert.ok(unrecorded.ok);
  writeClipFiles(w.dataDir, unrecorded.job.id);
  mkdirSync(join(w.dataDir, `.${unrecorded.job.id}.abcd1234.tmp`));
  w.db.prepare("INSERT INTO guild_settings (guild_id, updated_by, updated_at) VALUES ('g1', 'user-a', 1)").run();
  return { a: [a1.id, a2.id, queued.job.id, unrecorded.job.id], b: [b1.id, b2.id] };
}

describe('exportUser', () => {
  test('GIVEN a user with rows in every table THEN the export holds every row of theirs and none of anyone else', () => {
    const w = world();
    try {
      const { b } = populate(w);
      const exported = w.store.exportUser('user-a');
      const rows = dump(w.dbPath);
      const mine = (table: string, column: string): Record<string, unknown>[] =>
        (rows[table] ?? []).filter((row) => row[column] === 'user-a');
      const parse = (row: Record<string, unknown>, columns: readonly string[]): Record<string, unknown> => {
        const out = { ...row };
        for (const column of columns) {
          const text = out[column];
          out[column] = typeof text === 'string' ? JSON.parse(text) : text;
        }
        return out;
      };
      assert.equal(exported.format, 'motif-user-export');
      assert.equal(exported.userId, 'user-a');
      assert.deepEqual(exported.tables.users, mine('users', 'id'));
      assert.deepEqual(
        exported.tables.jobs,
        mine('jobs', 'user_id').map((row) => ({ ...parse(row, ['request', 'result']), interaction_token: null })),
      );
      assert.deepEqual(
        exported.tables.clips,
        mine('clips', 'user_id').map((row) => parse(row, ['style_mix', 'instruments', 'meta'])),
      );
      assert.deepEqual(
        exported.tables.feedback_events,
        mine('feedback_events', 'user_id').map((row) => parse(row, ['style_mix', 'instruments'])),
      );
      assert.deepEqual(
        [
          exported.tables.users.length,
          exported.tables.jobs.length,
          exported.tables.clips.length,
          exported.tables.feedback_events.length,
        ],
        [1, 4, 2, 4],
      );
      const text = JSON.stringify(exported);
      for (const id of b) assert.ok(!text.includes(`"id":"${id}"`), `B's row ${id} is not in A's export`);
      assert.deepEqual(JSON.parse(text), exported, 'the export is plain JSON');
    } finally {
      w.close();
    }
  });
});

describe('forgetUser', () => {
  test('GIVEN two users WHEN one is forgotten THEN no row or file of theirs is left and nothing of the other is touched', async () => {
    const w = world();
    try {
      const { a, b } = populate(w);
      const before = dump(w.dbPath);
      const bFiles = b.map((id) => listTree(join(w.dataDir, id)));

      const report = await w.store.forgetUser('user-a');
      assert.deepEqual(report, { users: 1, jobs: 4, clips: 2, feedbackEvents: 4, folders: 3, foldersPending: 0 });

      // The file, read by another connection: no trace of A, except the server setting A changed (not A's).
      const afterRows = dump(w.dbPath);
      for (const [table, rows] of Object.entries(afterRows)) {
        for (const row of rows) {
          for (const [column, value] of Object.entries(row)) {
            if (table === 'guild_settings' && column === 'updated_by') continue;
            assert.ok(
              !(typeof value === 'string' && (value.includes('user-a') || a.some((id) => value.includes(id)))),
              `${table}.${column} still holds "${String(value)}"`,
            );
          }
        }
      }
      assert.deepEqual(
        afterRows['guild_settings']?.map((row) => row['updated_by']),
        ['user-a'],
      );
      assert.deepEqual(afterRows['pending_file_deletions'], []);

      // B's rows are exactly as before, but for the links the schema clears: B's like of A's clip, B's variation's parent.
      const bOnly = (rows: Record<string, Record<string, unknown>[]>, table: string): Record<string, unknown>[] =>
        (rows[table] ?? []).filter((row) => row['user_id'] === 'user-b' || row['id'] === 'user-b');
      for (const table of ['users', 'jobs']) assert.deepEqual(bOnly(afterRows, table), bOnly(before, table), table);
      assert.deepEqual(
        bOnly(afterRows, 'clips'),
        bOnly(before, 'clips').map((row) => ({
          ...row,
          parent_id: row['parent_id'] === a[0] ? null : row['parent_id'],
        })),
      );
      assert.deepEqual(
        bOnly(afterRows, 'feedback_events'),
        bOnly(before, 'feedback_events').map((row) => ({
          ...row,
          clip_id: a.includes(String(row['clip_id'])) ? null : row['clip_id'],
        })),
      );
      assert.equal(bOnly(afterRows, 'feedback_events').length, 3);
      assert.deepEqual(afterRows['guilds'], before['guilds']);
      assert.deepEqual(afterRows['guild_settings'], before['guild_settings']);

      // The data directory: A's folders (and A's temporary folder) are gone, B's are all there, unchanged.
      assert.deepEqual(readdirSync(w.dataDir).sort(), [...b].sort());
      assert.deepEqual(
        b.map((id) => listTree(join(w.dataDir, id))),
        bFiles,
      );
      for (const id of b) assert.equal(readFileSync(join(w.dataDir, id, 'clip.ogg'), 'utf8'), `${id}\n`);

      // Forgetting again finds nothing; B's own data still exports in full.
      assert.deepEqual(await w.store.forgetUser('user-a'), {
        users: 0,
        jobs: 0,
        clips: 0,
        feedbackEvents: 0,
        folders: 0,
        foldersPending: 0,
      });
      assert.equal(w.store.exportUser('user-b').tables.feedback_events.length, 3);
      assert.deepEqual(w.db.pragma('foreign_key_check'), []);
    } finally {
      w.close();
    }
  });

  test('GIVEN folders listed for deletion by a crashed run THEN a sweep deletes them, and never a folder outside the data directory', async () => {
    const w = world();
    try {
      const listed = join(w.dataDir, '0a0b0c0d-0000-4000-8000-00000000000a');
      writeClipFiles(w.dataDir, '0a0b0c0d-0000-4000-8000-00000000000a');
      const outside = join(root, 'not-motif');
      mkdirSync(outside, { recursive: true });
      writeFileSync(join(outside, 'keep.txt'), 'keep');
      const insert = w.db.prepare('INSERT INTO pending_file_deletions (dir, created_at) VALUES (?, 1)');
      insert.run(listed);
      insert.run(outside);
      const reopened = createClipStore(w.db, { dataDir: w.dataDir });
      assert.deepEqual(await reopened.sweepPendingDeletions(), { deleted: 2, failed: [] });
      assert.equal(existsSync(listed), false);
      assert.equal(readFileSync(join(outside, 'keep.txt'), 'utf8'), 'keep');
      assert.equal(w.db.prepare('SELECT count(*) FROM pending_file_deletions').pluck().get(), 0);
    } finally {
      w.close();
    }
  });
});

describe('applyRetention', () => {
  test('GIVEN the default policy THEN files of old clips nobody likes go, liked and recent ones stay, rows stay', async () => {
    const w = world();
    try {
      const t0 = 1_700_000_000_000;
      w.setNow(t0);
      const oldPlain = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
      const oldLiked = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
      const oldUnliked = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
      const oldLikedByOther = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
      assert.ok(w.store.recordFeedback({ userId: 'u1', guildId: null, clipId: oldLiked.id, kind: 'like' }).ok);
      assert.ok(w.store.recordFeedback({ userId: 'u2', guildId: null, clipId: oldUnliked.id, kind: 'like' }).ok);
      assert.ok(w.store.recordFeedback({ userId: 'u2', guildId: null, clipId: oldUnliked.id, kind: 'dislike' }).ok);
      assert.ok(w.store.recordFeedback({ userId: 'u3', guildId: null, clipId: oldLikedByOther.id, kind: 'like' }).ok);
      assert.ok(
        w.store.recordFeedback({ userId: 'u1', guildId: null, clipId: oldLikedByOther.id, kind: 'dislike' }).ok,
      );
      w.setNow(t0 + 29 * DAY);
      const recent = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
      // An orphan (a crash between writing a job's files and recording them, the job since purged) and a folder
      // that is not a clip's.
      const orphan = '11111111-2222-4333-8444-555555555555';
      writeClipFiles(w.dataDir, orphan);
      mkdirSync(join(w.dataDir, 'not-a-clip'));

      const report = await w.store.applyRetention(t0 + 31 * DAY);
      assert.deepEqual(report, { clips: 2, orphans: 1, foldersPending: 0 });
      const filesOf = (id: string): boolean => w.store.get(id)?.files !== undefined && existsSync(join(w.dataDir, id));
      assert.deepEqual(
        [oldPlain, oldLiked, oldUnliked, oldLikedByOther, recent].map((clip) => filesOf(clip.id)),
        [false, true, false, true, true],
      );
      const plain = w.store.get(oldPlain.id);
      assert.ok(plain, 'the row stays');
      assert.equal(plain.files, undefined, 'without files');
      assert.equal(existsSync(join(w.dataDir, orphan)), false);
      assert.equal(existsSync(join(w.dataDir, 'not-a-clip')), true);
      assert.equal(w.db.prepare('SELECT count(*) FROM clips').pluck().get(), 5);
      assert.deepEqual(await w.store.applyRetention(t0 + 31 * DAY), { clips: 0, orphans: 0, foldersPending: 0 });
    } finally {
      w.close();
    }
  });

  test('GIVEN radio segments THEN their files go after radioKeepHours (liked ones stay), other clips keep theirs', async () => {
    const w = world({ retention: { keepDays: 30, radioKeepHours: 24 } });
    const kept = world({ retention: { keepDays: null, radioKeepHours: null } });
    try {
      const t0 = 1_700_000_000_000;
      w.setNow(t0);
      const segment = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1', kind: 'radio' });
      const likedSegment = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1', kind: 'radio' });
      const clip = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
      assert.ok(w.store.recordFeedback({ userId: 'u2', guildId: null, clipId: likedSegment.id, kind: 'like' }).ok);
      w.setNow(t0 + 2 * HOUR);
      const fresh = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1', kind: 'radio' });
      const filesOf = (id: string): boolean => w.store.get(id)?.files !== undefined && existsSync(join(w.dataDir, id));

      assert.equal((await w.store.applyRetention(t0 + 23 * HOUR)).clips, 0);
      assert.deepEqual(await w.store.applyRetention(t0 + 25 * HOUR), { clips: 1, orphans: 0, foldersPending: 0 });
      assert.deepEqual(
        [segment, likedSegment, clip, fresh].map((c) => filesOf(c.id)),
        [false, true, true, true],
      );
      assert.equal((await w.store.applyRetention(t0 + 27 * HOUR)).clips, 1, 'the later segment a day after it');

      kept.setNow(t0);
      const keptSegment = makeClip(kept.queue, kept.store, kept.dataDir, { userId: 'u1', kind: 'radio' });
      assert.equal((await kept.store.applyRetention(t0 + 400 * DAY)).clips, 0);
      assert.ok(kept.store.get(keptSegment.id)?.files);
    } finally {
      w.close();
      kept.close();
    }
  });

  test('GIVEN keepLiked false THEN liked clips go too; GIVEN keepDays null THEN nothing goes', async () => {
    const strict = world({ retention: { keepDays: 1, keepLiked: false } });
    const forever = world({ retention: { keepDays: null } });
    try {
      for (const w of [strict, forever]) {
        const clip = makeClip(w.queue, w.store, w.dataDir, { userId: 'u1' });
        assert.ok(w.store.recordFeedback({ userId: 'u1', guildId: null, clipId: clip.id, kind: 'like' }).ok);
      }
      assert.equal((await strict.store.applyRetention(1_700_000_000_000 + 2 * DAY)).clips, 1);
      assert.equal((await forever.store.applyRetention(1_700_000_000_000 + 2000 * DAY)).clips, 0);
    } finally {
      strict.close();
      forever.close();
    }
  });
});
