/**
 * Decoded SoundFont samples kept once per process, in shared memory, for every render worker.
 *
 * spessasynth_core decodes a sample (Vorbis in an SF3, 16-bit PCM in an SF2) into a Float32Array the first time
 * a voice plays it, and keeps it: so each worker that parses the same SoundFont ends up holding its own copy of
 * every sample it has played (about 430 MB for all of MuseScore General Lite). Here the first worker that needs a
 * sample decodes it, copies it into one growable SharedArrayBuffer (the arena) and publishes where it lies; every
 * worker then points its own sound bank's sample at a Float32Array view onto the arena (`setAudioData`), so
 * spessasynth_core plays from the shared copy and never decodes that sample again in that worker.
 *
 * Only what is played gets decoded, when it is first played: a bot that renders a few styles holds the samples of
 * those instruments, not the whole bank, and starting the pool costs nothing.
 *
 * The compressed samples are shared too: parsing an SF3, spessasynth_core copies each sample's Vorbis stream out
 * of the file (40 MB per worker for MuseScore General Lite). `parseSharingCompressedData` parses the file without
 * its sample data and points every sample at its stream in the file bytes, which the pool already shares, so
 * no copy is ever made; for a file it cannot parse that way, `shareCompressedData` points the copies of a whole
 * parse back at the file bytes.
 *
 * Relies on these behaviours of spessasynth_core 4.x: `BasicSample.setAudioData(data, sampleRate)` makes
 * `getAudioData()` return `data` (it also drops the compressed copy); `setCompressedData(bytes)` makes it decode
 * `bytes` instead, and `getRawData(true)` returns a compressed sample's stream; two parses of the same file list
 * the same samples in the same order (`BasicSoundBank.samples`, the order of the file's sample headers), so a
 * sample's index names it across workers.
 */

import { SoundBankLoader, type BasicPreset, type BasicSample, type BasicSoundBank } from 'spessasynth_core';

/** Most samples a SoundFont 2 can hold: sample indices in its instrument zones are 16-bit. */
const MAX_SAMPLES = 65_536;

/**
 * Address space reserved for the arena. Only what is written counts in memory (the arena grows as samples
 * arrive); past this, workers decode privately, as spessasynth_core would on its own.
 */
const DEFAULT_MAX_BYTES = 2 ** 31;

/** How long a worker waits for another worker's decode before decoding the sample itself. */
const WAIT_MS = 10_000;

/** Int32 slots per sample in the table: state, offset and length (both in float32 units). */
const SLOT_INTS = 3;

/** Int32s before the first sample slot: the next free float32 in the arena. */
const HEADER_INTS = 1;

const SampleState = {
  /** Nobody has decoded it. */
  empty: 0,
  /** A worker is decoding it; wait on the state. */
  decoding: 1,
  /** In the arena at the slot's offset and length. */
  shared: 2,
  /** Could not be shared (arena full, or its decoder vanished): each worker decodes its own. */
  unshared: 3,
} as const;

/** What the pool creates once and hands to every worker. */
export interface SharedSampleBuffers {
  /** Int32s: the arena's next free float32, then per sample index its state, offset and length. */
  readonly table: SharedArrayBuffer;
  /** Decoded float32 sample data; growable up to the byte length reserved. */
  readonly arena: SharedArrayBuffer;
}

export interface SharedSampleBuffersOptions {
  /** Address space reserved for decoded samples (default 2 GiB); only what is used is committed. */
  readonly maxBytes?: number | undefined;
}

/** Empty shared buffers for one SoundFont; create them once per pool. */
export function createSharedSampleBuffers(options: SharedSampleBuffersOptions = {}): SharedSampleBuffers {
  // Offsets are Int32s in float32 units: at most 8 GiB.
  const maxFloats = Math.min(
    2 ** 31 - 1,
    Math.floor((options.maxBytes ?? DEFAULT_MAX_BYTES) / Float32Array.BYTES_PER_ELEMENT),
  );
  return {
    table: new SharedArrayBuffer((HEADER_INTS + MAX_SAMPLES * SLOT_INTS) * Int32Array.BYTES_PER_ELEMENT),
    arena: new SharedArrayBuffer(0, { maxByteLength: maxFloats * Float32Array.BYTES_PER_ELEMENT }),
  };
}

/** Bytes of decoded sample data in the arena (reserved by decodes, finished or not). */
export function sharedSampleBytes(buffers: SharedSampleBuffers): number {
  return Atomics.load(new Int32Array(buffers.table), 0) * Float32Array.BYTES_PER_ELEMENT;
}

/** True when the value has the shape of SharedSampleBuffers (checks a worker's start data). */
export function isSharedSampleBuffers(value: unknown): value is SharedSampleBuffers {
  if (typeof value !== 'object' || value === null) return false;
  const buffers = value as Partial<Record<keyof SharedSampleBuffers, unknown>>;
  return buffers.table instanceof SharedArrayBuffer && buffers.arena instanceof SharedArrayBuffer;
}

