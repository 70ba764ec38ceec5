/**
 * A finished job's files on disk: DATA_DIR/JOB_ID/clip.{ogg,mid,png,json}. The folder is written under a
 * temporary name and renamed into place, so a reader (or a restart) sees all four files or none.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { ComposedClip } from './clip-job.ts';

export interface ClipFilePaths {
  readonly ogg: string;
  readonly mid: string;
  readonly png: string;
  /** The clip's metadata (ClipMeta), the parent of a later variation or extension. */
  readonly json: string;
}

const SAFE_ID = /^[\w-]{1,100}$/;

/** The folder of one job's clip. */
export function jobClipDir(dataDir: string, jobId: string): string {
  if (!SAFE_ID.test(jobId)) throw new RangeError(`job id "${jobId}" cannot name a folder`);
  return join(dataDir, jobId);
}

/** Writes the clip's files; a folder left by an earlier, interrupted run of the same job is replaced. */
export async function writeJobClip(dataDir: string, jobId: string, made: ComposedClip): Promise<ClipFilePaths> {
  const dir = jobClipDir(dataDir, jobId);
  const temp = join(dataDir, `.${jobId}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(temp, { recursive: true });
    await Promise.all([
      writeFile(join(temp, 'clip.ogg'), made.clip.ogg),
      writeFile(join(temp, 'clip.mid'), made.clip.mid),
      writeFile(join(temp, 'clip.png'), made.clip.png),
      writeFile(join(temp, 'clip.json'), `${JSON.stringify(made.meta, null, 2)}\n`),
    ]);
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return {
    ogg: join(dir, 'clip.ogg'),
    mid: join(dir, 'clip.mid'),
    png: join(dir, 'clip.png'),
    json: join(dir, 'clip.json'),
  };
}

/** Removes a job's clip folder (a job cancelled while its files were being written). */
export async function removeJobClip(dataDir: string, jobId: string): Promise<void> {
  await rm(jobClipDir(dataDir, jobId), { recursive: true, force: true });
}
