/**
 * Configuration, read once at start from an environment map (the composition root passes process.env).
 * Nothing else in src/ reads process.env.
 */

import { DEVICES, type Device } from './inference/devices.ts';

export interface Config {
  /** Path to a .sf2/.sf3 soundfont; undefined = the bundled MuseScore General Lite. */
  readonly soundfontPath: string | undefined;
  /** Path to the ONNX model; its metadata JSON sits beside it. */
  readonly modelPath: string;
  readonly device: Device;
  /** Intra-op threads for ONNX Runtime on the CPU. */
  readonly threads: number;
  /** Render worker threads. */
  readonly renderWorkers: number;
}

export type ConfigResult =
  { ok: true; value: Config } | { ok: false; error: { code: 'invalid-config'; message: string } };

export const DEFAULT_MODEL_PATH = new URL('../models/motif-v1.onnx', import.meta.url).pathname;

export function loadConfig(env: Readonly<Record<string, string | undefined>>, cores: number): ConfigResult {
  const device = env['MOTIF_DEVICE'] ?? 'auto';
  if (!isDevice(device)) {
    return invalid(`MOTIF_DEVICE must be one of ${DEVICES.join(', ')} (got "${device}")`);
  }
  const threads = parsePositiveInt(env['MOTIF_THREADS'], Math.max(1, Math.min(cores, 4)));
  if (threads === undefined) return invalid('MOTIF_THREADS must be a whole number from 1 to 256');
  const renderWorkers = parsePositiveInt(env['MOTIF_RENDER_WORKERS'], Math.max(1, Math.min(cores, 4)));
  if (renderWorkers === undefined) return invalid('MOTIF_RENDER_WORKERS must be a whole number from 1 to 256');
  return {
    ok: true,
    value: {
      soundfontPath: nonEmpty(env['MOTIF_SOUNDFONT']),
      modelPath: nonEmpty(env['MOTIF_MODEL']) ?? DEFAULT_MODEL_PATH,
      device,
      threads,
      renderWorkers,
    },
  };
}

function isDevice(value: string): value is Device {
  return (DEVICES as readonly string[]).includes(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function parsePositiveInt(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value.trim() === '') return fallback;
  if (!/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return n >= 1 && n <= 256 ? n : undefined;
}

function invalid(message: string): ConfigResult {
  return { ok: false, error: { code: 'invalid-config', message } };
}
