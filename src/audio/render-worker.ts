/**
 * The render worker: parses the SoundFont it is given once, says `ready`, then renders one Score per `render`
 * message and answers with the audio (its buffers transferred, not copied). Decoded samples live in the pool's
 * shared sample buffers, so every worker plays from one copy. Started by RenderPool.
 */

import { isMainThread, parentPort, workerData } from 'node:worker_threads';

import { SpessaLog } from 'spessasynth_core';

import type { Score } from '../music/score.ts';
import { renderClipInWorker, type ClipOptions } from './clip-renderer.ts';
import { isSharedSampleBuffers, type SharedSampleBuffers } from './shared-samples.ts';
import { readAt } from './soundfont.ts';
import type { CompressedSampleIndex } from './soundfont-index.ts';
import { AudioScratch } from './stereo-audio.ts';
import { Synthesizer } from './synthesizer.ts';
import type { RenderedClip } from './rendered-clip.ts';

/**
 * The pool's SoundFont, as a worker gets it: the index of an SF3 whose sample streams the worker reads from the
 * pool's open file (`fd`) when it first decodes them, or any other SoundFont read whole into shared memory.
 */
export type WorkerSoundfont =
  | { readonly kind: 'streamed'; readonly fd: number; readonly index: CompressedSampleIndex }
  | { readonly kind: 'whole'; readonly bytes: SharedArrayBuffer };

/** What the pool hands a worker at start. */
export interface RenderWorkerData {
  readonly soundfont: WorkerSoundfont;
  /** Where the workers of the pool keep the samples they have decoded, once for all of them. */
  readonly samples: SharedSampleBuffers;
  /** One Int32: the id of a job the pool wants stopped. */
  readonly cancel: SharedArrayBuffer;
}

/** Pool → worker. */
export interface RenderRequest {
  readonly type: 'render';
  readonly id: number;
  readonly score: Score;
  /** 'audio': the raw render; 'clip': render, master, encode and draw the whole clip here. */
  readonly output: 'audio' | 'clip';
  readonly clip?: ClipOptions | undefined;
}

/** Worker → pool. */
export type RenderWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-failed'; readonly message: string }
  | { readonly type: 'done'; readonly id: number; readonly left: Float32Array; readonly right: Float32Array }
  | { readonly type: 'clip-done'; readonly id: number; readonly clip: RenderedClip }
  | { readonly type: 'failed'; readonly id: number; readonly name: string; readonly message: string };

function isWorkerData(value: unknown): value is RenderWorkerData {
  if (typeof value !== 'object' || value === null) return false;
  const data = value as Partial<Record<keyof RenderWorkerData, unknown>>;
  return (
    isWorkerSoundfont(data.soundfont) && isSharedSampleBuffers(data.samples) && data.cancel instanceof SharedArrayBuffer
  );
}

function isWorkerSoundfont(value: unknown): value is WorkerSoundfont {
  if (typeof value !== 'object' || value === null) return false;
  const soundfont = value as { kind?: unknown; bytes?: unknown; fd?: unknown; index?: Partial<CompressedSampleIndex> };
  if (soundfont.kind === 'whole') return soundfont.bytes instanceof SharedArrayBuffer;
  return (
    soundfont.kind === 'streamed' &&
    typeof soundfont.fd === 'number' &&
    soundfont.index?.skeleton instanceof Uint8Array &&
    soundfont.index.streams instanceof Float64Array
  );
}

function isRenderRequest(value: unknown): value is RenderRequest {
  if (typeof value !== 'object' || value === null) return false;
  const request = value as Partial<Record<keyof RenderRequest, unknown>>;
  return (
    request.type === 'render' &&
    typeof request.id === 'number' &&
    typeof request.score === 'object' &&
    (request.output === 'audio' || request.output === 'clip')
  );
}

async function main(): Promise<void> {
  const port = parentPort;
  if (isMainThread || port === null) throw new Error('render-worker.ts runs only as a worker thread');
  const send = (message: RenderWorkerMessage, transfer: ArrayBuffer[] = []): void => {
    port.postMessage(message, transfer);
  };
  if (!isWorkerData(workerData)) {
    send({ type: 'init-failed', message: 'the render worker was started without its SoundFont' });
    return;
  }
  SpessaLog.infoEnabled = false;
  const cancel = new Int32Array(workerData.cancel);
  let synthesizer: Synthesizer;
  try {
    const { soundfont, samples } = workerData;
    synthesizer =
      soundfont.kind === 'streamed'
        ? await Synthesizer.loadStreamed(
            soundfont.index,
            (start, end) => {
              const stream = readAt(soundfont.fd, start, end - start);
              if (stream.length !== end - start) throw new Error('the SoundFont file has changed since it was opened');
              return stream;
            },
            { sharedSamples: samples },
          )
        : await Synthesizer.load(new Uint8Array(soundfont.bytes), { sharedSamples: samples });
  } catch (error) {
    send({ type: 'init-failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  // The clip's audio, raw and mastered, in buffers reused from clip to clip (only the encoded files leave the
  // worker). Raw renders asked for as audio are transferred to the pool, so they get fresh arrays.
  const scratch = new AudioScratch();
  port.on('message', (message: unknown) => {
    if (!isRenderRequest(message)) return;
    const { id } = message;
    try {
      const isCancelled = (): boolean => Atomics.load(cancel, 0) === id;
      if (message.output === 'clip') {
        const clip = renderClipInWorker(synthesizer, message.score, message.clip ?? {}, isCancelled, scratch);
        send({ type: 'clip-done', id, clip }, [clip.ogg.buffer as ArrayBuffer, clip.mid.buffer as ArrayBuffer]);
        return;
      }
      const audio = synthesizer.render(message.score, { isCancelled });
      const { left, right } = audio;
      send({ type: 'done', id, left, right }, [left.buffer as ArrayBuffer, right.buffer as ArrayBuffer]);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      send({ type: 'failed', id, name, message: error instanceof Error ? error.message : String(error) });
    }
  });
  send({ type: 'ready' });
}

await main();
