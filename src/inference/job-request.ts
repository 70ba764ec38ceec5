/**
 * What a job asks for, as plain JSON that the job queue stores and a later process (after a restart) runs: a
 * compose request as its validated inputs, re-parsed with parseComposeRequest when run; a variation, extension
 * or new track as the parent clip's metadata (which holds its grid) and the edit's options.
 */
import { DRUM_KITS } from '../music/drum-voices.ts';
import { keyName } from '../music/score.ts';
import { parseClipMeta, type ClipMeta } from './clip-meta.ts';
import {
  prepareCompose,
  prepareExtension,
  prepareRegeneration,
  prepareVariation,
  SEAMLESS_CLIP,
  type ParentClip,
  type PrepareContext,
  type PreparedClip,
} from './clip-job.ts';
import { parseComposeRequest, type ComposeRequest } from './compose-request.ts';
import { GRID_TRACKS, type GridTrack } from './grid.ts';

export interface ComposeJobRequest {
  readonly kind: 'compose';
  /** The style selection's label ("jazz", "jazz:0.6,lofi:0.4"). */
  readonly style: string;
  readonly mood?: string | undefined;
  readonly tempo?: number | undefined;
  /** A key name ("Bb minor"). */
  readonly key?: string | undefined;
  readonly lengthSeconds: number;
  readonly seed: number;
  /** Role → GM program (drums: GM kit). */
  readonly instruments: Readonly<Record<string, number>>;
  /** A radio segment: rendered to join the next one without a dip (see SEAMLESS_CLIP). */
  readonly seamless?: boolean | undefined;
}

export interface VariationJobRequest {
  readonly kind: 'variation';
  /** The parent clip's metadata, as its .json holds it. */
  readonly parent: ClipMeta;
  /** The parent's clip id (its job's id), kept with the job so the clips table links them even after a restart. */
  readonly parentClipId?: string | undefined;
  readonly strength: number;
  readonly seed: number;
}

export interface ExtensionJobRequest {
  readonly kind: 'extension';
  readonly parent: ClipMeta;
  /** The parent's clip id (its job's id), kept with the job so the clips table links them even after a restart. */
  readonly parentClipId?: string | undefined;
  readonly seed: number;
  /** Length of the new part; the parent's length when absent. */
  readonly lengthSeconds?: number | undefined;
  /** A radio segment: rendered to join the next one without a dip (see SEAMLESS_CLIP). */
  readonly seamless?: boolean | undefined;
}

export interface RegenerateJobRequest {
  readonly kind: 'regenerate';
  readonly parent: ClipMeta;
  /** The parent's clip id (its job's id), kept with the job so the clips table links them even after a restart. */
  readonly parentClipId?: string | undefined;
  readonly track: GridTrack;
  readonly seed: number;
}

export type JobRequest = ComposeJobRequest | VariationJobRequest | ExtensionJobRequest | RegenerateJobRequest;

/** True for a stored job request the radio made (a segment, rendered `seamless` to join the next one). */
export function isRadioSegment(request: unknown): boolean {
  return typeof request === 'object' && request !== null && (request as { seamless?: unknown }).seamless === true;
}

/** A stored job request made ready to run. */
export type ParsedJobRequest =
  | { readonly kind: 'compose'; readonly request: ComposeRequest; readonly seamless: boolean }
  | { readonly kind: 'variation'; readonly parent: ParentClip; readonly strength: number; readonly seed: number }
  | {
      readonly kind: 'extension';
      readonly parent: ParentClip;
      readonly seed: number;
      readonly lengthSeconds: number | undefined;
      readonly seamless: boolean;
    }
  | { readonly kind: 'regenerate'; readonly parent: ParentClip; readonly track: GridTrack; readonly seed: number };

export interface JobRequestError {
  readonly code: 'bad-job-request';
  readonly message: string;
}

export type JobRequestResult = { ok: true; value: ParsedJobRequest } | { ok: false; error: JobRequestError };

/** A validated ComposeRequest as a job request. */
export function composeJobRequest(request: ComposeRequest): ComposeJobRequest {
  return {
    kind: 'compose',
    style: request.style.label,
    ...(request.mood === undefined ? {} : { mood: request.mood.name }),
    ...(request.tempo === undefined ? {} : { tempo: request.tempo }),
    ...(request.key === undefined ? {} : { key: keyName(request.key) }),
    lengthSeconds: request.lengthSeconds,
    seed: request.seed,
    instruments: { ...request.instruments },
  };
}

/**
 * Checks and resolves a stored request (JSON from the queue, perhaps written by an older version): the compose
 * inputs are parsed again, a parent's metadata must still decode, edit options must be in range.
 */
