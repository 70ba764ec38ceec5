/**
 * The metadata file beside every model (`motif-v1.onnx` → `motif-v1.json`), as written by the training
 * pipeline (see MODEL-CONTRACT.md). Loading validates it against the vocabulary this code was built for.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import vocabulary from '../music/vocabulary.json' with { type: 'json' };
import type { Result } from './grid.ts';

export interface ModelMetadata {
  readonly name: string;
  readonly version: string;
  readonly vocabularyVersion: number;
  /** Learned style names, in the order of the model's `style` input. */
  readonly styles: readonly string[];
  /** Longest window (steps) the model takes in one run. */
  readonly maxSteps: number;
  readonly patchSteps: number;
  /**
   * Values of the model's `to_end` input (bars to the end of the piece: 0 unknown, 1 the last bar, ...,
   * endBuckets - 1 that many bars or more); 0 = the model has no such input (models before 2026-11-21).
   */
  readonly endBuckets: number;
  readonly parameters: number;
  readonly trainedAt: string;
  readonly onnxSha256: string;
}

export interface MetadataError {
  readonly code: 'unreadable' | 'invalid-json' | 'invalid-field' | 'vocabulary-mismatch' | 'checksum-mismatch';
  readonly message: string;
}

export interface LoadModelMetadataOptions {
  /** Hash the .onnx file and compare with `onnxSha256` (reads the whole model once). */
  readonly verifyChecksum?: boolean;
}

export function metadataPathFor(modelPath: string): string {
  return modelPath.endsWith('.onnx') ? `${modelPath.slice(0, -'.onnx'.length)}.json` : `${modelPath}.json`;
}

export async function loadModelMetadata(
  modelPath: string,
  options: LoadModelMetadataOptions = {},
): Promise<Result<ModelMetadata, MetadataError>> {
  const path = metadataPathFor(modelPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, error: { code: 'unreadable', message: `cannot read ${path}: ${String(error)}` } };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: { code: 'invalid-json', message: `${path}: ${String(error)}` } };
  }
  const parsed = parseModelMetadata(json);
  if (!parsed.ok || options.verifyChecksum !== true) return parsed;
  let model: Buffer;
  try {
    model = await readFile(modelPath);
  } catch (error) {
    return { ok: false, error: { code: 'unreadable', message: `cannot read ${modelPath}: ${String(error)}` } };
  }
  const sha = createHash('sha256').update(model).digest('hex');
  if (sha !== parsed.value.onnxSha256) {
    return {
      ok: false,
      error: {
        code: 'checksum-mismatch',
        message: `${modelPath} hashes to ${sha}, metadata says ${parsed.value.onnxSha256}`,
      },
    };
  }
  return parsed;
}

export function parseModelMetadata(json: unknown): Result<ModelMetadata, MetadataError> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return invalid('the metadata is not an object');
  const record = json as Record<string, unknown>;
  const name = record['name'];
  const version = record['version'];
  const vocabularyVersion = record['vocabularyVersion'];
  const styles = record['styles'];
  const maxSteps = record['maxSteps'];
  const patchSteps = record['patchSteps'];
  const parameters = record['parameters'];
  const trainedAt = record['trainedAt'];
  const onnxSha256 = record['onnxSha256'];
  const endBuckets = record['endBuckets'] ?? 0;
  if (typeof name !== 'string' || name === '') return invalid('name must be a non-empty string');
  if (typeof version !== 'string' && typeof version !== 'number') return invalid('version must be a string or number');
  if (typeof vocabularyVersion !== 'number') return invalid('vocabularyVersion must be a number');
  if (!Array.isArray(styles) || styles.length === 0 || !styles.every((s) => typeof s === 'string' && s !== '')) {
    return invalid('styles must be a non-empty array of names');
  }
  if (new Set(styles).size !== styles.length) return invalid('styles must not repeat');
  if (!isPositiveInteger(patchSteps)) return invalid('patchSteps must be a positive integer');
  if (!isPositiveInteger(maxSteps) || maxSteps % patchSteps !== 0) {
    return invalid('maxSteps must be a positive multiple of patchSteps');
  }
  if (!isPositiveInteger(parameters)) return invalid('parameters must be a positive integer');
  if (endBuckets !== 0 && (!isPositiveInteger(endBuckets) || endBuckets < 2)) {
    return invalid('endBuckets must be 0 or an integer >= 2');
  }
  if (typeof trainedAt !== 'string') return invalid('trainedAt must be a string');
  if (typeof onnxSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(onnxSha256)) {
    return invalid('onnxSha256 must be 64 lowercase hex digits');
  }
  if (vocabularyVersion !== vocabulary.version) {
    return mismatch(`the model uses vocabulary ${vocabularyVersion}, this code vocabulary ${vocabulary.version}`);
  }
  if (patchSteps !== vocabulary.patchSteps) {
    return mismatch(`the model patches ${patchSteps} steps, the vocabulary ${vocabulary.patchSteps}`);
  }
  return {
    ok: true,
    value: {
      name,
      version: String(version),
      vocabularyVersion,
      styles: styles as string[],
      maxSteps,
      patchSteps,
      endBuckets,
      parameters,
      trainedAt,
      onnxSha256,
    },
  };
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function invalid(message: string): { ok: false; error: MetadataError } {
  return { ok: false, error: { code: 'invalid-field', message } };
}

function mismatch(message: string): { ok: false; error: MetadataError } {
  return { ok: false, error: { code: 'vocabulary-mismatch', message } };
}
