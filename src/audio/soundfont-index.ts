/**
 * Where things lie in a SoundFont 2/3 file (a RIFF `sfbk` form): its sample data (`smpl`) and sample headers
 * (`shdr`), and for an SF3 whose every sample is compressed, an index that lets a parse leave the sample data in
 * the file. Pure: reads through a ByteReader, so the same code indexes bytes in memory and a file on disk.
 */

/** Bytes per sample header (`shdr` record) in a SoundFont 2 file. */
export const SAMPLE_HEADER_BYTES = 46;

/** The sample-type bit of an SF3 sample header that marks its data as compressed (Ogg Vorbis). */
export const COMPRESSED_SAMPLE = 0x10;

/** Reads `length` bytes of a SoundFont file from byte `at` (fewer only where the file ends). */
export type ByteReader = (at: number, length: number) => Uint8Array;

/** An SF3 file as its parse needs it: everything but the sample data, and where each sample's stream lies. */
export interface CompressedSampleIndex {
  /**
   * The file less the contents of its smpl chunk, with that chunk, its LIST and the RIFF form shorter (180 KB for
   * MuseScore General Lite, against 40 MB for the whole file): what spessasynth_core parses.
   */
  readonly skeleton: Uint8Array;
  /** Per sample, in the order of the file's sample headers: the start and end byte of its Vorbis stream. */
  readonly streams: Float64Array;
}

/**
 * Indexes an SF3 whose every sample is compressed, reading only its chunk headers and every chunk but the sample
 * data (`read` gets a few dozen calls).
 * @returns undefined when the file is not laid out that way (a sample stored as PCM, an SF2): parse it whole then.
 */
export function indexCompressedSamples(read: ByteReader, size: number): CompressedSampleIndex | undefined {
  const chunks = findSampleChunks(read, size);
  if (chunks?.smplListAt === undefined) return undefined;
  const { smpl, shdr, smplListAt } = chunks;
  const headerBytes = read(shdr.offset, shdr.length);
  if (headerBytes.length !== shdr.length) return undefined;
  const headers = new DataView(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength);
  // The last header (EOS) only ends the list.
  const count = Math.floor(shdr.length / SAMPLE_HEADER_BYTES) - 1;
  if (count < 1) return undefined;
  const streams = new Float64Array(count * 2);
  for (let index = 0; index < count; index++) {
    const header = index * SAMPLE_HEADER_BYTES;
    if ((headers.getUint16(header + 44, true) & COMPRESSED_SAMPLE) === 0) return undefined;
    const range = sampleDataRange(headers, index, smpl);
    if (range === undefined) return undefined;
    streams[index * 2] = range.start;
    streams[index * 2 + 1] = range.end;
  }
  const removed = smpl.length;
  const before = read(0, smpl.offset);
  const after = read(smpl.offset + removed, size - smpl.offset - removed);
  if (before.length + after.length !== size - removed) return undefined;
  const skeleton = new Uint8Array(size - removed);
  skeleton.set(before);
  skeleton.set(after, smpl.offset);
  const view = new DataView(skeleton.buffer);
  for (const sizeAt of [4, smplListAt + 4]) view.setUint32(sizeAt, view.getUint32(sizeAt, true) - removed, true);
  view.setUint32(smpl.offset - 4, 0, true);
  return { skeleton, streams };
}

export interface ChunkRange {
  readonly offset: number;
  readonly length: number;
}

export interface SampleChunks {
  readonly smpl: ChunkRange;
  readonly shdr: ChunkRange;
  /** Where the header of the LIST holding `smpl` lies, when that LIST sits right in the RIFF form. */
  readonly smplListAt: number | undefined;
}

/**
 * The file bytes [start, end) of sample `index`'s data, from its `shdr` record in `headers` (the shdr chunk's
 * contents); undefined when there is no such record, or it says the data lies outside the smpl chunk or is empty.
 */
export function sampleDataRange(
  headers: DataView,
  index: number,
  smpl: ChunkRange,
): { readonly start: number; readonly end: number } | undefined {
  const header = index * SAMPLE_HEADER_BYTES;
  if (header + SAMPLE_HEADER_BYTES > headers.byteLength) return undefined;
  const start = smpl.offset + headers.getUint32(header + 20, true);
  const end = smpl.offset + headers.getUint32(header + 24, true);
  return end > smpl.offset + smpl.length || end <= start ? undefined : { start, end };
}

/** Where the `smpl` (sample data) and `shdr` (sample headers) chunks' contents lie in a RIFF `sfbk` file. */
export function findSampleChunks(read: ByteReader, size: number): SampleChunks | undefined {
  let smpl: ChunkRange | undefined;
  let shdr: ChunkRange | undefined;
  let smplListAt: number | undefined;
  const walk = (from: number, to: number, listAt: number | undefined): void => {
    for (let at = from; at + 8 <= to;) {
      const header = read(at, 8);
      if (header.length < 8) return;
      const id = fourCC(header, 0);
      const length = new DataView(header.buffer, header.byteOffset, 8).getUint32(4, true);
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
      if (length % 2 === 1 && at < to && read(at, 1)[0] === 0) at++;
    }
  };
  walk(12, size, undefined);
  return smpl !== undefined && shdr !== undefined ? { smpl, shdr, smplListAt } : undefined;
}

function fourCC(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}
