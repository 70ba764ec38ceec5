/**
 * Everything that turns a Score into a clip's files, in the order it happens: SoundFont render, mastering,
 * Opus encode into Ogg, MIDI export and piano roll. Runs inside a render worker (see render-pool.ts).
 */
import { performance } from 'node:perf_hooks';

import type { Score } from '../music/score.ts';
import { master } from './master.ts';
import { exportMidi } from './midi-export.ts';
import { encodeOggOpus } from './ogg-opus-writer.ts';
import { drawPianoRoll } from './piano-roll.ts';
import type { RenderedClip } from './rendered-clip.ts';
import type { AudioScratch } from './stereo-audio.ts';
import type { Synthesizer } from './synthesizer.ts';

export interface ClipOptions {
  /** Opus bitrate in bits per second (default: the encoder's, 128 kb/s). */
  readonly bitrate?: number | undefined;
  /** Integrated loudness target (default -16 LUFS). */
  readonly targetLufs?: number | undefined;
  /** Mastering fades (default 10 ms in, 300 ms out); a radio segment has none at its end. */
  readonly fadeInMs?: number | undefined;
  readonly fadeOutMs?: number | undefined;
  readonly pianoRollWidth?: number | undefined;
  readonly pianoRollHeight?: number | undefined;
}

export function renderClipInWorker(
  synthesizer: Synthesizer,
  score: Score,
  options: ClipOptions,
  isCancelled: () => boolean,
  scratch?: AudioScratch,
): RenderedClip {
  let mark = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const elapsed = now - mark;
    mark = now;
    return Math.round(elapsed * 10) / 10;
  };
  // With `scratch`, the raw and mastered audio live in reused buffers: only the encoded files leave this call.
  const raw = synthesizer.render(score, { isCancelled, scratch });
  const renderMs = lap();
  const mastered = master(
    raw,
    {
      ...(options.targetLufs === undefined ? {} : { targetLufs: options.targetLufs }),
      ...(options.fadeInMs === undefined ? {} : { fadeInMs: options.fadeInMs }),
      ...(options.fadeOutMs === undefined ? {} : { fadeOutMs: options.fadeOutMs }),
    },
    // The raw audio is not needed afterwards: the mastered audio takes its place.
    { scratch, overwriteInput: true },
  );
  const masterMs = lap();
  const ogg = encodeOggOpus(mastered.audio, {
    title: score.title,
    ...(options.bitrate === undefined ? {} : { bitrate: options.bitrate }),
  });
  const encodeMs = lap();
  const mid = exportMidi(score);
  const midiMs = lap();
  const png = drawPianoRoll(score, {
    ...(options.pianoRollWidth === undefined ? {} : { width: options.pianoRollWidth }),
    ...(options.pianoRollHeight === undefined ? {} : { height: options.pianoRollHeight }),
  });
  const pianoRollMs = lap();
  const frames = mastered.audio.left.length;
  return {
    ogg,
    mid,
    png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
    report: {
      frames,
      durationSeconds: frames / mastered.audio.sampleRate,
      inputLufs: mastered.report.inputLufs,
      loudnessLufs: mastered.report.outputLufs,
      truePeakDbtp: mastered.report.truePeakDbtp,
      gainDb: mastered.report.gainDb,
      oggBytes: ogg.byteLength,
      timings: { renderMs, masterMs, encodeMs, midiMs, pianoRollMs },
    },
  };
}
