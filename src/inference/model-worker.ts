/**
 * The model worker: the one ONNX Runtime session of the denoiser, on its own thread. onnxruntime-node runs a
 * session on the thread that calls it, and a diffusion step of a full batch takes tens of milliseconds; here that
 * blocks only this thread, while the main one keeps the Discord gateway, interaction replies and the 20 ms voice
 * timer on time. Started by the model worker proxy (model-worker-proxy.ts), one request at a time:
 *
 * - open: one execution provider; answered with the graph's input and output names, or failed;
 * - run: the batch waits in the shared input buffer (shared-batch.ts, sent again only when it grew); answered
 *   with the logits, their buffers transferred, or failed with the ModelRunError's message;
 * - release: releases the session (the worker is terminated after).
 */
import { isMainThread, parentPort, type MessagePort } from 'node:worker_threads';

import { InferenceSession } from 'onnxruntime-node';

import { firstLine, runModel } from './model-run.ts';
import type { OrtSession } from './model-session.ts';
import { readSharedBatch } from './shared-batch.ts';

/** Proxy → worker. */
export type ModelWorkerRequest =
  | {
      readonly type: 'open';
      readonly id: number;
      readonly modelPath: string;
      readonly options: InferenceSession.SessionOptions;
    }
  | {
      readonly type: 'run';
      readonly id: number;
      readonly batchSize: number;
      readonly steps: number;
      readonly styleCount: number;
      /** The shared input buffer, when it is new since the last run. */
      readonly inputs: SharedArrayBuffer | undefined;
    }
  | { readonly type: 'release'; readonly id: number };

/** Worker → proxy: one answer per request, with the request's id. */
export type ModelWorkerReply =
  | {
      readonly type: 'opened';
      readonly id: number;
      readonly inputNames: readonly string[];
      readonly outputNames: readonly string[];
    }
  | { readonly type: 'ran'; readonly id: number; readonly tracks: readonly Float32Array[] }
  | {
      readonly type: 'failed';
      readonly id: number;
      readonly message: string;
      /** The first line of the underlying error, when there is one. */
      readonly cause: string | undefined;
    }
  | { readonly type: 'released'; readonly id: number };

function serve(port: MessagePort): void {
  let session: OrtSession | undefined;
  let inputs: SharedArrayBuffer | undefined;
  let pending = Promise.resolve();

  const reply = (message: ModelWorkerReply, transfer: ArrayBuffer[] = []): void => {
    port.postMessage(message, transfer);
  };

  const release = async (): Promise<void> => {
    const current = session;
    session = undefined;
    await current?.release();
  };

  const handle = async (request: ModelWorkerRequest): Promise<void> => {
    const { id } = request;
    try {
      switch (request.type) {
        case 'open': {
          await release();
          const opened = await InferenceSession.create(request.modelPath, request.options);
          session = opened;
          reply({ type: 'opened', id, inputNames: [...opened.inputNames], outputNames: [...opened.outputNames] });
          return;
        }
        case 'run': {
          if (request.inputs !== undefined) inputs = request.inputs;
          if (session === undefined || inputs === undefined) throw new Error('the model worker has no open session');
          const batch = readSharedBatch(inputs, request.batchSize, request.steps, request.styleCount);
          const logits = await runModel(session, batch, request.styleCount);
          const { tracks, transfer } = transferable(logits.tracks);
          reply({ type: 'ran', id, tracks }, transfer);
          return;
        }
        case 'release':
          await release();
          reply({ type: 'released', id });
          return;
      }
    } catch (error) {
      const cause: unknown = error instanceof Error ? error.cause : undefined;
      const message = error instanceof Error ? error.message : String(error);
      reply({ type: 'failed', id, message, cause: cause === undefined ? undefined : firstLine(cause) });
    }
  };

  port.on('message', (request: ModelWorkerRequest) => {
    pending = pending.then(() => handle(request));
  });
}

/**
 * The arrays with buffers that can move to the other thread as they are, and those buffers. ONNX Runtime gives each
 * output a buffer of its own; an array that only views part of one is copied first so nothing else goes with it.
 */
function transferable(tracks: readonly Float32Array[]): { tracks: Float32Array[]; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const moved = tracks.map((track) => {
    const { buffer } = track;
    const whole =
      buffer instanceof ArrayBuffer &&
      track.byteOffset === 0 &&
      track.byteLength === buffer.byteLength &&
      !transfer.includes(buffer);
    const own = whole ? track : track.slice();
    transfer.push(own.buffer as ArrayBuffer);
    return own;
  });
  return { tracks: moved, transfer };
}

if (isMainThread || parentPort === null) throw new Error('model-worker.ts runs only as a worker thread');
serve(parentPort);
