/**
 * Versioned, forward-only migrations. Each runs in its own IMMEDIATE transaction together with the row that
 * records it in `schema_migrations`, so a migration is applied entirely or not at all, and two processes
 * opening the same file at once apply it once. To change the schema, append a migration with the next
 * version; never edit one that has shipped.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  /** 1, 2, 3 ... in order, no gaps. */
  readonly version: number;
  readonly name: string;
  /**
   * SQL (may hold several statements) or a function, run inside the migration's transaction. Nothing that
   * cannot run in a transaction (VACUUM, journal_mode, foreign_keys): a table rebuild checks its own
   * references with `PRAGMA foreign_key_check` instead.
   */
  readonly up: string | ((db: Database.Database) => void);
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create jobs',
    up: `
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('compose', 'variation', 'extension', 'regenerate')),
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        user_id TEXT NOT NULL,
        guild_id TEXT,
        channel_id TEXT,
        interaction_token TEXT,
        request TEXT NOT NULL,            -- JSON
        result TEXT,                      -- JSON
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,      -- ms since the epoch
        started_at INTEGER,
        finished_at INTEGER,
        submit_tick INTEGER NOT NULL UNIQUE,  -- queue clock (job_queue_clock) when submitted: order within a user
        start_tick INTEGER                    -- queue clock when last started: whose turn is next
      ) STRICT;
      -- The queue's logical clock: one counter for submits and starts, so their order is exact even when
      -- several happen in the same millisecond.
      CREATE TABLE job_queue_clock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        tick INTEGER NOT NULL
      ) STRICT;
      INSERT INTO job_queue_clock (id, tick) VALUES (1, 0);
      CREATE INDEX jobs_status_submit ON jobs (status, submit_tick);
      CREATE INDEX jobs_user_status ON jobs (user_id, status);
      CREATE INDEX jobs_user_turn ON jobs (user_id, start_tick);
      CREATE INDEX jobs_guild_status ON jobs (guild_id, status);
      CREATE INDEX jobs_status_finished ON jobs (status, finished_at);
    `,
  },
  {
    version: 2,
    name: 'create users, guilds, guild settings, clips and feedback events',
    up: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY NOT NULL,     -- Discord user id
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE guilds (
        id TEXT PRIMARY KEY NOT NULL,     -- Discord guild id
        created_at INTEGER NOT NULL
      ) STRICT;
      -- What a member with Manage Server set with /settings; a guild without a row uses the defaults.
      CREATE TABLE guild_settings (
        guild_id TEXT PRIMARY KEY NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
        allowed_channels TEXT NOT NULL DEFAULT '[]',  -- JSON array of channel ids; empty = every channel
        max_length_seconds INTEGER,                   -- NULL = the bot's own limit
        voice_enabled INTEGER NOT NULL DEFAULT 1 CHECK (voice_enabled IN (0, 1)),
        updated_by TEXT,                              -- user id; not a reference, so /forget-me keeps the setting
        updated_at INTEGER NOT NULL
      ) STRICT;
      -- A finished clip. Its id is the id of the job that made it; its files sit in files_dir.
      CREATE TABLE clips (
        id TEXT PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,  -- who asked (or pressed the button)
        guild_id TEXT REFERENCES guilds (id) ON DELETE SET NULL,
        channel_id TEXT,
        message_id TEXT,                  -- the Discord message that carries it, once posted
        kind TEXT NOT NULL CHECK (kind IN ('compose', 'variation', 'extension', 'regenerate', 'radio')),
        parent_id TEXT REFERENCES clips (id) ON DELETE SET NULL,
        style TEXT NOT NULL,              -- the style selection's label ("jazz", "jazz:0.6,lofi:0.4")
        style_mix TEXT NOT NULL,          -- JSON {style: weight}, weights sum to 1
        mood TEXT,
        tempo REAL NOT NULL,
        key TEXT NOT NULL,
        length_seconds REAL NOT NULL,
        seed INTEGER NOT NULL,
        instruments TEXT NOT NULL,        -- JSON {role: GM program}
        model_version TEXT NOT NULL,
        meta TEXT NOT NULL,               -- JSON ClipMeta, with the generated grid
        files_dir TEXT,                   -- NULL once the retention policy removed the files
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX clips_user_created ON clips (user_id, created_at);
      CREATE INDEX clips_guild_created ON clips (guild_id, created_at);
      CREATE INDEX clips_parent ON clips (parent_id);
      -- One thing a person did with a clip. It carries its own copy of what the clip was (style mix, mood, tempo,
      -- instruments) so that it still teaches its author's taste after the clip's owner deleted their data.
      CREATE TABLE feedback_events (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        guild_id TEXT REFERENCES guilds (id) ON DELETE SET NULL,
        clip_id TEXT REFERENCES clips (id) ON DELETE SET NULL,
        kind TEXT NOT NULL CHECK (kind IN ('like', 'dislike', 'play', 'skip', 'variation', 'extend', 'regenerate', 'radio-listen')),
        value REAL,                       -- seconds listened (radio-listen); NULL otherwise
        style_mix TEXT NOT NULL,          -- JSON {style: weight}
        mood TEXT,
        tempo REAL,
        instruments TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX feedback_user_created ON feedback_events (user_id, created_at);
      CREATE INDEX feedback_guild_created ON feedback_events (guild_id, created_at);
      CREATE INDEX feedback_clip ON feedback_events (clip_id);
    `,
  },
  {
    version: 3,
    name: 'create pending file deletions',
    up: `
      -- Clip folders whose rows are already gone (/forget-me) or no longer point at them (retention), written in
      -- the same transaction that removed the reference. The folders are deleted after the commit and their rows
      -- then removed; a crash in between leaves the row, and the next sweep deletes the folder. No user id: the
      -- folder is named after a job id, which nothing links to a person any more.
      CREATE TABLE pending_file_deletions (
        dir TEXT PRIMARY KEY NOT NULL,    -- absolute path of a folder inside the data directory
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

/** A migration that failed (rolled back) or a database newer than this code. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  /** The migration that failed, or the database's version when it is newer than this code knows. */
  readonly version: number;
  override readonly cause: unknown;

  constructor(message: string, version: number, cause?: unknown) {
    super(message, { cause });
    this.version = version;
    this.cause = cause;
  }
}

export interface MigrationReport {
  readonly from: number;
  readonly to: number;
  /** Versions applied by this call, in order. */
  readonly applied: readonly number[];
}

/** The highest migration recorded in the database; 0 for a new file. */
export function schemaVersion(db: Database.Database): number {
  const exists = db
    .prepare<[], number>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .pluck()
    .get();
  if (exists !== 1) return 0;
  return db.prepare<[], number>('SELECT coalesce(max(version), 0) FROM schema_migrations').pluck().get() ?? 0;
}

/** Applies every migration newer than the database's version; a no-op when it is up to date. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): MigrationReport {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration "${migration.name}" has version ${migration.version}, expected ${index + 1}`);
    }
  });
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const from = schemaVersion(db);
  const latest = migrations.length;
  if (from > latest) {
    throw new MigrationError(
      `the database is at schema version ${from} but this Motif knows only up to ${latest}: run a newer Motif`,
      from,
    );
  }
  const applied: number[] = [];
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  for (const migration of migrations.slice(from)) {
    const apply = db.transaction(() => {
      // Another process may have applied it between our read and this transaction's lock.
      if (schemaVersion(db) >= migration.version) return false;
      if (typeof migration.up === 'string') db.exec(migration.up);
      else migration.up(db);
      record.run(migration.version, migration.name, Date.now());
      return true;
    });
    try {
      if (apply.immediate()) applied.push(migration.version);
    } catch (error) {
      throw new MigrationError(
        `migration ${migration.version} ("${migration.name}") failed and was rolled back: ${String(error)}`,
        migration.version,
        error,
      );
    }
  }
  return { from, to: schemaVersion(db), applied };
}
