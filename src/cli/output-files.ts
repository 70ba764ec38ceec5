import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile, access, constants } from 'node:fs/promises';
import { join } from 'node:path';

/** Files of one clip, keyed by extension ("ogg", "mid", "png", "json"). */
export type ClipFiles = Readonly<Record<string, Uint8Array | string>>;

export class OutputError extends Error {
  readonly dir: string;
  constructor(message: string, dir: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OutputError';
    this.dir = dir;
  }
}

/** Checks up front that `dir` exists (or can be made) and is writable, so no work is wasted on a bad --out. */
export async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (cause) {
    throw new OutputError(`cannot write to output directory ${dir}: ${describe(cause)}`, dir, { cause });
  }
}

/**
 * Writes DIR/NAME.EXT for every entry, all or nothing: each file goes to a temporary name first and is renamed
 * into place only when every write succeeded; on any failure the temporaries (and any already renamed) are removed.
 * Returns the final paths.
 */
export async function writeClipFiles(dir: string, name: string, files: ClipFiles): Promise<string[]> {
  const tag = randomBytes(4).toString('hex');
  const entries = Object.entries(files).map(([ext, data]) => ({
    data,
    temp: join(dir, `.${name}.${ext}.${tag}.tmp`),
    final: join(dir, `${name}.${ext}`),
  }));
  const renamed: string[] = [];
  try {
    for (const entry of entries) await writeFile(entry.temp, entry.data);
    for (const entry of entries) {
      await rename(entry.temp, entry.final);
      renamed.push(entry.final);
    }
    return renamed;
  } catch (cause) {
    await Promise.all([
      ...entries.map((e) => rm(e.temp, { force: true })),
      ...renamed.map((p) => rm(p, { force: true })),
    ]);
    throw new OutputError(`could not write ${name} into ${dir}: ${describe(cause)}`, dir, { cause });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string')
    return `${error.code} ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
