import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { openDatabase } from '../../src/db/database.ts';
import { MIGRATIONS, MigrationError, migrate, schemaVersion, type Migration } from '../../src/db/migrations.ts';

const dir = mkdtempSync(join(tmpdir(), 'motif-db-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function tables(db: ReturnType<typeof openDatabase>): string[] {
  return db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
}

describe('openDatabase', () => {
  test('GIVEN a path in a folder that does not exist THEN it creates the file in WAL mode with every migration applied', () => {
    const db = openDatabase({ path: join(dir, 'new', 'motif.db') });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      assert.equal(schemaVersion(db), MIGRATIONS.length);
      assert.deepEqual(tables(db), [
        'clips',
        'feedback_events',
        'guild_settings',
        'guilds',
        'job_queue_clock',
        'jobs',
        'pending_file_deletions',
        'schema_migrations',
        'users',
      ]);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });

  test('GIVEN synchronous full THEN every commit is fsynced', () => {
    const db = openDatabase({ path: join(dir, 'full.db'), synchronous: 'full', busyTimeoutMs: 250 });
    try {
      assert.equal(db.pragma('synchronous', { simple: true }), 2); // FULL
      assert.equal(db.pragma('busy_timeout', { simple: true }), 250);
    } finally {
      db.close();
    }
  });

  test('GIVEN an up-to-date file WHEN it is opened again THEN nothing is applied and the record is unchanged', () => {
    const path = join(dir, 'reopen.db');
    const first = openDatabase({ path });
    const recorded = first.prepare('SELECT version, name, applied_at FROM schema_migrations').all();
    first
      .prepare(
        "INSERT INTO jobs (id, kind, status, user_id, request, created_at, submit_tick) VALUES ('j', 'compose', 'queued', 'u', '{}', 1, 1)",
      )
      .run();
    first.close();
    const again = openDatabase({ path });
    try {
      assert.deepEqual(migrate(again), { from: MIGRATIONS.length, to: MIGRATIONS.length, applied: [] });
      assert.deepEqual(again.prepare('SELECT version, name, applied_at FROM schema_migrations').all(), recorded);
      assert.equal(again.prepare('SELECT count(*) FROM jobs').pluck().get(), 1);
    } finally {
      again.close();
    }
  });

  test('GIVEN ":memory:" THEN it opens with the schema (journal stays in memory)', () => {
    const db = openDatabase({ path: ':memory:' });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'memory');
      assert.equal(schemaVersion(db), MIGRATIONS.length);
    } finally {
      db.close();
    }
  });
});

