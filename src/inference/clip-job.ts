/**
 * One clip's way through the pipeline, in two halves so that a loop can run the model stage of many clips in one
 * batch: `prepare*` resolves a request (or an earlier clip and an edit) into a plan and a GenerateRequest;
 * `finishClip` takes the generated grid on to a lead sheet, the style's arrangement, a rendered clip and its
 * metadata. The composer runs both halves for one clip; the inference service runs them around generateBatch.
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
import type { GenerateRequest, GenerateResult } from './generate.ts';
import { encodeGrid, gridToLeadSheet, sliceGrid, type Grid, type GridTrack } from './grid.ts';
import type { ModelSession } from './model-session.ts';
import type { SamplingParams } from './sampler.ts';

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

/** What preparing needs to know about the model and the sampler. */
export interface PrepareContext {
  /** The model's style names, in its own order (session.metadata.styles). */
  readonly modelStyles: readonly string[];
  readonly sampling: SamplingParams;
}

/** One clip ready for the model stage: `generate` goes into generate/generateBatch, the rest is for finishing. */
export interface PreparedClip {
  readonly kind: ClipKind;
  readonly plan: CompositionPlan;
  readonly seed: number;
  readonly instruments: InstrumentOverrides;
  readonly request: ClipMeta['request'];
  readonly parent: ClipMeta['parent'];
  readonly title: string | undefined;
  /** Grid step to keep from (an extension drops its context bars); undefined = the whole grid. */
  readonly keepFrom: number | undefined;
  readonly barOffset: number;
  readonly generate: GenerateRequest;
  /** This clip's render options, over the service's (a radio segment's fades: SEAMLESS_CLIP). */
  readonly clip?: ClipOptions | undefined;
}

/**
 * How a radio segment is rendered: the mastering's 300 ms fade-out would be a dip at every hand-over to the next
 * segment, so there is none; the fade-in is the shortest that still starts the clip from zero (no click).
 */
export const SEAMLESS_CLIP: ClipOptions = { fadeInMs: 1, fadeOutMs: 0 };

export function prepareCompose(request: ComposeRequest, context: PrepareContext): PreparedClip {
  return prepared(context, {
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
  });
}

/** Re-generates about `strength` (0-1) of the parent's cells, keeping the rest. */
export function prepareVariation(
  parent: ParentClip,
  options: { readonly strength: number; readonly seed: number },
  context: PrepareContext,
): PreparedClip {
  const { strength, seed } = options;
  const barOffset = parent.meta.resolved.barOffset;
  return prepared(context, {
    kind: 'variation',
    plan: replan(parent, parent.grid.steps / 4),
    seed,
    instruments: parent.meta.request.instruments,
    barOffset,
    edit: { ...variationEdit(parent.grid, { strength, seed }), barOffset },
    parent: parentInfo(parent),
    title: `${parent.meta.title} (variation)`,
    request: { ...parent.meta.request, seed, strength },
  });
}

/** What comes after the parent: its last bars are the context, the new clip starts where it ended. */
export function prepareExtension(
  parent: ParentClip,
  options: { readonly seed: number; readonly lengthSeconds?: number | undefined },
  context: PrepareContext,
): PreparedClip {
  const { seed } = options;
  const seconds = options.lengthSeconds ?? parent.meta.request.lengthSeconds;
  const newBeats = Math.max(1, Math.round((seconds * parent.meta.resolved.tempo) / 60));
  const plan = replan(parent, newBeats);
  const edit = extensionEdit(parent.grid, {
    stepsPerBar: plan.stepsPerBar,
    newSteps: newBeats * 4,
    barOffset: parent.meta.resolved.barOffset,
  });
  return prepared(context, {
    kind: 'extension',
    plan,
    seed,
    instruments: parent.meta.request.instruments,
    barOffset: (parent.meta.resolved.barOffset + parent.grid.steps) % plan.stepsPerBar,
    edit: { ...edit, keepFrom: edit.contextSteps },
    parent: parentInfo(parent),
    title: `${parent.meta.title} (continued)`,
    request: { ...parent.meta.request, seed, lengthSeconds: seconds },
  });
}

