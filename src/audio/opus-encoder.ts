/**
 * Opus encoding of a whole clip with libopus (opusscript's WebAssembly build): 48 kHz stereo, 20 ms frames,
 * "audio" application tuned for music. Containers live elsewhere (ogg-opus-writer.ts).
 */
import OpusScript from 'opusscript';

import { SAMPLE_RATE, type StereoAudio } from './stereo-audio.ts';

/** Samples per channel in each Opus packet: 20 ms at 48 kHz. */
export const OPUS_FRAME_SIZE = 960;

/** 128 kbit/s VBR: transparent enough for music, about 1 MB a minute (a 60 s clip stays far under 10 MiB). */
export const DEFAULT_OPUS_BITRATE = 128_000;

/** Settings for {@link encodeOpus}. */
export interface OpusEncoderOptions {
  /** Target bit rate in bit/s, 6 000 to 510 000. Default {@link DEFAULT_OPUS_BITRATE}. */
  readonly bitrate?: number;
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
  const encoder = new OpusScript(SAMPLE_RATE, CHANNELS, OpusScript.Application.AUDIO);
  try {
    encoder.encoderCTL(OPUS_SET_BITRATE, bitrate);
    encoder.encoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_MUSIC);
    const preSkip = readLookahead(encoder);
    const sampleCount = Math.min(audio.left.length, audio.right.length);
    const frameCount = Math.max(1, Math.ceil((preSkip + sampleCount) / OPUS_FRAME_SIZE));
    const pcm = new Int16Array(OPUS_FRAME_SIZE * CHANNELS);
    const pcmBytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    const packets: Uint8Array[] = [];
    for (let frame = 0; frame < frameCount; frame++) {
      const start = frame * OPUS_FRAME_SIZE;
      for (let i = 0; i < OPUS_FRAME_SIZE; i++) {
        const n = start + i;
        const inside = n < sampleCount;
        pcm[2 * i] = inside ? toInt16(audio.left[n] ?? 0) : 0;
        pcm[2 * i + 1] = inside ? toInt16(audio.right[n] ?? 0) : 0;
      }
      packets.push(new Uint8Array(encoder.encode(pcmBytes, OPUS_FRAME_SIZE)));
    }
    return { packets, preSkip, sampleCount };
  } finally {
    encoder.delete();
  }
}

function toInt16(sample: number): number {
  const scaled = Math.round(sample * 32767);
  return scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled;
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
