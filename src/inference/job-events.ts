/**
 * What the inference service tells its listeners (the bot, the CLI): where a job is, and how it ended.
 */
import type { ClipMeta } from './clip-meta.ts';
import type { ClipFilePaths } from './job-clip-files.ts';
import type { JobRecord } from './job-queue.ts';

export type JobStage = 'queued' | 'composing' | 'rendering';

export interface JobProgress {
  readonly jobId: string;
  readonly userId: string;
  readonly stage: JobStage;
  /** 1-based place among waiting jobs (stage 'queued'). */
  readonly position?: number | undefined;
  /** Diffusion steps done and in all (stage 'composing'). */
  readonly step?: number | undefined;
  readonly steps?: number | undefined;
  /** Estimated seconds until the clip is ready (queued: until it starts); absent before anything was measured. */
  readonly etaSeconds?: number | undefined;
}

/** What the queue stores as a finished job's result. */
export interface JobResult {
  readonly files: ClipFilePaths;
  readonly meta: ClipMeta;
}

export interface FinishedJob {
  readonly job: JobRecord;
  readonly files: ClipFilePaths;
  readonly meta: ClipMeta;
  /**
   * The job's interaction token is older than its lifetime: reply with a channel message that mentions only the
   * owner instead of editing the interaction. False when the job has no token (nothing to reply to).
   */
  readonly tokenExpired: boolean;
}

export interface FailedJob {
  readonly job: JobRecord;
  readonly error: string;
}

export interface CancelledJob {
  readonly job: JobRecord;
  readonly wasRunning: boolean;
}

export interface InferenceServiceEvents {
  progress: [progress: JobProgress];
  finished: [finished: FinishedJob];
  failed: [failed: FailedJob];
  cancelled: [cancelled: CancelledJob];
  /** A problem of the loop itself (the database, the disk); the loop goes on. */
  error: [error: Error];
}
