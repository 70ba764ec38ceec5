/**
 * Clip folders to delete once the transaction that dropped their last reference has committed
 * (`pending_file_deletions`, migration 3).
 *
 * The order is what makes a crash harmless:
 *   1. one transaction removes the rows (or clears `files_dir`) AND records each folder here;
 *   2. after the commit the folders are deleted;
 *   3. then each folder's row here is deleted.
 * A crash before 1 commits changes nothing. A crash after 1 leaves folders that no clip row points to, each
 * listed here, and the next `sweep` (on start, and before every forget or retention run) deletes them. A crash
 * during 2 or 3 is the same: deleting a folder that is already gone is a no-op. Deleting the folders before the
 * commit instead would let a crash leave rows that point to deleted files.
 */
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

import type Database from 'better-sqlite3';

/** How a sweep went: folders deleted, and folders that could not be (kept listed, tried again next time). */
export interface SweepReport {
  /** Listed folders now gone and unlisted (a listed path outside the data directory is unlisted, never deleted). */
  readonly deleted: number;
  readonly failed: readonly { readonly dir: string; readonly error: string }[];
}

export interface PendingDeletions {
  /** Records folders to delete; call inside the transaction that drops their references. Ignores folders outside the data directory. */
  add(dirs: Iterable<string>): void;
  /** Deletes every recorded folder (and the temporary folders of the same job), then its record. */
  sweep(): Promise<SweepReport>;
  /** How many are recorded and not yet deleted. */
  count(): number;
}

/** Job and clip ids are random UUIDs (job-queue.ts); only such folders are ever swept as orphans. */
export const CLIP_FOLDER_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `dir` is a folder strictly inside `dataDir` (never the data directory itself, never outside it). */
export function isInside(dataDir: string, dir: string): boolean {
  const rel = relative(resolve(dataDir), resolve(dir));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

export function createPendingDeletions(db: Database.Database, dataDir: string, clock: () => number): PendingDeletions {
  const sql = {
    add: db.prepare<[string, number]>(
      'INSERT INTO pending_file_deletions (dir, created_at) VALUES (?, ?) ON CONFLICT (dir) DO NOTHING',
    ),
    all: db.prepare<[], string>('SELECT dir FROM pending_file_deletions ORDER BY created_at, dir').pluck(),
    remove: db.prepare<[string]>('DELETE FROM pending_file_deletions WHERE dir = ?'),
    count: db.prepare<[], number>('SELECT count(*) FROM pending_file_deletions').pluck(),
  };
  let sweeping: Promise<SweepReport> | undefined;

  const sweepOnce = async (): Promise<SweepReport> => {
    let deleted = 0;
    const failed: { dir: string; error: string }[] = [];
    for (const dir of sql.all.all()) {
      try {
        if (isInside(dataDir, dir)) await removeClipFolder(dir);
        sql.remove.run(dir);
        deleted++;
      } catch (error) {
        failed.push({ dir, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return { deleted, failed };
  };

  return {
    add(dirs) {
      const now = clock();
      for (const dir of dirs) if (isInside(dataDir, dir)) sql.add.run(resolve(dir), now);
    },
    sweep() {
      // One sweep at a time; a call during a sweep waits for it and then sweeps what was added meanwhile.
      const next = (sweeping ?? Promise.resolve({ deleted: 0, failed: [] })).then(sweepOnce, sweepOnce);
      sweeping = next;
      return next;
    },
    count: () => sql.count.get() ?? 0,
  };
}

/** Deletes a clip folder and the temporary folders an interrupted write of the same job left (`.ID.xxxx.tmp`). */
async function removeClipFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const parent = dirname(dir);
  const prefix = `.${basename(dir)}.`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return; // the data directory itself is gone: nothing left to delete
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp'))
      await rm(join(parent, name), { recursive: true, force: true });
  }
}