/** The parent with one track written anew and the others kept. */
export function prepareRegeneration(
  parent: ParentClip,
  options: { readonly track: GridTrack; readonly seed: number },
  context: PrepareContext,
): PreparedClip {
  const { track, seed } = options;
  const barOffset = parent.meta.resolved.barOffset;
  return prepared(context, {
    kind: 'regenerate',
    plan: replan(parent, parent.grid.steps / 4),
    seed,
    instruments: parent.meta.request.instruments,
    barOffset,
    edit: { ...regenerateTrackEdit(parent.grid, track), barOffset },
    parent: parentInfo(parent),
    title: `${parent.meta.title} (new ${track})`,
    request: { ...parent.meta.request, seed, track },
  });
}

/** Requests that may share one generateBatch call have the same key (generateBatch's own rule). */
export function batchKey(request: GenerateRequest): string {
  return `${request.steps}/${request.stepsPerBar}/${request.barOffset ?? 0}`;
}

export interface FinishContext {
  readonly session: Pick<ModelSession, 'metadata' | 'provider'>;
  readonly renderPool: Pick<RenderPool, 'renderClip'>;
  readonly sampling: SamplingParams;
  readonly clip?: ClipOptions | undefined;
  /** performance.now() when this clip's model stage began (for timingsMs.generate and .total). */
  readonly startedAt: number;
  readonly signal?: AbortSignal | undefined;
  /** Extra timings to record in the metadata (e.g. time waiting in the queue, the batch size). */
  readonly timings?: Readonly<Record<string, number>>;
}

/** Grid → lead sheet → arrangement → rendered clip (on a render worker) → metadata. */
export async function finishClip(
  job: PreparedClip,
  generated: GenerateResult,
  context: FinishContext,
): Promise<ComposedClip> {
  const { plan } = job;
  const { session, sampling } = context;
  const generatedAt = performance.now();
  const steps = job.generate.steps;
  const grid = job.keepFrom === undefined ? generated.grid : sliceGrid(generated.grid, job.keepFrom, steps);

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
  const options = job.clip === undefined ? context.clip : { ...context.clip, ...job.clip };
  const clip = await context.renderPool.renderClip(score, options, context.signal);
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
      ...context.timings,
      model: round(generated.timing.modelMs),
      sampling: round(generated.timing.samplingMs),
      generate: round(generatedAt - context.startedAt),
      arrange: round(arrangedAt - generatedAt),
      render: clip.report.timings.renderMs,
      master: clip.report.timings.masterMs,
      encode: clip.report.timings.encodeMs,
      midi: clip.report.timings.midiMs,
      pianoRoll: clip.report.timings.pianoRollMs,
      renderStage: round(renderedAt - arrangedAt),
      total: round(renderedAt - context.startedAt),
    },
  };
  return { meta, score, grid, clip };
}

interface ClipJobSpec {
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

function prepared(context: PrepareContext, spec: ClipJobSpec): PreparedClip {
  const { plan, edit } = spec;
  const generate: GenerateRequest = {
    steps: edit?.initial.steps ?? plan.steps,
    stepsPerBar: plan.stepsPerBar,
    barOffset: edit?.barOffset ?? 0,
    styleWeights: styleWeightsFor(plan.conditioning, context.modelStyles),
    conditions: plan.conditions,
    seed: spec.seed,
    sampling: context.sampling,
    ...(edit === undefined ? {} : { initial: edit.initial, fixed: edit.fixed }),
  };
  return {
    kind: spec.kind,
    plan,
    seed: spec.seed,
    instruments: spec.instruments,
    request: spec.request,
    parent: spec.parent,
    title: spec.title,
    keepFrom: edit?.keepFrom,
    barOffset: spec.barOffset,
    generate,
  };
}

/** The plan of an earlier clip, for a variation, extension or new track of it. */
function replan(parent: ParentClip, lengthBeats: number): CompositionPlan {
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
}

function parentInfo(parent: ParentClip): ClipMeta['parent'] {
  return { title: parent.meta.title, seed: parent.meta.request.seed };
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : value;
}
