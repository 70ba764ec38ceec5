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
