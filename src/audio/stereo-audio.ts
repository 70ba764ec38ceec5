/** PCM audio as the engine passes it between stages: 48 kHz stereo, float32 in [-1, 1]. */
export interface StereoAudio {
  readonly sampleRate: number;
  readonly left: Float32Array;
  readonly right: Float32Array;
}

export const SAMPLE_RATE = 48_000;

export function frameCount(audio: StereoAudio): number {
  return audio.left.length;
}

/**
 * Float32 work buffers that one thread reuses from one clip to the next, instead of allocating (and leaving to
 * the allocator) tens of MB of fresh audio arrays per clip. Each key names one buffer, which grows to the longest
 * length asked for; asked for less than half of it, it is replaced by one of that length, so a run of short clips
 * after a long one does not keep the long one's memory. A view `take` returns is valid until the next `take` of
 * the same key: the caller must neither keep it past that nor let it leave the thread (copy it, or encode it,
 * first).
 */
export class AudioScratch {
  private readonly buffers = new Map<string, Float32Array>();

  /** `length` floats of the buffer named `key`, holding whatever an earlier user left there. */
  take(key: string, length: number): Float32Array {
    let buffer = this.buffers.get(key);
    if (buffer === undefined || buffer.length < length || buffer.length > 2 * length) {
      this.buffers.delete(key);
      buffer = new Float32Array(length);
      this.buffers.set(key, buffer);
    }
    return buffer.subarray(0, length);
  }

  /** `length` zeros in the buffer named `key`. */
  zeroed(key: string, length: number): Float32Array {
    return this.take(key, length).fill(0);
  }

  /** Bytes held by all the buffers. */
  get byteLength(): number {
    let bytes = 0;
    for (const buffer of this.buffers.values()) bytes += buffer.byteLength;
    return bytes;
  }
}
