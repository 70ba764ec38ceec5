/**
 * `npm run compose -- --style jazz [--mood M] [--tempo BPM] [--key Bb] [--length SECONDS] [--seed N]
 *   [--instruments melody=flute,...] [--variation-of DIR/NAME.json --strength 0.3] [--extend DIR/NAME.json]
 *   [--regenerate drums --from DIR/NAME.json] [--out DIR] [--name NAME]`
 * Composes a clip offline with Motif's own model, no Discord needed: DIR/NAME.ogg, .mid, .png and .json.
 */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { createRenderPool } from '../audio/render-pool.ts';
import { enableCompileCache } from '../compile-cache.ts';
import { SoundfontError } from '../audio/soundfont.ts';
import { loadConfig } from '../config.ts';
import { parseClipMeta } from '../inference/clip-meta.ts';
import { parseComposeRequest } from '../inference/compose-request.ts';
import { createComposer, type ComposedClip, type ParentClip } from '../inference/composer.ts';
import { GRID_TRACKS, type GridTrack } from '../inference/grid.ts';
import { ModelLoadError, createModelSession } from '../inference/model-session.ts';
import { providerUnavailableReason } from '../inference/provider-preflight.ts';
import { ensureWritableDir, OutputError, writeClipFiles } from './output-files.ts';
import { runCli, UsageError } from './usage-error.ts';

const USAGE =
  'usage: npm run compose -- --style STYLE [--mood MOOD] [--tempo BPM] [--key KEY] [--length SECONDS] [--seed N] ' +
  '[--instruments melody=flute,...] [--variation-of FILE.json [--strength 0-1]] [--extend FILE.json] ' +
  '[--regenerate TRACK --from FILE.json] [--out DIR] [--name NAME]';

async function main(): Promise<void> {
  const started = performance.now();
  const values = parseArguments();
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig(process.env, availableParallelism());
  if (!config.ok) throw new UsageError(config.error.message);
  enableCompileCache();

  const seed = values.seed === undefined ? randomInt(0, 2 ** 31) : undefined;
  const edits = [values['variation-of'], values.extend, values.regenerate].filter((v) => v !== undefined);
  if (edits.length > 1) throw new UsageError('use only one of --variation-of, --extend and --regenerate');
  if (values.strength !== undefined && values['variation-of'] === undefined) {
    throw new UsageError('--strength goes with --variation-of');
  }
  if (values.from !== undefined && values.regenerate === undefined)
    throw new UsageError('--from goes with --regenerate');

  const request = parseComposeRequest(
    {
      style: values.style,
      mood: values.mood,
      tempo: values.tempo,
      key: values.key,
      length: values.length,
      seed: values.seed,
      instruments: values.instruments,
    },
    { style: 'pop', seed: () => seed ?? 0 },
  );
  if (!request.ok) throw new UsageError(request.error.message);

  let strength = 0.3;
  if (values.strength !== undefined) {
    strength = Number(values.strength);
    if (!/^\s*\d*\.?\d+\s*$/.test(values.strength) || strength < 0 || strength > 1) {
      throw new UsageError('--strength must be a number from 0 to 1');
    }
  }
  let track: GridTrack | undefined;
  if (values.regenerate !== undefined) {
    track = GRID_TRACKS.find((t) => t === values.regenerate?.trim().toLowerCase());
    if (track === undefined) throw new UsageError(`--regenerate takes one of ${GRID_TRACKS.join(', ')}`);
    if (values.from === undefined) throw new UsageError('--regenerate needs --from DIR/NAME.json (the clip to change)');
  }
  const parentPath = values['variation-of'] ?? values.extend ?? values.from;
  const parent = parentPath === undefined ? undefined : await readParent(parentPath);

  const name = values.name ?? defaultName(request.value.style.label, request.value.seed, parent, values);
  if (!/^[\w.-]{1,100}$/.test(name)) throw new UsageError('--name may use letters, digits, "_", "-" and "." only');
  const outDir = resolve(values.out ?? 'out');
  await ensureWritableDir(outDir);

  const [opened, started2] = await Promise.allSettled([
    createModelSession(config.value.modelPath, {
      device: config.value.device,
      intraOpNumThreads: config.value.threads,
      preflight: (provider) => providerUnavailableReason(provider, process.env['LD_LIBRARY_PATH']),
      log: (line) => process.stderr.write(`${line}\n`),
    }),
    createRenderPool({ soundfontPath: config.value.soundfontPath, workers: 1 }),
  ]);
  if (opened.status === 'rejected' || started2.status === 'rejected') {
    if (opened.status === 'fulfilled') await opened.value.dispose();
    if (started2.status === 'fulfilled') await started2.value.close();
    if (opened.status === 'rejected') throw describeModelError(opened.reason, config.value.modelPath);
    if (started2.status === 'rejected') throw started2.reason;
  }
  const session = opened.value;
  const renderPool = started2.value;
  const loadedAt = performance.now();
  try {
    const composer = createComposer({ session, renderPool });
    const seedValue = request.value.seed;
    let made: ComposedClip;
    if (parent !== undefined && values['variation-of'] !== undefined) {
      made = await composer.vary(parent, { strength, seed: seedValue });
    } else if (parent !== undefined && values.extend !== undefined) {
      made = await composer.extend(parent, {
        seed: seedValue,
        ...(values.length === undefined ? {} : { lengthSeconds: request.value.lengthSeconds }),
      });
    } else if (parent !== undefined && track !== undefined) {
      made = await composer.regenerate(parent, { track, seed: seedValue });
    } else {
      made = await composer.compose(request.value);
    }
    const meta = { ...made.meta, timingsMs: { load: round(loadedAt - started), ...made.meta.timingsMs } };
    const written = await writeClipFiles(outDir, name, {
      ogg: made.clip.ogg,
      mid: made.clip.mid,
      png: made.clip.png,
      json: `${JSON.stringify(meta, null, 2)}\n`,
    });
    const r = made.meta.resolved;
    process.stdout.write(
      `${made.meta.title}: ${made.meta.request.style}, ${r.keyName}, ${r.tempo.toFixed(1)} bpm ${r.timeSignature}, ` +
        `${r.durationSeconds.toFixed(1)} s, seed ${seedValue}, model ${made.meta.model.name} on ${made.meta.model.provider}, ` +
        `${Math.round(made.meta.timingsMs.total ?? 0)} ms\n${written.map((p) => `  ${p}`).join('\n')}\n`,
    );
  } finally {
    await renderPool.close();
    await session.dispose();
  }
}

