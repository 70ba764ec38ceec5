/**
 * The composer: a ComposeRequest (or an earlier clip and an edit) → model → lead sheet → the style's
 * arrangement → a rendered clip and its metadata, one clip at a time. Shared by the CLI and the bot's
 * one-off paths; the inference service runs the same two halves (clip-job.ts) around batched generation.
 */
import { performance } from 'node:perf_hooks';

import type { ClipOptions } from '../audio/clip-renderer.ts';
import type { RenderPool } from '../audio/render-pool.ts';
import {
  finishClip,
  prepareCompose,
  prepareExtension,
  prepareRegeneration,
  prepareVariation,
  type ComposedClip,
  type ParentClip,
  type PrepareContext,
  type PreparedClip,
} from './clip-job.ts';
import type { ComposeRequest } from './compose-request.ts';
import { generate, samplingParams } from './generate.ts';
import type { GridTrack } from './grid.ts';
import type { ModelSession } from './model-session.ts';
import type { SamplingParams } from './sampler.ts';

export type { ComposedClip, ParentClip } from './clip-job.ts';

export interface ComposerOptions {
  readonly session: ModelSession;
  readonly renderPool: RenderPool;
  readonly sampling?: Partial<SamplingParams>;
  readonly clip?: ClipOptions;
}

export interface Composer {
  compose(request: ComposeRequest, signal?: AbortSignal): Promise<ComposedClip>;
  /** Re-generates about `strength` (0-1) of the parent's cells, keeping the rest. */
  vary(parent: ParentClip, options: { strength: number; seed: number }, signal?: AbortSignal): Promise<ComposedClip>;
  /** What comes after the parent: its last bars are the context, the new clip starts where it ended. */
  extend(
    parent: ParentClip,
    options: { seed: number; lengthSeconds?: number },
    signal?: AbortSignal,
  ): Promise<ComposedClip>;
  /** The parent with one track written anew and the others kept. */
  regenerate(
    parent: ParentClip,
    options: { track: GridTrack; seed: number },
    signal?: AbortSignal,
  ): Promise<ComposedClip>;
}

export function createComposer(options: ComposerOptions): Composer {
  const { session, renderPool } = options;
  const sampling = samplingParams(options.sampling);
  const context: PrepareContext = { modelStyles: session.metadata.styles, sampling };

  /** Prepares inside the promise, so that a parent that cannot be re-planned rejects instead of throwing. */
  const run = async (prepare: () => PreparedClip, signal: AbortSignal | undefined): Promise<ComposedClip> => {
    const job = prepare();
    const startedAt = performance.now();
    const generated = await generate(session, job.generate, signal === undefined ? {} : { signal });
    return finishClip(job, generated, { session, renderPool, sampling, clip: options.clip, startedAt, signal });
  };

  return {
    compose: (request, signal) => run(() => prepareCompose(request, context), signal),
    vary: (parent, edit, signal) => run(() => prepareVariation(parent, edit, context), signal),
    extend: (parent, edit, signal) => run(() => prepareExtension(parent, edit, context), signal),
    regenerate: (parent, edit, signal) => run(() => prepareRegeneration(parent, edit, context), signal),
  };
}
