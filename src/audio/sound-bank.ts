/**
 * Parsing a SoundFont into a spessasynth_core sound bank without copies of its compressed samples: over the file's
 * bytes in memory, or over an index of the file (soundfont-index.ts) whose sample streams are read from disk when
 * first decoded. Runs in the render workers; see shared-samples.ts for why.
 */

import { SoundBankLoader, type BasicSample, type BasicSoundBank } from 'spessasynth_core';

import {
  findSampleChunks,
  indexCompressedSamples,
  sampleDataRange,
  type CompressedSampleIndex,
} from './soundfont-index.ts';

/** Parses the whole file, every sample copied out of it. `bytes` may live in a SharedArrayBuffer. */
export function parseWhole(bytes: Uint8Array): BasicSoundBank {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  // spessasynth_core reads through byte views only, so a SharedArrayBuffer serves as well as an ArrayBuffer.
  return SoundBankLoader.fromArrayBuffer((whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer);
}

/**
 * Parses an SF3 whose every sample is compressed without spessasynth_core copying the Vorbis streams out of the
 * file: it parses the skeleton (see {@link indexCompressedSamples}), then every sample is pointed at its stream
 * inside `file`. Parsing the whole file instead makes each worker copy all the streams (40 MB) and drop them
 * again, and its allocator keeps much of that memory.
 * @returns the sound bank, or undefined when `file` is not laid out that way (a sample stored as PCM, an SF2):
 *   parse it whole then and call {@link shareCompressedData}.
 */
export function parseSharingCompressedData(file: Uint8Array): BasicSoundBank | undefined {
  const index = indexCompressedSamples((at, length) => file.subarray(at, at + length), file.byteLength);
  if (index === undefined) return undefined;
  return parseSkeleton(index, (sample, start, end) => {
    sample.setCompressedData(file.subarray(start, end));
  });
}

/**
 * Parses an indexed SF3 whose sample data stays in its file: a sample's Vorbis stream is read (`readStream`) the
 * first time its audio is asked for, unless its decoded audio was set before (the shared copy of another worker).
 * A worker then holds no compressed data but the streams it is decoding: the pool need not keep the 40 MB file in
 * memory.
 * @returns undefined when the skeleton does not parse into the samples the index lists.
 */
export function parseStreamedSoundBank(
  index: CompressedSampleIndex,
  readStream: (start: number, end: number) => Uint8Array,
): BasicSoundBank | undefined {
  return parseSkeleton(index, (sample, start, end) => {
    readStreamOnFirstUse(sample, () => readStream(start, end));
  });
}

function parseSkeleton(
  index: CompressedSampleIndex,
  attach: (sample: BasicSample, start: number, end: number) => void,
): BasicSoundBank | undefined {
  const { skeleton, streams } = index;
  const soundBank = parseWhole(skeleton);
  if (soundBank.samples.length * 2 !== streams.length) return undefined;
  for (const [i, sample] of soundBank.samples.entries()) {
    const start = streams[i * 2];
    const end = streams[i * 2 + 1];
    if (!sample.isCompressed || start === undefined || end === undefined) return undefined;
    attach(sample, start, end);
  }
  return soundBank;
}

/**
 * Makes `sample` read its stream the first time its audio is asked for, unless audio was set on it before. Relies
 * on spessasynth_core asking a sample for its audio only through `getAudioData()` (voices do), and on
 * `setAudioData` making that return the data set. A read that throws (the file shrank) is tried again next time.
 */
function readStreamOnFirstUse(sample: BasicSample, read: () => Uint8Array): void {
  const getAudioData = sample.getAudioData.bind(sample);
  const setAudioData = sample.setAudioData.bind(sample);
  let pending = true;
  sample.getAudioData = () => {
    if (pending) {
      sample.setCompressedData(read());
      pending = false;
    }
    return getAudioData();
  };
  sample.setAudioData = (audioData, sampleRate) => {
    pending = false;
    setAudioData(audioData, sampleRate);
  };
}

/**
 * Points every compressed sample of `soundBank`, parsed from `file`, at its Vorbis stream inside `file` instead of
 * the copy spessasynth_core made while parsing. A sample whose stream is not exactly where the file's sample
 * header says keeps its copy. Call it right after parsing, before anything is decoded.
 * @returns how many samples now read from `file`.
 */
export function shareCompressedData(soundBank: BasicSoundBank, file: Uint8Array): number {
  const chunks = findSampleChunks((at, length) => file.subarray(at, at + length), file.byteLength);
  if (chunks === undefined) return 0;
  const headers = new DataView(file.buffer, file.byteOffset + chunks.shdr.offset, chunks.shdr.length);
  let shared = 0;
  for (const [index, sample] of soundBank.samples.entries()) {
    const range = sample.isCompressed ? sampleDataRange(headers, index, chunks.smpl) : undefined;
    if (range === undefined) continue;
    const inFile = file.subarray(range.start, range.end);
    const copy = sample.getRawData(true);
    if (!sameBytes(inFile, copy)) continue;
    sample.setCompressedData(inFile);
    shared++;
  }
  return shared;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
