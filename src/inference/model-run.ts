/**
 * One forward pass of the denoiser through an opened ONNX Runtime session: check the batch against the contract's
 * shapes, run it, check and return the logits. The in-process session and the model worker both run through here,
 * so a failure reads the same from either (ModelRunError).
 */
import { Tensor } from 'onnxruntime-node';
import { GRID_TRACKS, TRACK_COUNT, TRACK_SIZES } from './grid.ts';

import type { ModelBatch, ModelLogits, OrtSession } from './model-session.ts';

/** The contract's inputs, in the order of ModelBatch's arrays. */
export const INPUT_NAMES = ['tokens', 'bar_pos', 'style', 'cond'] as const;
/** The input of models that are told where the piece ends (metadata endBuckets > 0); fed when the graph has it. */
export const END_INPUT = 'to_end';
/** Condition indices per row (mood, tempo, density, mode, meter). */
export const CONDITION_COUNT = 5;

export class ModelRunError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ModelRunError';
  }
}

/** Throws ModelRunError unless every array of the batch has the length its shape says. */
export function checkBatch(batch: ModelBatch, styleCount: number): void {
  const { batchSize: b, steps: t } = batch;
  checkLength('tokens', batch.tokens.length, b * t * TRACK_COUNT);
  checkLength('barPos', batch.barPos.length, b * t);
  checkLength('toEnd', batch.toEnd.length, b * t);
  checkLength('style', batch.style.length, b * styleCount);
  checkLength('cond', batch.cond.length, b * CONDITION_COUNT);
}

/** Runs one batch; the logits are new arrays the caller owns. */
export async function runModel(
  session: Pick<OrtSession, 'run' | 'inputNames'>,
  batch: ModelBatch,
  styleCount: number,
): Promise<ModelLogits> {
  checkBatch(batch, styleCount);
  const { batchSize: b, steps: t } = batch;
  const feeds: Record<string, Tensor> = {
    tokens: new Tensor('int64', batch.tokens, [b, t, TRACK_COUNT]),
    bar_pos: new Tensor('int64', batch.barPos, [b, t]),
    style: new Tensor('float32', batch.style, [b, styleCount]),
    cond: new Tensor('int64', batch.cond, [b, CONDITION_COUNT]),
  };
  if (session.inputNames.includes(END_INPUT)) feeds[END_INPUT] = new Tensor('int64', batch.toEnd, [b, t]);
  let outputs: Record<string, Tensor> | null = null;
  try {
    try {
      outputs = await session.run(feeds);
    } catch (error) {
      throw new ModelRunError(`model run failed (batch ${b}, ${t} steps): ${firstLine(error)}`, { cause: error });
    }
    const tracks = GRID_TRACKS.map((name, k) => {
      const tensor = outputs?.[name];
      const size = TRACK_SIZES[k] ?? 0;
      if (!tensor || tensor.type !== 'float32' || !(tensor.data instanceof Float32Array)) {
        throw new ModelRunError(`model output ${name} is missing or not float32`);
      }
      checkLength(`output ${name}`, tensor.data.length, b * t * size);
      return tensor.data;
    });
    return { batchSize: b, steps: t, tracks };
  } finally {
    for (const tensor of Object.values(feeds)) tensor.dispose();
    if (outputs) for (const tensor of Object.values(outputs)) tensor.dispose();
  }
}

function checkLength(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new ModelRunError(`${what} has ${actual} values, expected ${expected}`);
}

/** The first non-empty line of an error's message, at most 200 characters (native errors carry long traces). */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