/** A model that cannot be opened is the user's setup to fix: say which file and what to do. */
function describeModelError(error: unknown, modelPath: string): unknown {
  if (error instanceof ModelLoadError) {
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    return new UsageError(
      `cannot load the model ${modelPath}: ${reason.split('\n')[0] ?? reason} (set MOTIF_MODEL, or run npm run train)`,
    );
  }
  return error;
}

async function readParent(path: string): Promise<ParentClip> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not JSON: give the .json that compose wrote beside the clip`);
  }
  const parsed = parseClipMeta(json);
  if (!parsed.ok) throw new UsageError(`${path}: ${parsed.error.message}`);
  return { meta: parsed.value, grid: parsed.grid };
}

function defaultName(
  style: string,
  seed: number,
  parent: ParentClip | undefined,
  values: ReturnType<typeof parseArguments>,
): string {
  const base =
    parent === undefined
      ? (style.split(/[:,]/)[0] ?? 'clip')
      : (parent.meta.title.split(' ')[0]?.toLowerCase() ?? 'clip');
  const suffix =
    values['variation-of'] !== undefined
      ? '-variation'
      : values.extend !== undefined
        ? '-extended'
        : values.regenerate !== undefined
          ? `-new-${values.regenerate}`
          : '';
  return `${base.replace(/[^\w.-]/g, '') || 'clip'}-${seed}${suffix}`;
}

function parseArguments() {
  try {
    return parseArgs({
      allowPositionals: false,
      strict: true,
      options: {
        style: { type: 'string' },
        mood: { type: 'string' },
        tempo: { type: 'string' },
        key: { type: 'string' },
        length: { type: 'string' },
        seed: { type: 'string' },
        instruments: { type: 'string' },
        'variation-of': { type: 'string' },
        strength: { type: 'string' },
        extend: { type: 'string' },
        regenerate: { type: 'string' },
        from: { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}. ${USAGE}`);
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

await runCli(
  main,
  (error) => error instanceof SoundfontError || error instanceof OutputError || error instanceof ModelLoadError,
);