/** One worker's side of the shared samples: points its sound bank's samples into the arena. */
export class SharedSamples {
  private readonly table: Int32Array;
  private readonly arena: SharedArrayBuffer;
  private readonly indices: Map<BasicSample, number>;
  /** Samples this worker has already dealt with (shared, or left to spessasynth_core). */
  private readonly settled = new Set<BasicSample>();

  constructor(buffers: SharedSampleBuffers, soundBank: BasicSoundBank) {
    this.table = new Int32Array(buffers.table);
    this.arena = buffers.arena;
    this.indices = new Map(soundBank.samples.map((sample, index) => [sample, index]));
  }

  /** Makes every sample `preset` plays for this key and velocity play from the arena. */
  shareVoices(preset: BasicPreset, key: number, velocity: number): void {
    for (const voice of preset.getVoiceParameters(key, velocity)) this.share(voice.sample);
  }

  /**
   * Points `sample` at its shared decoded data, decoding and publishing it first when no worker has. Samples
   * that cannot be shared are left alone: spessasynth_core decodes them privately, with the same result.
   */
  share(sample: BasicSample): void {
    if (this.settled.has(sample)) return;
    this.settled.add(sample);
    const index = this.indices.get(sample);
    if (index === undefined || index >= MAX_SAMPLES) return;
    const slot = HEADER_INTS + index * SLOT_INTS;
    for (;;) {
      const state = Atomics.compareExchange(this.table, slot, SampleState.empty, SampleState.decoding);
      if (state === SampleState.empty) {
        this.decodeAndPublish(sample, slot);
        return;
      }
      if (state === SampleState.shared) {
        this.adopt(sample, slot);
        return;
      }
      if (state === SampleState.unshared) return;
      if (Atomics.wait(this.table, slot, SampleState.decoding, WAIT_MS) === 'timed-out') {
        // The decoding worker died (or hangs): stop everyone waiting for it. If it does finish, it keeps its copy.
        Atomics.compareExchange(this.table, slot, SampleState.decoding, SampleState.unshared);
        Atomics.notify(this.table, slot);
      }
    }
  }

  private decodeAndPublish(sample: BasicSample, slot: number): void {
    let state: number = SampleState.unshared;
    try {
      const decoded = sample.getAudioData();
      const offset = this.reserve(decoded.length);
      if (offset !== undefined) {
        const view = new Float32Array(this.arena, offset * Float32Array.BYTES_PER_ELEMENT, decoded.length);
        view.set(decoded);
        Atomics.store(this.table, slot + 1, offset);
        Atomics.store(this.table, slot + 2, decoded.length);
        sample.setAudioData(view, sample.sampleRate);
        state = SampleState.shared;
      }
    } finally {
      // A waiter that gave up on us has already marked the sample unshared; then our view stays ours alone.
      Atomics.compareExchange(this.table, slot, SampleState.decoding, state);
      Atomics.notify(this.table, slot);
    }
  }

  private adopt(sample: BasicSample, slot: number): void {
    const offset = Atomics.load(this.table, slot + 1);
    const length = Atomics.load(this.table, slot + 2);
    sample.setAudioData(
      new Float32Array(this.arena, offset * Float32Array.BYTES_PER_ELEMENT, length),
      sample.sampleRate,
    );
  }

  /** Takes `length` floats at the end of the arena, growing it; undefined when they do not fit. */
  private reserve(length: number): number | undefined {
    const limit = this.arena.maxByteLength / Float32Array.BYTES_PER_ELEMENT;
    for (;;) {
      const offset = Atomics.load(this.table, 0);
      if (offset + length > limit) return undefined;
      if (Atomics.compareExchange(this.table, 0, offset, offset + length) === offset) {
        this.growTo((offset + length) * Float32Array.BYTES_PER_ELEMENT);
        return offset;
      }
    }
  }

  /** Grows the arena to at least `byteLength`; another worker may have grown it further meanwhile. */
  private growTo(byteLength: number): void {
    while (this.arena.byteLength < byteLength) {
      try {
        this.arena.grow(byteLength);
      } catch (error) {
        // grow() refuses to shrink: a RangeError here means another worker grew it past us first.
        if (this.arena.byteLength < byteLength) throw error;
      }
    }
  }
}

/** Bytes per sample header (`shdr` record) in a SoundFont 2 file. */
const SAMPLE_HEADER_BYTES = 46;

/**
 * Parses an SF3 whose every sample is compressed without spessasynth_core copying the Vorbis streams out of the
 * file: it parses a skeleton of the file, every chunk but the sample data (180 KB for MuseScore General Lite),
 * then every sample is pointed at its stream inside `file`. Parsing the whole file instead makes each worker copy
 * all the streams (40 MB) and drop them again, and its allocator keeps much of that memory.
 * @returns the sound bank, or undefined when `file` is not laid out that way (a sample stored as PCM, an SF2):
 *   parse it whole then and call {@link shareCompressedData}.
 */
