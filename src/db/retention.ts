/**
 * The retention policy for clip files: a clip's folder is deleted once it is older than `keepDays` (a radio
 * segment's once it is older than `radioKeepHours`: an evening of radio makes hundreds), unless someone likes it
 * (`keepLiked`: some person's latest like-or-dislike of it is a like). The clip's row stays,
 * with `files_dir` NULL: /history still lists it, and its metadata (with the grid) still lets a variation or
 * extension start from it. Folders in the data directory that no clip and no job refers to (a crash between
 * writing a job's files and recording them) are deleted too. Same order as /forget-me (pending-deletions.ts):
 * references cleared and folders listed in one transaction, folders deleted after the commit.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';

import type Database from 'better-sqlite3';

import { CLIP_FOLDER_NAME, type PendingDeletions } from './pending-deletions.ts';

export interface RetentionPolicy {
  /** Days a clip's files are kept; null keeps them for ever. */
  readonly keepDays: number | null;
  /** Keep the files of every clip someone likes, however old. */
  readonly keepLiked: boolean;
  /** Hours a radio segment's files are kept (sooner than `keepDays` only); null: as long as other clips'. */
  readonly radioKeepHours: number | null;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepDays: 30, keepLiked: true, radioKeepHours: 24 };

export interface RetentionReport {
  /** Clips whose files were removed (their rows now have files_dir NULL). */
  readonly clips: number;
  /** Folders no row referred to, removed. */
  readonly orphans: number;
  /** Folders that could not be deleted now (deleted by a later sweep). */
  readonly foldersPending: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** A job's temporary folder (`.ID.xxxxxxxx.tmp`) older than this was left by a crash. */
const STALE_TEMP_MS = 3_600_000;
const TEMP_FOLDER_NAME = /^\.([0-9a-f-]{36})\.[0-9a-f]+\.tmp$/;

export async function applyRetentionPolicy(
  db: Database.Database,
  pending: PendingDeletions,
  dataDir: string,
  policy: RetentionPolicy,
  now: number,
): Promise<RetentionReport> {
  const expire = db.transaction((): { clips: number; orphans: number } => {
    let clips = 0;
    const before =
      policy.keepDays !== null && Number.isFinite(policy.keepDays) ? now - Math.max(0, policy.keepDays) * DAY_MS : null;
    const radioBefore =
      policy.radioKeepHours !== null && Number.isFinite(policy.radioKeepHours)
        ? now - policy.radioKeepHours * HOUR_MS
        : before;
    if (before !== null || radioBefore !== null) {
      const liked = `EXISTS (
        SELECT 1 FROM feedback_events l WHERE l.clip_id = c.id AND l.kind = 'like' AND NOT EXISTS (
          SELECT 1 FROM feedback_events d
          WHERE d.clip_id = c.id AND d.user_id = l.user_id AND d.kind = 'dislike' AND d.id > l.id))`;
      const rows = db
        .prepare<[number, number], { id: string; files_dir: string }>(
          `SELECT id, files_dir FROM clips c WHERE files_dir IS NOT NULL
           AND (created_at < ? OR (kind = 'radio' AND created_at < ?))
           ${policy.keepLiked ? `AND NOT ${liked}` : ''}`,
        )
        // No limit for one kind: a time before any clip.
        .all(before ?? Number.MIN_SAFE_INTEGER, radioBefore ?? Number.MIN_SAFE_INTEGER);
      pending.add(rows.map((row) => row.files_dir));
      const clear = db.prepare<[string]>('UPDATE clips SET files_dir = NULL WHERE id = ?');
      for (const row of rows) clips += clear.run(row.id).changes;
    }
    const orphans = orphanFolders(db, dataDir, now);
    pending.add(orphans);
    return { clips, orphans: orphans.length };
  });
  const counts = expire.immediate();
  const swept = await pending.sweep();
  return { clips: counts.clips, orphans: counts.orphans, foldersPending: swept.failed.length };
}

/** Folders named like a job id that no clip's files_dir and no job names, and stale temporary folders. */
function orphanFolders(db: Database.Database, dataDir: string, now: number): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dataDir, { withFileTypes: true });
  } catch {
    return []; // no data directory yet
  }
  const referenced = new Set<string>(
    db.prepare<[], string>('SELECT files_dir FROM clips WHERE files_dir IS NOT NULL').pluck().all(),
  );
  const jobExists = db.prepare<[string], number>('SELECT count(*) FROM jobs WHERE id = ?').pluck();
  const orphans: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = resolve(join(dataDir, entry.name));
    if (CLIP_FOLDER_NAME.test(entry.name)) {
      if (!referenced.has(dir) && jobExists.get(entry.name) === 0) orphans.push(dir);
      continue;
    }
    const temp = TEMP_FOLDER_NAME.exec(entry.name);
    if (temp !== null && now - statSync(dir).mtimeMs > STALE_TEMP_MS) orphans.push(dir);
  }
  return orphans;
}
