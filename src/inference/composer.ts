/**
 * The composer: a ComposeRequest (or an earlier clip and an edit) → model → lead sheet → the style's
 * arrangement → a rendered clip and its metadata. One per process, shared by the CLI and the bot.
 */
import { performance } from 'node:perf_hooks';

import type { ClipOptions } from '../audio/clip-renderer.ts';
import type { RenderPool } from '../audio/render-pool.ts';
import type { RenderedClip } from '../audio/rendered-clip.ts';
import { arrange } from '../music/arrange.ts';
import { applyMood, parseMood } from '../music/moods.ts';
import { keyName, noteCount, type Score } from '../music/score.ts';
import type { InstrumentOverrides } from '../music/style-instruments.ts';
import { parseStyle } from '../music/styles.ts';
import { CLIP_META_FORMAT, CLIP_META_VERSION, encodeGridForMeta, type ClipKind, type ClipMeta } from './clip-meta.ts';
import type { ComposeRequest } from './compose-request.ts';
import { planComposition, planFrom, styleWeightsFor, type CompositionPlan } from './composition-plan.ts';
import { extensionEdit, regenerateTrackEdit, variationEdit, type GridEdit } from './edit-masks.ts';
import { generate, samplingParams, type GenerateRequest } from './generate.ts';
import { encodeGrid, gridToLeadSheet, sliceGrid, type Grid, type GridTrack } from './grid.ts';
import type { ModelSession } from './model-session.ts';
import type { SamplingParams } from './sampler.ts';

export interface ComposerOptions {
  readonly session: ModelSession;
  readonly renderPool: RenderPool;
  readonly sampling?: Partial<SamplingParams>;
  readonly clip?: ClipOptions;
}

export interface ComposedClip {
  readonly meta: ClipMeta;
  readonly score: Score;
  readonly grid: Grid;
  readonly clip: RenderedClip;
}

