/** A finished clip's files and what the engine measured while making it. Plain data: crosses worker threads. */
export interface RenderedClip {
  /** Ogg Opus, 48 kHz stereo; decodes to exactly `frames` samples per channel. */
  readonly ogg: Uint8Array;
  /** Standard MIDI file of the Score. */
  readonly mid: Uint8Array;
  /** Piano-roll picture (PNG). */
  readonly png: Uint8Array;
  readonly report: ClipReport;
}

export interface ClipReport {
  readonly frames: number;
  readonly durationSeconds: number;
  /** Loudness before and after mastering, LUFS. */
  readonly inputLufs: number;
  readonly loudnessLufs: number;
  readonly truePeakDbtp: number;
  readonly gainDb: number;
  readonly oggBytes: number;
  /** Milliseconds of each stage, measured on the worker. */
  readonly timings: {
    readonly renderMs: number;
    readonly masterMs: number;
    readonly encodeMs: number;
    readonly midiMs: number;
    readonly pianoRollMs: number;
  };
}
