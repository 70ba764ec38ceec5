/**
 * Render benchmark: the same 30 s, 4-track MIDI file and the same SoundFont through Motif (SoundFont render +
 * mastering + Opus/Ogg encode, on this one thread) and through the `fluidsynth` command line (render to WAV,
 * one core), in the same run. Prints both as multiples of real time and their ratio.
 *
 *   node bench/render.ts [runs=5]        (needs Debian's fluidsynth for the baseline: apt-get install fluidsynth)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { importMidi } from '../src/audio/midi-import.ts';
import { exportMidi } from '../src/audio/midi-export.ts';
import { master } from '../src/audio/master.ts';
import { encodeOggOpus } from '../src/audio/ogg-opus-writer.ts';
import { readSoundfont } from '../src/audio/soundfont.ts';
import { Synthesizer } from '../src/audio/synthesizer.ts';
import { scoreDurationSeconds } from '../src/music/score.ts';
import { demoScore } from '../test/fixtures/demo-score.ts';

const runs = Math.max(1, Number(process.argv[2] ?? 5));
const dir = mkdtempSync(join(tmpdir(), 'motif-bench-render-'));
const midiPath = join(dir, 'bench.mid');
writeFileSync(midiPath, exportMidi(demoScore({ bars: 15, tempo: 120, title: 'bench' })));

// Motif reads the same MIDI file FluidSynth gets.
const imported = importMidi(new Uint8Array(readFileSync(midiPath)));
if (!imported.ok) throw new Error(imported.error.message);
const score = imported.value;
const seconds = scoreDurationSeconds(score);
const soundfont = await readSoundfont();
const synthesizer = await Synthesizer.load(soundfont.bytes);

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function motifOnce(): Sample & { readonly stages: readonly [number, number, number] } {
  const cpu = process.threadCpuUsage();
  const t0 = performance.now();
  const audio = synthesizer.render(score);
  const t1 = performance.now();
  const mastered = master(audio);
  const t2 = performance.now();
  encodeOggOpus(mastered.audio);
  const t3 = performance.now();
  const used = process.threadCpuUsage(cpu);
  return { wallMs: t3 - t0, cpuMs: (used.user + used.system) / 1000, stages: [t1 - t0, t2 - t1, t3 - t2] };
}

// FluidSynth decodes every SF3 sample when it loads the file; a one-note MIDI file measures that start-up so the
// render alone can be compared too.
const blipPath = join(dir, 'blip.mid');
writeFileSync(blipPath, exportMidi({ ...demoScore({ bars: 1 }), lengthBeats: 0.25, tracks: [] }));

function fluidsynthOnce(midi = midiPath): Sample | undefined {
  const out = join(dir, 'fluidsynth.wav');
  const t0 = performance.now();
  const result = spawnSync(
    'fluidsynth',
    ['-ni', '-q', '-F', out, '-r', '48000', '-o', 'synth.cpu-cores=1', soundfont.path, midi],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const wallMs = performance.now() - t0;
  if (result.error !== undefined || result.status !== 0) return undefined;
  // The child's own CPU time is not reported by spawnSync; on an otherwise idle core wall ≈ CPU.
  return { wallMs, cpuMs: wallMs };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

motifOnce(); // warm-up: the first render decodes the SF3 samples it uses
const fluidWarm = fluidsynthOnce();
const motif: ReturnType<typeof motifOnce>[] = [];
const fluid: Sample[] = [];
const fluidStartup: Sample[] = [];
for (let i = 0; i < runs; i++) {
  motif.push(motifOnce());
  const f = fluidWarm === undefined ? undefined : fluidsynthOnce();
  if (f !== undefined) fluid.push(f);
  const s = fluidWarm === undefined ? undefined : fluidsynthOnce(blipPath);
  if (s !== undefined) fluidStartup.push(s);
}
rmSync(dir, { recursive: true, force: true });

const motifWall = median(motif.map((s) => s.wallMs));
const motifCpu = median(motif.map((s) => s.cpuMs));
const stage = (i: 0 | 1 | 2): number => median(motif.map((s) => s.stages[i]));
console.log(
  `clip: ${seconds.toFixed(1)} s, ${score.tracks.length} tracks, ${runs} runs (median), soundfont ${soundfont.path}`,
);
console.log(
  `motif  render+master+encode  wall ${motifWall.toFixed(0)} ms  cpu ${motifCpu.toFixed(0)} ms  ` +
    `= ${((seconds * 1000) / motifCpu).toFixed(1)}x real time on one core ` +
    `(render ${stage(0).toFixed(0)} ms, master ${stage(1).toFixed(0)} ms, encode ${stage(2).toFixed(0)} ms)`,
);
if (fluid.length === 0) {
  console.log('fluidsynth: not found or failed (apt-get install fluidsynth): no baseline in this run');
} else {
  const fluidWall = median(fluid.map((s) => s.wallMs));
  const startup = median(fluidStartup.map((s) => s.wallMs));
  const fluidRender = Math.max(1, fluidWall - startup);
  console.log(
    `fluidsynth command, render to WAV wall ${fluidWall.toFixed(0)} ms = ${((seconds * 1000) / fluidWall).toFixed(1)}x real time ` +
      `(of which loading the SF3: ${startup.toFixed(0)} ms; render alone ${fluidRender.toFixed(0)} ms = ` +
      `${((seconds * 1000) / fluidRender).toFixed(1)}x real time)`,
  );
  console.log(
    `ratio motif / fluidsynth command: ${(motifWall / fluidWall).toFixed(2)}; ` +
      `motif / fluidsynth render alone: ${(motifWall / fluidRender).toFixed(2)}  (target <= 1.5, and >= 60x real time)`,
  );
}
