/**
 * Opens Motif's SQLite file with the settings every part relies on, and brings its schema up to date.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import Database from 'better-sqlite3';

import { MIGRATIONS, migrate, type Migration } from './migrations.ts';

export interface DatabaseOptions {
  /** A file (its folder is created), or ':memory:' for tests. */
  readonly path: string;
  /**
   * 'normal' (default): with WAL, a commit is safe when the process crashes or is killed (the WAL is in the
   * OS's page cache), and the file is never corrupted, but the last commits before a power loss or kernel
   * panic may be lost. 'full': every commit is fsynced, so it survives power loss too, at the cost of one
   * fsync per write (slow on the SD cards many self-hosted bots run on). Motif chooses 'normal': a job lost to
   * a power cut is one whose Discord reply could not be sent either, and the user asks again.
   */
  readonly synchronous?: 'normal' | 'full' | undefined;
  /** How long a write waits for another connection's lock before SQLITE_BUSY; default 5000 ms. */
  readonly busyTimeoutMs?: number | undefined;
  /** Only tests change these. */
  readonly migrations?: readonly Migration[] | undefined;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Opens (creating if needed) the database: WAL, foreign keys on, busy timeout, migrations applied. */
export function openDatabase(options: DatabaseOptions): Database.Database {
  const memory = options.path === ':memory:';
  if (!memory) mkdirSync(dirname(options.path), { recursive: true });
  const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS));
  const db = new Database(options.path, { timeout: busyTimeoutMs });
  try {
    // WAL: readers never block the writer and a crash mid-write leaves the file intact. (':memory:' stays 'memory'.)
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
