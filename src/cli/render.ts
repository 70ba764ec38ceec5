/**
 * `npm run render -- FILE.mid --style jazz --out DIR`: renders any MIDI file through a style's instruments and
 * mastering into DIR/NAME.ogg, .mid, .png and .json.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, extname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { importMidi } from '../audio/midi-import.ts';
import { createRenderPool } from '../audio/render-pool.ts';
import { SoundfontError } from '../audio/soundfont.ts';
import { loadConfig } from '../config.ts';
import { applyStyleToScore } from '../music/apply-style.ts';
import { keyName, scoreDurationSeconds } from '../music/score.ts';
import { parseStyle } from '../music/styles.ts';
import { ensureWritableDir, OutputError, writeClipFiles } from './output-files.ts';
import { runCli, UsageError } from './usage-error.ts';

const USAGE = 'usage: npm run render -- FILE.mid --style STYLE [--out DIR] [--name NAME] [--seed N]';

async function main(): Promise<void> {
  const started = performance.now();
  const { values, positionals } = parseArguments();
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UsageError(`give exactly one MIDI file. ${USAGE}`);
  const style = parseStyle(values.style ?? '');
  if (!style.ok) throw new UsageError(style.error.message);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UsageError(`--seed must be a whole number from 0 to 4294967295 (got "${values.seed ?? ''}")`);
  }
  const config = loadConfig(process.env, availableParallelism());
  if (!config.ok) throw new UsageError(config.error.message);

  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new UsageError(`cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const name = values.name ?? basename(file, extname(file));
  if (!/^[\w.-]{1,100}$/.test(name)) throw new UsageError(`--name may use letters, digits, "_", "-" and "." only`);
  const imported = importMidi(bytes, { title: name, style: style.value.label });
  if (!imported.ok) throw new UsageError(`${file}: ${imported.error.message}`);
  const outDir = resolve(values.out ?? 'out');
  await ensureWritableDir(outDir);
  const parsedAt = performance.now();

  const score = applyStyleToScore(imported.value, style.value.recipe, seed);
  const arrangedAt = performance.now();
  await using pool = await createRenderPool({ soundfontPath: config.value.soundfontPath, workers: 1 });
  const loadedAt = performance.now();
  const clip = await pool.renderClip(score);
  const renderedAt = performance.now();

  const meta = {
    command: 'render',
    source: resolve(file),
    style: style.value.label,
    title: score.title,
    tempo: score.tempo,
    timeSignature: `${score.timeSignature.numerator}/${score.timeSignature.denominator}`,
    key: keyName(score.key),
    seed,
    durationSeconds: scoreDurationSeconds(score),
    tracks: score.tracks.map((t) => ({
      name: t.name,
      role: t.role,
      program: t.instrument.program,
      notes: t.notes.length,
    })),
    loudnessLufs: round(clip.report.loudnessLufs),
    truePeakDbtp: round(clip.report.truePeakDbtp),
    gainDb: round(clip.report.gainDb),
    oggBytes: clip.report.oggBytes,
    timingsMs: {
      readMidi: round(parsedAt - started),
      applyStyle: round(arrangedAt - parsedAt),
      loadSoundfont: round(loadedAt - arrangedAt),
      ...clip.report.timings,
      total: round(renderedAt - started),
    },
  };
  const written = await writeClipFiles(outDir, name, {
    ogg: clip.ogg,
    mid: clip.mid,
    png: clip.png,
    json: `${JSON.stringify(meta, null, 2)}\n`,
  });
  process.stdout.write(
    `${score.title}: ${meta.style}, ${meta.durationSeconds.toFixed(1)} s at ${Math.round(score.tempo)} bpm, ` +
      `${meta.loudnessLufs} LUFS, ${meta.truePeakDbtp} dBTP\n${written.map((p) => `  ${p}`).join('\n')}\n`,
  );
}

function parseArguments(): ReturnType<typeof parse> {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}. ${USAGE}`);
  }
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    strict: true,
    options: {
      style: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : value;
}

await runCli(main, (error) => error instanceof SoundfontError || error instanceof OutputError);
