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
