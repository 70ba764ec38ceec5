/**
 * Which waiting jobs run together: the head of the queue's fair order, and jobs of its length bucket (the same
 * steps, steps per bar and bar offset, generateBatch's rule) from the next `window` places of that order, up to
 * the batch size. A job further back does not jump the queue to fill a batch.
 */
import { batchKey } from './clip-job.ts';
import {
  DEFAULT_LEAD_IN_BARS,
  contextStepsFor,
  leadInSteps,
  planWindows,
  samplingParams,
  type GenerateRequest,
} from './generate.ts';
import type { JobQueue, JobRecord } from './job-queue.ts';
import type { PreparedJob } from './job-request.ts';
import type { ModelMetadata } from './model-metadata.ts';

export interface BatchPlannerOptions {
  readonly batchSize: number;
  /** Places of the fair order a batch may draw from; default 3 × batchSize (at least batchSize). */
  readonly window?: number | undefined;
  /** A stored request made ready for the model (called once per job: the answer is kept until taken). */
  readonly prepare: (request: unknown) => PreparedJob;
}

export interface BatchPlanner {
  /** Takes the next batch (marked running by the queue); empty when nothing waits. */
  take(queue: Pick<JobQueue, 'take'>): JobRecord[];
  /** The job's prepared request, parsed once. */
  prepared(job: Pick<JobRecord, 'id' | 'request'>): PreparedJob;
  /** Keeps a request prepared at submit. */
  remember(jobId: string, prepared: PreparedJob): void;
  /** Drops what is kept for a job (taken, cancelled, failed). */
  forget(jobId: string): void;
}

export function createBatchPlanner(options: BatchPlannerOptions): BatchPlanner {
  const batchSize = Math.max(1, Math.floor(options.batchSize));
  const window = Math.max(batchSize, Math.floor(options.window ?? 3 * batchSize));
  const cache = new Map<string, PreparedJob>();

  const prepared = (job: Pick<JobRecord, 'id' | 'request'>): PreparedJob => {
    const cached = cache.get(job.id);
    if (cached) return cached;
    const made = options.prepare(job.request);
    cache.set(job.id, made);
    return made;
  };

  const keyOf = (job: JobRecord): string | undefined => {
    const made = prepared(job);
    return made.ok ? batchKey(made.value.generate) : undefined;
  };

  return {
    take(queue) {
      let looked = 0;
      let head: string | undefined;
      // The queue calls this in fair order; the first job is always taken (a request that cannot be prepared
      // is taken alone, to be failed).
      return queue.take(batchSize, (job, taken) => {
        looked++;
        if (taken.length === 0) {
          head = keyOf(job);
          return true;
        }
        return looked <= window && head !== undefined && keyOf(job) === head;
      });
    },
    prepared,
    remember: (jobId, made) => {
      cache.set(jobId, made);
    },
    forget: (jobId) => {
      cache.delete(jobId);
    },
  };
}

/** Model calls generateBatch makes for a request: diffusion steps per window × windows (lead-in included). */
export function diffusionSteps(request: GenerateRequest, metadata: ModelMetadata): number {
  const context = contextStepsFor(request.stepsPerBar, 4, metadata);
  const lead = leadInSteps(request.stepsPerBar, metadata.patchSteps, DEFAULT_LEAD_IN_BARS);
  const windows = planWindows(request.steps + lead, metadata.maxSteps, context).length;
  return windows * samplingParams(request.sampling).steps;
}
