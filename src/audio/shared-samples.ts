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
 * The compressed samples are not copied either: parsing an SF3, spessasynth_core copies each sample's Vorbis
 * stream out of the file (40 MB per worker for MuseScore General Lite). The pool indexes the file instead
 * (`indexCompressedSamples`: every chunk but the sample data, and where each stream lies) and its workers parse
 * that skeleton (`parseStreamedSoundBank`), reading a sample's stream from the file only when it is first decoded:
 * the 40 MB stay on disk. A file laid out otherwise (an SF2, an SF3 with PCM samples) is read whole and shared,
 * and `shareCompressedData` points the copies of its parse back at those bytes. (`parseSharingCompressedData`
 * parses the skeleton of a file already in memory, pointing every sample at its stream in it.)
 *
 * Relies on these behaviours of spessasynth_core 4.x: voices get a sample's audio through `getAudioData()`;
 * `BasicSample.setAudioData(data, sampleRate)` makes `getAudioData()` return `data` (it also drops the compressed
 * copy); `setCompressedData(bytes)` makes it decode `bytes` instead, and `getRawData(true)` returns a compressed
 * sample's stream; two parses of the same file list the same samples in the same order (`BasicSoundBank.samples`,
 * the order of the file's sample headers), so a sample's index names it across workers.
 */

import type { BasicPreset, BasicSample, BasicSoundBank } from 'spessasynth_core';

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