export function parseJobRequest(value: unknown): JobRequestResult {
  if (!isRecord(value)) return bad('it is not an object');
  switch (value['kind']) {
    case 'compose':
      return parseCompose(value);
    case 'variation': {
      const parent = parseParent(value['parent']);
      if (!parent.ok) return parent;
      const strength = value['strength'];
      if (typeof strength !== 'number' || !(strength >= 0 && strength <= 1)) return bad('strength must be 0 to 1');
      const seed = parseSeed(value['seed']);
      if (seed === undefined) return bad('seed must be a whole number from 0 to 4294967295');
      return { ok: true, value: { kind: 'variation', parent: parent.value, strength, seed } };
    }
    case 'extension': {
      const parent = parseParent(value['parent']);
      if (!parent.ok) return parent;
      const seed = parseSeed(value['seed']);
      if (seed === undefined) return bad('seed must be a whole number from 0 to 4294967295');
      const length = value['lengthSeconds'];
      if (length !== undefined && (typeof length !== 'number' || !(length > 0 && length <= 600))) {
        return bad('lengthSeconds must be a number of seconds');
      }
      const seamless = parseSeamless(value['seamless']);
      if (seamless === undefined) return bad('seamless must be true or false');
      return { ok: true, value: { kind: 'extension', parent: parent.value, seed, lengthSeconds: length, seamless } };
    }
    case 'regenerate': {
      const parent = parseParent(value['parent']);
      if (!parent.ok) return parent;
      const seed = parseSeed(value['seed']);
      if (seed === undefined) return bad('seed must be a whole number from 0 to 4294967295');
      const track = GRID_TRACKS.find((name) => name === value['track']);
      if (track === undefined) return bad(`track must be one of ${GRID_TRACKS.join(', ')}`);
      return { ok: true, value: { kind: 'regenerate', parent: parent.value, track, seed } };
    }
    default:
      return bad(`kind "${String(value['kind'])}" is not compose, variation, extension or regenerate`);
  }
}

/** A stored request made ready for the model, or why it cannot be. */
export type PreparedJob = { ok: true; value: PreparedClip } | { ok: false; error: string };

/** Parses a stored request and prepares it (plan + GenerateRequest); a parent that cannot be re-planned fails here. */
export function prepareJobRequest(value: unknown, context: PrepareContext): PreparedJob {
  const parsed = parseJobRequest(value);
  if (!parsed.ok) return { ok: false, error: parsed.error.message };
  const request = parsed.value;
  try {
    switch (request.kind) {
      case 'compose':
        return { ok: true, value: seamlessIf(request.seamless, prepareCompose(request.request, context)) };
      case 'variation':
        return { ok: true, value: prepareVariation(request.parent, request, context) };
      case 'extension':
        return { ok: true, value: seamlessIf(request.seamless, prepareExtension(request.parent, request, context)) };
      case 'regenerate':
        return { ok: true, value: prepareRegeneration(request.parent, request, context) };
    }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function parseCompose(value: Record<string, unknown>): JobRequestResult {
  const instruments = value['instruments'] ?? {};
  if (!isRecord(instruments)) return bad('instruments must be an object');
  const spec = instrumentsSpec(instruments);
  if (!spec.ok) return spec;
  for (const field of ['style', 'mood', 'key'] as const) {
    const text = value[field];
    if (text !== undefined && typeof text !== 'string') return bad(`${field} must be text`);
  }
  for (const field of ['tempo', 'lengthSeconds', 'seed'] as const) {
    const number = value[field];
    if (number !== undefined && typeof number !== 'number') return bad(`${field} must be a number`);
  }
  if (value['lengthSeconds'] === undefined) return bad('lengthSeconds is missing');
  const seamless = parseSeamless(value['seamless']);
  if (seamless === undefined) return bad('seamless must be true or false');
  if (value['seed'] === undefined) return bad('seed is missing');
  const parsed = parseComposeRequest(
    {
      style: value['style'] as string | undefined,
      mood: value['mood'] as string | undefined,
      tempo: value['tempo'] as number | undefined,
      key: value['key'] as string | undefined,
      length: value['lengthSeconds'] as number,
      seed: value['seed'] as number,
      instruments: spec.value,
    },
    // Neither default is used: a stored request always has its style and seed.
    { style: '', seed: () => 0 },
  );
  if (!parsed.ok) return bad(parsed.error.message);
  return { ok: true, value: { kind: 'compose', request: parsed.value, seamless } };
}

/** Overrides as parseInstruments reads them ("melody=73,drums=jazz"): programs by number, kits by name. */
function instrumentsSpec(
  overrides: Record<string, unknown>,
): { ok: true; value: string } | { ok: false; error: JobRequestError } {
  const parts: string[] = [];
  for (const [role, program] of Object.entries(overrides)) {
    if (typeof program !== 'number' || !Number.isInteger(program)) return bad(`instrument ${role} must be a number`);
    if (role === 'drums') {
      const kit = Object.entries(DRUM_KITS).find(([, number]) => number === program)?.[0];
      if (kit === undefined) return bad(`drum kit ${program} is not one Motif knows`);
      parts.push(`drums=${kit}`);
    } else {
      parts.push(`${role}=${program}`);
    }
  }
  return { ok: true, value: parts.join(',') };
}

function parseParent(value: unknown): { ok: true; value: ParentClip } | { ok: false; error: JobRequestError } {
  const parsed = parseClipMeta(value);
  if (!parsed.ok) return bad(`its parent clip is ${parsed.error.message}`);
  return { ok: true, value: { meta: parsed.value, grid: parsed.grid } };
}

/**
 * A radio segment: the music goes on into the next segment, so the model is not told that it ends (no closing
 * bar), and the render has no fade-out and the shortest fade-in.
 */
function seamlessIf(seamless: boolean, prepared: PreparedClip): PreparedClip {
  return seamless ? { ...prepared, clip: SEAMLESS_CLIP, generate: { ...prepared.generate, ends: false } } : prepared;
}

function parseSeamless(value: unknown): boolean | undefined {
  if (value === undefined) return false;
  return typeof value === 'boolean' ? value : undefined;
}

function parseSeed(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(why: string): { ok: false; error: JobRequestError } {
  return { ok: false, error: { code: 'bad-job-request', message: `not a job request Motif can run: ${why}` } };
}