export function parseSharingCompressedData(file: Uint8Array): BasicSoundBank | undefined {
  const chunks = findSampleChunks(file);
  if (chunks?.smplListAt === undefined) return undefined;
  const { smpl, shdr, smplListAt } = chunks;
  const headers = new DataView(file.buffer, file.byteOffset + shdr.offset, shdr.length);
  // The last header (EOS) only ends the list.
  const count = Math.floor(shdr.length / SAMPLE_HEADER_BYTES) - 1;
  if (count < 1) return undefined;
  const streams: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const header = index * SAMPLE_HEADER_BYTES;
    if ((headers.getUint16(header + 44, true) & COMPRESSED_SAMPLE) === 0) return undefined;
    const start = smpl.offset + headers.getUint32(header + 20, true);
    const end = smpl.offset + headers.getUint32(header + 24, true);
    if (end > smpl.offset + smpl.length || end <= start) return undefined;
    streams.push(file.subarray(start, end));
  }
  // The skeleton: the file less the smpl chunk's contents, with that chunk, its LIST and the RIFF form shorter.
  const removed = smpl.length;
  const skeleton = new Uint8Array(file.byteLength - removed);
  skeleton.set(file.subarray(0, smpl.offset));
  skeleton.set(file.subarray(smpl.offset + removed), smpl.offset);
  const view = new DataView(skeleton.buffer);
  for (const sizeAt of [4, smplListAt + 4]) view.setUint32(sizeAt, view.getUint32(sizeAt, true) - removed, true);
  view.setUint32(smpl.offset - 4, 0, true);
  const soundBank = SoundBankLoader.fromArrayBuffer(skeleton.buffer);
  if (soundBank.samples.length !== count) return undefined;
  for (const [index, sample] of soundBank.samples.entries()) {
    const stream = streams[index];
    if (!sample.isCompressed || stream === undefined) return undefined;
    sample.setCompressedData(stream);
  }
  return soundBank;
}

/** The sample-type bit of an SF3 sample header that marks its data as compressed (Ogg Vorbis). */
const COMPRESSED_SAMPLE = 0x10;

/**
 * Points every compressed sample of `soundBank`, parsed from `file`, at its Vorbis stream inside `file` instead of
 * the copy spessasynth_core made while parsing. A sample whose stream is not exactly where the file's sample
 * header says keeps its copy. Call it right after parsing, before anything is decoded.
 * @returns how many samples now read from `file`.
 */
export function shareCompressedData(soundBank: BasicSoundBank, file: Uint8Array): number {
  const chunks = findSampleChunks(file);
  if (chunks === undefined) return 0;
  const headers = new DataView(file.buffer, file.byteOffset + chunks.shdr.offset, chunks.shdr.length);
  let shared = 0;
  for (const [index, sample] of soundBank.samples.entries()) {
    const header = index * SAMPLE_HEADER_BYTES;
    if (!sample.isCompressed || header + SAMPLE_HEADER_BYTES > headers.byteLength) continue;
    const start = chunks.smpl.offset + headers.getUint32(header + 20, true);
    const end = chunks.smpl.offset + headers.getUint32(header + 24, true);
    if (end > chunks.smpl.offset + chunks.smpl.length || end <= start) continue;
    const inFile = file.subarray(start, end);
    const copy = sample.getRawData(true);
    if (!sameBytes(inFile, copy)) continue;
    sample.setCompressedData(inFile);
    shared++;
  }
  return shared;
}

interface ChunkRange {
  readonly offset: number;
  readonly length: number;
}

interface SampleChunks {
  readonly smpl: ChunkRange;
  readonly shdr: ChunkRange;
  /** Where the header of the LIST holding `smpl` lies, when that LIST sits right in the RIFF form. */
  readonly smplListAt: number | undefined;
}

/** Where the `smpl` (sample data) and `shdr` (sample headers) chunks' contents lie in a RIFF `sfbk` file. */
function findSampleChunks(file: Uint8Array): SampleChunks | undefined {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let smpl: ChunkRange | undefined;
  let shdr: ChunkRange | undefined;
  let smplListAt: number | undefined;
  const walk = (from: number, to: number, listAt: number | undefined): void => {
    for (let at = from; at + 8 <= to;) {
      const id = fourCC(file, at);
      const length = view.getUint32(at + 4, true);
      const body = at + 8;
      if (body + length > to) return;
      // Only a LIST of the RIFF form itself counts as the smpl chunk's parent; deeper ones are passed as -1.
      if (id === 'LIST' && length >= 4) walk(body + 4, body + length, listAt === undefined ? at : -1);
      else if (id === 'smpl') {
        smpl = { offset: body, length };
        smplListAt = listAt !== undefined && listAt >= 0 ? listAt : undefined;
      } else if (id === 'shdr') shdr = { offset: body, length };
      at = body + length;
      // RIFF pads odd chunks with a zero byte, but MuseScore's SF3 files leave it out (as spessasynth_core allows).
      if (length % 2 === 1 && file[at] === 0) at++;
    }
  };
  walk(12, file.byteLength, undefined);
  return smpl !== undefined && shdr !== undefined ? { smpl, shdr, smplListAt } : undefined;
}

function fourCC(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
