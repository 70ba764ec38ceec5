/**
 * A person's own data: everything of theirs as one JSON document (/export-me), and deleting all of it
 * (/forget-me).
 *
 * What is theirs: their `users` row, their `jobs`, their `clips` (and the clip folders), their
 * `feedback_events`. What is not: `guilds` and `guild_settings` (a setting they changed belongs to the server;
 * `updated_by` is kept as a plain id), and other people's rows. Deleting their clips sets, by the schema,
 * `parent_id` of other people's clips made from them and `clip_id` of other people's feedback on them to NULL;
 * those events keep their own copy of the clip's style, mood and tempo, so other people's taste is unchanged.
 */
import { existsSync } from 'node:fs';

import type Database from 'better-sqlite3';

import { jobClipDir } from '../inference/job-clip-files.ts';
import type { PendingDeletions } from './pending-deletions.ts';

export const USER_EXPORT_FORMAT = 'motif-user-export';
export const USER_EXPORT_VERSION = 1;

/** The tables that hold a person's rows, and the column that says whose a row is. */
const OWNED_TABLES = [
  { table: 'users', owner: 'id', order: 'rowid' },
  { table: 'jobs', owner: 'user_id', order: 'rowid' },
  { table: 'clips', owner: 'user_id', order: 'rowid' },
  { table: 'feedback_events', owner: 'user_id', order: 'rowid' },
] as const;
export type OwnedTable = (typeof OWNED_TABLES)[number]['table'];

/** Columns holding JSON text; the export shows them as JSON values rather than strings. */
const JSON_COLUMNS: Readonly<Record<OwnedTable, readonly string[]>> = {
  users: [],
  jobs: ['request', 'result'],
  clips: ['style_mix', 'instruments', 'meta'],
  feedback_events: ['style_mix', 'instruments'],
};

export interface UserExport {
  readonly format: typeof USER_EXPORT_FORMAT;
  readonly version: typeof USER_EXPORT_VERSION;
  readonly userId: string;
  /** ms since the epoch. */
  readonly exportedAt: number;
  readonly notes: readonly string[];
  /** Every row of the user, column names as in the database, JSON columns parsed. */
  readonly tables: Readonly<Record<OwnedTable, readonly Readonly<Record<string, unknown>>[]>>;
}

export interface ForgetReport {
  readonly users: number;
  readonly jobs: number;
  readonly clips: number;
  readonly feedbackEvents: number;
  /** Clip folders of theirs that existed and were deleted. */
  readonly folders: number;
  /** Folders that could not be deleted now: still listed, deleted by the next sweep. */
  readonly foldersPending: number;
}

/** One read transaction, so the tables agree with each other. */
export function exportUserData(db: Database.Database, userId: string, now: number): UserExport {
  const read = db.transaction((): UserExport['tables'] => {
    const tables: Partial<Record<OwnedTable, Record<string, unknown>[]>> = {};
    for (const { table, owner, order } of OWNED_TABLES) {
      const rows = db
        .prepare<[string], Record<string, unknown>>(`SELECT * FROM ${table} WHERE ${owner} = ? ORDER BY ${order}`)
        .all(userId);
      tables[table] = rows.map((row) => exportRow(table, row));
    }
    return {
      users: tables.users ?? [],
      jobs: tables.jobs ?? [],
      clips: tables.clips ?? [],
      feedback_events: tables.feedback_events ?? [],
    };
  });
  return {
    format: USER_EXPORT_FORMAT,
    version: USER_EXPORT_VERSION,
    userId,
    exportedAt: now,
    notes: [
      'Times are milliseconds since 1970-01-01 UTC.',
      "jobs.interaction_token is left out: it is Discord's short-lived key for the bot's reply, not your data.",
      'Clip audio, MIDI and pictures are in the messages that carried them; files_dir is where Motif keeps a copy.',
    ],
    tables: read.deferred(),
  };
}

function exportRow(table: OwnedTable, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  for (const column of JSON_COLUMNS[table]) {
    const text = out[column];
    if (typeof text === 'string') out[column] = JSON.parse(text);
  }
  if (table === 'jobs' && out['interaction_token'] !== null) out['interaction_token'] = null;
  return out;
}

/**
 * Deletes every row of the user and, after the commit, their clip folders. The order (pending-deletions.ts):
 * one IMMEDIATE transaction lists every folder of theirs (each clip's files_dir and each job's folder, which
 * also covers a job that wrote files but was never recorded as a clip) in `pending_file_deletions` and deletes
 * the rows; after the commit the folders are deleted and their listing removed. A crash before the commit
 * leaves everything as it was; after it, no row of theirs is left, and the listed folders are deleted by the
 * next sweep. A job of theirs still being composed loses its row, so the inference service's `complete`
 * fails and it deletes the folder it wrote (inference-service.ts); the bot should still cancel such jobs
 * first, to stop the work.
 */
export async function forgetUserData(
  db: Database.Database,
  pending: PendingDeletions,
  dataDir: string,
  userId: string,
): Promise<ForgetReport> {
  const forget = db.transaction(() => {
    const dirs = new Set<string>();
    for (const dir of db
      .prepare<[string], string>('SELECT files_dir FROM clips WHERE user_id = ? AND files_dir IS NOT NULL')
      .pluck()
      .all(userId)) {
      dirs.add(dir);
    }
    for (const jobId of db.prepare<[string], string>('SELECT id FROM jobs WHERE user_id = ?').pluck().all(userId)) {
      try {
        dirs.add(jobClipDir(dataDir, jobId));
      } catch {
        // an id that cannot name a folder never had one
      }
    }
    pending.add(dirs);
    // Children first, so each count is what this user had (the cascade would delete the same rows).
    const feedbackEvents = db.prepare('DELETE FROM feedback_events WHERE user_id = ?').run(userId).changes;
    const clips = db.prepare('DELETE FROM clips WHERE user_id = ?').run(userId).changes;
    const jobs = db.prepare('DELETE FROM jobs WHERE user_id = ?').run(userId).changes;
    const users = db.prepare('DELETE FROM users WHERE id = ?').run(userId).changes;
    return { users, jobs, clips, feedbackEvents, existing: [...dirs].filter((dir) => existsSync(dir)).length };
  });
  const counts = forget.immediate();
  const swept = await pending.sweep();
  const foldersPending = swept.failed.length;
  return {
    users: counts.users,
    jobs: counts.jobs,
    clips: counts.clips,
    feedbackEvents: counts.feedbackEvents,
    folders: Math.max(0, counts.existing - foldersPending),
    foldersPending,
  };
}