/** An earlier clip to start from: its metadata and its decoded grid (see parseClipMeta). */
export interface ParentClip {
  readonly meta: ClipMeta;
  readonly grid: Grid;
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

interface Job {
  readonly kind: ClipKind;
  readonly plan: CompositionPlan;
  readonly seed: number;
  readonly instruments: InstrumentOverrides;
  readonly request: ClipMeta['request'];
  readonly parent?: ClipMeta['parent'];
  readonly title?: string;
  readonly edit?: GridEdit & { readonly keepFrom?: number };
  readonly barOffset: number;
}

export function createComposer(options: ComposerOptions): Composer {
  const { session, renderPool } = options;
  const sampling = samplingParams(options.sampling);

  const run = async (job: Job, signal: AbortSignal | undefined): Promise<ComposedClip> => {
    const started = performance.now();
    const { plan } = job;
    const steps = job.edit?.initial.steps ?? plan.steps;
    const generateRequest: GenerateRequest = {
      steps,
      stepsPerBar: plan.stepsPerBar,
      barOffset: job.edit?.barOffset ?? 0,
      styleWeights: styleWeightsFor(plan.conditioning, session.metadata.styles),
      conditions: plan.conditions,
      seed: job.seed,
      sampling,
      ...(job.edit === undefined ? {} : { initial: job.edit.initial, fixed: job.edit.fixed }),
    };
    const generated = await generate(session, generateRequest, signal === undefined ? {} : { signal });
    const grid =
      job.edit?.keepFrom === undefined ? generated.grid : sliceGrid(generated.grid, job.edit.keepFrom, steps);
    const generatedAt = performance.now();

    const sheet = gridToLeadSheet(grid, {
      key: plan.key,
      tempo: plan.tempo,
      timeSignature: plan.timeSignature,
      stepsPerBar: plan.stepsPerBar,
    });
    const score = arrange(sheet, plan.recipe, {
      seed: job.seed,
      styleLabel: plan.styleLabel,
      instruments: job.instruments,
      ...(job.title === undefined ? {} : { title: job.title }),
    });
    const arrangedAt = performance.now();
    const clip = await renderPool.renderClip(score, options.clip, signal);
    const renderedAt = performance.now();

    const meta: ClipMeta = {
      format: CLIP_META_FORMAT,
      version: CLIP_META_VERSION,
      kind: job.kind,
      title: score.title,
      parent: job.parent,
      request: job.request,
      resolved: {
        tempo: plan.tempo,
        key: plan.key,
        keyName: keyName(plan.key),
        timeSignature: `${plan.timeSignature.numerator}/${plan.timeSignature.denominator}`,
        stepsPerBar: plan.stepsPerBar,
        lengthBeats: grid.steps / 4,
        durationSeconds: clip.report.durationSeconds,
        barOffset: job.barOffset,
        conditioning: plan.conditioning,
        conditions: plan.conditions,
      },
      model: {
        name: session.metadata.name,
        version: session.metadata.version,
        onnxSha256: session.metadata.onnxSha256,
        provider: session.provider,
      },
      sampling: { ...sampling },
      grid: encodeGridForMeta(encodeGrid(grid), grid.steps),
      output: {
        loudnessLufs: round(clip.report.loudnessLufs),
        truePeakDbtp: round(clip.report.truePeakDbtp),
        oggBytes: clip.report.oggBytes,
        notes: noteCount(score),
      },
      timingsMs: {
        model: round(generated.timing.modelMs),
        sampling: round(generated.timing.samplingMs),
        generate: round(generatedAt - started),
        arrange: round(arrangedAt - generatedAt),
        render: clip.report.timings.renderMs,
        master: clip.report.timings.masterMs,
        encode: clip.report.timings.encodeMs,
        midi: clip.report.timings.midiMs,
        pianoRoll: clip.report.timings.pianoRollMs,
        renderStage: round(renderedAt - arrangedAt),
        total: round(renderedAt - started),
      },
    };
    return { meta, score, grid, clip };
  };

  /** The plan of an earlier clip, for a variation, extension or new track of it. */
  const replan = (parent: ParentClip, lengthBeats: number): CompositionPlan => {
    const { request, resolved } = parent.meta;
    const style = parseStyle(request.style);
    if (!style.ok) throw new Error(`the parent clip's style "${request.style}" is no longer known`);
    const mood = request.mood === undefined ? undefined : parseMood(request.mood);
    const recipe = mood?.ok === true ? applyMood(style.value.recipe, mood.value) : style.value.recipe;
    return planFrom({
      recipe,
      styleLabel: style.value.label,
      tempo: resolved.tempo,
      key: resolved.key,
      lengthBeats,
      conditioning: resolved.conditioning,
    });
  };

  const parentInfo = (parent: ParentClip): ClipMeta['parent'] => ({
    title: parent.meta.title,
    seed: parent.meta.request.seed,
  });

  return {
    compose: (request, signal) =>
      run(
        {
          kind: 'compose',
          plan: planComposition(request),
          seed: request.seed,
          instruments: request.instruments,
          barOffset: 0,
          request: {
            style: request.style.label,
            mood: request.mood?.name,
            tempo: request.tempo,
            key: request.key === undefined ? undefined : keyName(request.key),
            lengthSeconds: request.lengthSeconds,
            seed: request.seed,
            instruments: request.instruments,
          },
        },
        signal,
      ),

    vary: (parent, { strength, seed }, signal) => {
      const plan = replan(parent, parent.grid.steps / 4);
      const edit = variationEdit(parent.grid, { strength, seed });
      return run(
        {
          kind: 'variation',
          plan,
          seed,
          instruments: parent.meta.request.instruments,
          barOffset: parent.meta.resolved.barOffset,
          edit: { ...edit, barOffset: parent.meta.resolved.barOffset },
          parent: parentInfo(parent),
          title: `${parent.meta.title} (variation)`,
          request: { ...parent.meta.request, seed, strength },
        },
        signal,
      );
    },

    extend: (parent, { seed, lengthSeconds }, signal) => {
      const seconds = lengthSeconds ?? parent.meta.request.lengthSeconds;
      const newBeats = Math.max(1, Math.round((seconds * parent.meta.resolved.tempo) / 60));
      const plan = replan(parent, newBeats);
      const edit = extensionEdit(parent.grid, {
        stepsPerBar: plan.stepsPerBar,
        newSteps: newBeats * 4,
        barOffset: parent.meta.resolved.barOffset,
      });
      return run(
        {
          kind: 'extension',
          plan,
          seed,
          instruments: parent.meta.request.instruments,
          barOffset: (parent.meta.resolved.barOffset + parent.grid.steps) % plan.stepsPerBar,
          edit: { ...edit, keepFrom: edit.contextSteps },
          parent: parentInfo(parent),
          title: `${parent.meta.title} (continued)`,
          request: { ...parent.meta.request, seed, lengthSeconds: seconds },
        },
        signal,
      );
    },

    regenerate: (parent, { track, seed }, signal) => {
      const plan = replan(parent, parent.grid.steps / 4);
      const edit = regenerateTrackEdit(parent.grid, track);
      return run(
        {
          kind: 'regenerate',
          plan,
          seed,
          instruments: parent.meta.request.instruments,
          barOffset: parent.meta.resolved.barOffset,
          edit: { ...edit, barOffset: parent.meta.resolved.barOffset },
          parent: parentInfo(parent),
          title: `${parent.meta.title} (new ${track})`,
          request: { ...parent.meta.request, seed, track },
        },
        signal,
      );
    },
  };
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : value;
}
