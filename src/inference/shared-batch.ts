/**
 * The inputs of one model run in shared memory: the main thread copies a ModelBatch in (a memcpy per array, no
 * message copy), the model worker hands views of it to ONNX Runtime as they are. One buffer serves every run of a
 * session; a batch larger than any before gets a new, larger one.
 */
import { TRACK_COUNT } from './grid.ts';
import { CONDITION_COUNT } from './model-run.ts';

import type { ModelBatch } from './model-session.ts';

/** Byte offsets of each input inside the buffer (the int64 arrays first, so every offset is aligned). */
export interface SharedBatchLayout {
  readonly tokens: number;
  readonly barPos: number;
  readonly toEnd: number;
  readonly cond: number;
  readonly style: number;
  /** Bytes the whole batch needs. */
  readonly bytes: number;
}

export function sharedBatchLayout(batchSize: number, steps: number, styleCount: number): SharedBatchLayout {
  const tokens = 0;
  const barPos = tokens + batchSize * steps * TRACK_COUNT * BigInt64Array.BYTES_PER_ELEMENT;
  const toEnd = barPos + batchSize * steps * BigInt64Array.BYTES_PER_ELEMENT;
  const cond = toEnd + batchSize * steps * BigInt64Array.BYTES_PER_ELEMENT;
  const style = cond + batchSize * CONDITION_COUNT * BigInt64Array.BYTES_PER_ELEMENT;
  const bytes = style + batchSize * styleCount * Float32Array.BYTES_PER_ELEMENT;
  return { tokens, barPos, toEnd, cond, style, bytes };
}

/** Copies the batch into `buffer`, which must hold sharedBatchLayout(...).bytes. */
export function writeSharedBatch(buffer: SharedArrayBuffer, batch: ModelBatch, styleCount: number): void {
  const view = readSharedBatch(buffer, batch.batchSize, batch.steps, styleCount);
  view.tokens.set(batch.tokens);
  view.barPos.set(batch.barPos);
  view.toEnd.set(batch.toEnd);
  view.cond.set(batch.cond);
  view.style.set(batch.style);
}

/** The batch as views of `buffer` (no copy). */
export function readSharedBatch(
  buffer: SharedArrayBuffer,
  batchSize: number,
  steps: number,
  styleCount: number,
): ModelBatch {
  const layout = sharedBatchLayout(batchSize, steps, styleCount);
  if (layout.bytes > buffer.byteLength) {
    throw new RangeError(
      `a batch of ${batchSize} x ${steps} needs ${layout.bytes} bytes, the buffer has ${buffer.byteLength}`,
    );
  }
  return {
    batchSize,
    steps,
    tokens: new BigInt64Array(buffer, layout.tokens, batchSize * steps * TRACK_COUNT),
    barPos: new BigInt64Array(buffer, layout.barPos, batchSize * steps),
    toEnd: new BigInt64Array(buffer, layout.toEnd, batchSize * steps),
    cond: new BigInt64Array(buffer, layout.cond, batchSize * CONDITION_COUNT),
    style: new Float32Array(buffer, layout.style, batchSize * styleCount),
  };
}
