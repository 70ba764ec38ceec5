/**
 * What a clip's .json says about it: every parameter, the seed, the model, timings, and the generated grid, so
 * that a variation, an extension or a regenerated track can start from it later.
 */
import { parseMood } from '../music/moods.ts';
import type { Key } from '../music/score.ts';
import { parseStyle } from '../music/styles.ts';
import type { ModelConditioning } from '../music/conditioning.ts';
import { decodeGrid, type Grid } from './grid.ts';

export const CLIP_META_FORMAT = 'motif-clip';
export const CLIP_META_VERSION = 1;

export const CLIP_KINDS = ['compose', 'variation', 'extension', 'regenerate'] as const;
export type ClipKind = (typeof CLIP_KINDS)[number];

export interface ClipMeta {
  readonly format: typeof CLIP_META_FORMAT;
  readonly version: typeof CLIP_META_VERSION;
  readonly kind: ClipKind;
  readonly title: string;
  /** The clip this one was made from (variation, extension, regenerate). */
  readonly parent?: { readonly title: string; readonly seed: number } | undefined;
  /** What was asked for (undefined = left to Motif). */
  readonly request: {
    readonly style: string;
    readonly mood: string | undefined;
    readonly tempo: number | undefined;
    readonly key: string | undefined;
    readonly lengthSeconds: number;
    readonly seed: number;
    readonly instruments: Readonly<Record<string, number>>;
    readonly strength?: number | undefined;
    readonly track?: string | undefined;
  };
  /** What Motif made of it. */
  readonly resolved: {
    readonly tempo: number;
    readonly key: Key;
    readonly keyName: string;
    readonly timeSignature: string;
    readonly stepsPerBar: number;
    readonly lengthBeats: number;
    readonly durationSeconds: number;
    /** Position of grid step 0 inside its bar (an extension may start mid-bar). */
    readonly barOffset: number;
    readonly conditioning: ModelConditioning;
    readonly conditions: Readonly<Record<string, number>>;
  };
  readonly model: {
    readonly name: string;
    readonly version: string;
    readonly onnxSha256: string;
    readonly provider: string;
  };
  readonly sampling: Readonly<Record<string, number>>;
  /** The generated grid in C (before transposition): int16 little-endian cells, base64. */
  readonly grid: { readonly encoding: 'int16le-base64'; readonly steps: number; readonly data: string };
  readonly output: {
    readonly loudnessLufs: number;
    readonly truePeakDbtp: number;
    readonly oggBytes: number;
    readonly notes: number;
  };
  readonly timingsMs: Readonly<Record<string, number>>;
}

export type ClipMetaResult =
  { ok: true; value: ClipMeta; grid: Grid } | { ok: false; error: { code: 'bad-clip'; message: string } };

/**
 * Checks a parsed .json before anything is built on it: the format, the fields a variation or extension needs,
 * a style and mood Motif still knows, and a grid that decodes to valid tokens.
 */
export function parseClipMeta(json: unknown): ClipMetaResult {
  const bad = (why: string): ClipMetaResult => ({
    ok: false,
    error: { code: 'bad-clip', message: `not a Motif clip: ${why}` },
  });
  if (!isRecord(json) || json['format'] !== CLIP_META_FORMAT) return bad('its "format" is not "motif-clip"');
  if (json['version'] !== CLIP_META_VERSION)
    return bad(`version ${String(json['version'])} is not ${CLIP_META_VERSION}`);
  const { request, resolved, grid } = json;
  if (!isRecord(request) || !isRecord(resolved) || !isRecord(grid)) return bad('request, resolved or grid is missing');
  if (typeof request['style'] !== 'string' || !parseStyle(request['style']).ok) return bad('its style is unknown');
  if (typeof request['mood'] === 'string' && !parseMood(request['mood']).ok) return bad('its mood is unknown');
  for (const field of ['tempo', 'stepsPerBar', 'lengthBeats', 'barOffset'] as const) {
    const value = resolved[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      return bad(`resolved.${field} is not a number`);
  }
  const key = resolved['key'];
  if (!isRecord(key) || typeof key['tonic'] !== 'number' || (key['mode'] !== 'major' && key['mode'] !== 'minor')) {
    return bad('resolved.key is not a key');
  }
  if (!isRecord(resolved['conditioning'])) return bad('resolved.conditioning is missing');
  if (grid['encoding'] !== 'int16le-base64' || typeof grid['data'] !== 'string') return bad('its grid is missing');
  const decoded = decodeGrid(new Uint8Array(Buffer.from(grid['data'], 'base64')));
  if (!decoded.ok) return bad(`its grid does not decode (${decoded.error.message})`);
  if (decoded.value.steps !== grid['steps']) return bad('its grid length does not match');
  return { ok: true, value: json as unknown as ClipMeta, grid: decoded.value };
}

export function encodeGridForMeta(bytes: Uint8Array, steps: number): ClipMeta['grid'] {
  return { encoding: 'int16le-base64', steps, data: Buffer.from(bytes).toString('base64') };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
