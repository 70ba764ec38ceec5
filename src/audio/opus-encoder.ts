/**
 * Opus encoding of a whole clip with libopus (opusscript's WebAssembly build): 48 kHz stereo, 20 ms frames,
 * "audio" application tuned for music, complexity 7. Containers live elsewhere (ogg-opus-writer.ts).
 */
import OpusScript from 'opusscript';

import { SAMPLE_RATE, type StereoAudio } from './stereo-audio.ts';

/** Samples per channel in each Opus packet: 20 ms at 48 kHz. */
export const OPUS_FRAME_SIZE = 960;

/** 128 kbit/s VBR: transparent enough for music, about 1 MB a minute (a 60 s clip stays far under 10 MiB). */
export const DEFAULT_OPUS_BITRATE = 128_000;

/**
 * libopus complexity (0-10; libopus itself defaults to 10). In the float build opusscript ships, 7 is the
 * lowest setting that keeps every analysis: the tonality analysis that steers VBR (7 and up), the pitch
 * pre-filter (5 and up), TF and spreading decisions. What 8-10 add is a second MDCT on transient frames and
 * a rate-distortion search of the stereo angles, a quarter of the encode time (30 s of the bench clip:
 * 325 -> 240 ms on one core) for a decoded spectrum as close to the source (magnitude error -26.9 dB against
 * -27.1 dB at 10, the same in every third-octave band to 1 dB).
 */
export const DEFAULT_OPUS_COMPLEXITY = 7;

/** Settings for {@link encodeOpus}. */
export interface OpusEncoderOptions {
  /** Target bit rate in bit/s, 6 000 to 510 000. Default {@link DEFAULT_OPUS_BITRATE}. */
  readonly bitrate?: number;
  /** libopus complexity, 0-10. Default {@link DEFAULT_OPUS_COMPLEXITY}. */
  readonly complexity?: number;
}

/** A clip as Opus packets, with what a container needs to play it back sample-exactly. */
export interface OpusStream {
  /** One packet per 20 ms frame, in order. */
  readonly packets: readonly Uint8Array[];
  /** Samples (per channel, at 48 kHz) the decoder must drop from the start: the encoder's lookahead. */
  readonly preSkip: number;
  /** Samples per channel of the original clip; decoding yields preSkip + sampleCount useful samples. */
  readonly sampleCount: number;
}

// libopus request codes (opus_defines.h).
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;
const OPUS_GET_LOOKAHEAD = 4027;
const OPUS_SIGNAL_MUSIC = 3002;
/** libopus's lookahead for the audio application at 48 kHz (2.5 ms + 4 ms delay compensation). */
const FALLBACK_LOOKAHEAD = 312;
const CHANNELS = 2;

/**
 * Encodes a 48 kHz stereo clip. The encoder delays its output by its lookahead, so the input is padded with
 * zeros at the end until preSkip + sampleCount samples have been encoded (whole frames); a container then
 * trims the lookahead at the start (pre-skip) and the padding at the end (granule position).
 */
export function encodeOpus(audio: StereoAudio, options: OpusEncoderOptions = {}): OpusStream {
  if (audio.sampleRate !== SAMPLE_RATE) {
    throw new RangeError(`Opus encoding needs ${SAMPLE_RATE} Hz audio, got ${audio.sampleRate} Hz`);
  }
  const bitrate = options.bitrate ?? DEFAULT_OPUS_BITRATE;
  if (!Number.isInteger(bitrate) || bitrate < 6_000 || bitrate > 510_000) {
    throw new RangeError(`Opus bit rate must be an integer from 6000 to 510000, got ${bitrate}`);
  }
  const complexity = options.complexity ?? DEFAULT_OPUS_COMPLEXITY;
  if (!Number.isInteger(complexity) || complexity < 0 || complexity > 10) {
    throw new RangeError(`Opus complexity must be an integer from 0 to 10, got ${complexity}`);
  }
  const encoder = new OpusScript(SAMPLE_RATE, CHANNELS, OpusScript.Application.AUDIO);
  try {
    encoder.encoderCTL(OPUS_SET_BITRATE, bitrate);
    encoder.encoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_MUSIC);
    encoder.encoderCTL(OPUS_SET_COMPLEXITY, complexity);
    const preSkip = readLookahead(encoder);
    const sampleCount = Math.min(audio.left.length, audio.right.length);
    const frameCount = Math.max(1, Math.ceil((preSkip + sampleCount) / OPUS_FRAME_SIZE));
    const pcm = new Int16Array(OPUS_FRAME_SIZE * CHANNELS);
    const pcmBytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    const { left, right } = audio;
    const packets: Uint8Array[] = [];
    for (let frame = 0; frame < frameCount; frame++) {
      const start = frame * OPUS_FRAME_SIZE;
      const inside = Math.max(0, Math.min(OPUS_FRAME_SIZE, sampleCount - start));
      for (let i = 0; i < inside; i++) {
        pcm[2 * i] = toInt16(left[start + i] ?? 0);
        pcm[2 * i + 1] = toInt16(right[start + i] ?? 0);
      }
      if (inside < OPUS_FRAME_SIZE) pcm.fill(0, 2 * inside);
      packets.push(new Uint8Array(encoder.encode(pcmBytes, OPUS_FRAME_SIZE)));
    }
    return { packets, preSkip, sampleCount };
  } finally {
    encoder.delete();
  }
}

/**
 * Math.round(sample * 32767) clamped to 16 bits (NaN gives 0), by truncating the value shifted to be positive:
 * V8 compiles that to a few instructions, Math.round to a call (5x slower over a clip). The shifted sum is
 * exact wherever it is near an integer, so the result is the same to the last bit.
 */
function toInt16(sample: number): number {
  const shifted = sample * 32767 + 32768.5;
  if (shifted >= 0 && shifted < 65536) return (shifted | 0) - 32768;
  return shifted < 0 ? -32768 : shifted >= 65536 ? 32767 : 0;
}

/** The parts of an opusscript 0.0.8 instance, not in its typings, that a "get" request needs. */
interface OpusScriptScratch {
  readonly inPCMPointer: number;
  readonly inPCM: Uint16Array;
}

function hasScratch(encoder: object): encoder is OpusScriptScratch {
  return (
    'inPCMPointer' in encoder &&
    typeof encoder.inPCMPointer === 'number' &&
    'inPCM' in encoder &&
    encoder.inPCM instanceof Uint16Array
  );
}

/**
 * Asks libopus for its lookahead (OPUS_GET_LOOKAHEAD). opusscript passes a ctl's argument straight to
 * opus_encoder_ctl, so a "get" needs a pointer into the WebAssembly heap: the encoder's input scratch
 * buffer, unused between encode calls, receives the value. Falls back to libopus's known value for this
 * configuration when the instance does not look like opusscript 0.0.8.
 */
function readLookahead(encoder: OpusScript): number {
  if (!hasScratch(encoder)) return FALLBACK_LOOKAHEAD;
  const { inPCMPointer, inPCM } = encoder;
  encoder.encoderCTL(OPUS_GET_LOOKAHEAD, inPCMPointer);
  const lookahead = new DataView(inPCM.buffer, inPCMPointer, 4).getInt32(0, true);
  return lookahead > 0 && lookahead < SAMPLE_RATE ? lookahead : FALLBACK_LOOKAHEAD;
}