describe('migrations 2 and 3 on a file made by an older Motif', () => {
  test('GIVEN a file at version 1 with a job in it WHEN it is opened THEN it is migrated to the current version, the job kept and usable by the clip store', () => {
    const path = join(dir, 'version-1.db');
    const old = openDatabase({ path, migrations: MIGRATIONS.slice(0, 1) });
    const job = {
      id: '0f0e0d0c-0000-4000-8000-000000000001',
      kind: 'compose',
      status: 'done',
      user_id: 'u-old',
      guild_id: 'g-old',
      channel_id: 'c-old',
      interaction_token: null,
      request: '{"kind":"compose","style":"jazz"}',
      result: '{"files":{}}',
      error: null,
      attempts: 1,
      created_at: 1000,
      started_at: 1001,
      finished_at: 1002,
      submit_tick: 1,
      start_tick: 2,
    };
    old
      .prepare(
        `INSERT INTO jobs VALUES (@id, @kind, @status, @user_id, @guild_id, @channel_id, @interaction_token, @request,
           @result, @error, @attempts, @created_at, @started_at, @finished_at, @submit_tick, @start_tick)`,
      )
      .run(job);
    assert.equal(schemaVersion(old), 1);
    assert.deepEqual(tables(old), ['job_queue_clock', 'jobs', 'schema_migrations']);
    old.close();

    const db = openDatabase({ path });
    try {
      assert.equal(schemaVersion(db), MIGRATIONS.length);
      assert.deepEqual(
        db.prepare<[], number>('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
        MIGRATIONS.map((migration) => migration.version),
      );
      assert.deepEqual(db.prepare('SELECT * FROM jobs').all(), [job]);
      assert.ok(tables(db).includes('clips') && tables(db).includes('pending_file_deletions'));
      // The old job's clip can be recorded against the new tables, with their foreign keys.
      db.prepare("INSERT INTO users (id, created_at) VALUES ('u-old', 1)").run();
      db.prepare(
        `INSERT INTO clips (id, user_id, kind, style, style_mix, tempo, key, length_seconds, seed, instruments,
           model_version, meta, created_at) VALUES (?, 'u-old', 'compose', 'jazz', '{"jazz":1}', 120, 'C major', 20, 1,
           '{}', 'v1', '{}', 1)`,
      ).run(job.id);
      assert.throws(
        () =>
          db
            .prepare(
              "INSERT INTO feedback_events (user_id, kind, style_mix, created_at) VALUES ('nobody', 'like', '{}', 1)",
            )
            .run(),
        /FOREIGN KEY/,
      );
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
    } finally {
      db.close();
    }
  });
});

describe('migration 3 on a file at version 2', () => {
  test('GIVEN a file at version 2 with a user, a clip and a feedback event WHEN it is opened THEN the rows are kept and pending_file_deletions exists', () => {
    const path = join(dir, 'version-2.db');
    const old = openDatabase({ path, migrations: MIGRATIONS.slice(0, 2) });
    old.exec(`
      INSERT INTO users (id, created_at) VALUES ('u2', 5);
      INSERT INTO clips (id, user_id, kind, style, style_mix, tempo, key, length_seconds, seed, instruments,
        model_version, meta, files_dir, created_at)
        VALUES ('c2', 'u2', 'compose', 'lofi', '{"lofi":1}', 82, 'F major', 20, 7, '{}', 'v1', '{}', '/data/c2', 6);
      INSERT INTO feedback_events (user_id, clip_id, kind, style_mix, created_at) VALUES ('u2', 'c2', 'like', '{"lofi":1}', 7);
    `);
    const before = ['users', 'clips', 'feedback_events'].map((table) => old.prepare(`SELECT * FROM ${table}`).all());
    assert.equal(schemaVersion(old), 2);
    old.close();

    const db = openDatabase({ path });
    try {
      assert.equal(schemaVersion(db), MIGRATIONS.length);
      assert.deepEqual(
        ['users', 'clips', 'feedback_events'].map((table) => db.prepare(`SELECT * FROM ${table}`).all()),
        before,
      );
      assert.equal(db.prepare('SELECT count(*) FROM pending_file_deletions').pluck().get(), 0);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });
});

describe('migrate', () => {
  const current = MIGRATIONS.length;
  const next = current + 1;
  const second: Migration = {
    version: next,
    name: 'create notes',
    up: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT',
  };

  test('GIVEN a new migration THEN only it is applied, and recorded', () => {
    const db = openDatabase({ path: ':memory:' });
    try {
      assert.deepEqual(migrate(db, [...MIGRATIONS, second]), { from: current, to: next, applied: [next] });
      assert.ok(tables(db).includes('notes'));
      assert.deepEqual(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all(), [
        ...MIGRATIONS.map(({ version, name }) => ({ version, name })),
        { version: next, name: 'create notes' },
      ]);
    } finally {
      db.close();
    }
  });

  test('GIVEN a migration that fails half way THEN all of it is rolled back and the version is unchanged', () => {
    const path = join(dir, 'failing.db');
    openDatabase({ path }).close();
    const failing: Migration = {
      version: next,
      name: 'half done',
      up: (db) => {
        db.exec('CREATE TABLE half (id INTEGER PRIMARY KEY)');
        db.exec('INSERT INTO half (id) VALUES (1)');
        db.exec('INSERT INTO no_such_table VALUES (1)');
      },
    };
    assert.throws(
      () => openDatabase({ path, migrations: [...MIGRATIONS, failing, { ...second, version: next + 1 }] }),
      (error: unknown) => error instanceof MigrationError && error.version === next && /half done/.test(error.message),
    );
    const db = openDatabase({ path });
    try {
      assert.equal(schemaVersion(db), current);
      assert.ok(!tables(db).includes('half'));
      assert.ok(!tables(db).includes('notes'));
    } finally {
      db.close();
    }
  });

  test('GIVEN a database newer than the code THEN it refuses to open it', () => {
    const path = join(dir, 'newer.db');
    openDatabase({ path, migrations: [...MIGRATIONS, second] }).close();
    assert.throws(
      () => openDatabase({ path }),
      (error: unknown) =>
        error instanceof MigrationError && error.version === next && /newer Motif/.test(error.message),
    );
  });

  test('GIVEN migrations out of order THEN it refuses to run them', () => {
    const db = openDatabase({ path: ':memory:' });
    try {
      assert.throws(
        () => migrate(db, [...MIGRATIONS, { ...second, version: next + 1 }]),
        new RegExp(`expected ${next}`),
      );
      assert.equal(schemaVersion(db), current);
    } finally {
      db.close();
    }
  });
});
