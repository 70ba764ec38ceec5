/**
 * The default clip lookup: a clip is the finished job of the same id, and the job queue keeps its result
 * (files and ClipMeta). The lead may swap this for the clips table; the buttons only see `ClipLookup`.
 */
import { parseClipMeta } from '../inference/clip-meta.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import type { ClipFilePaths } from '../inference/job-clip-files.ts';
import type { ClipLookup, ClipRecord } from './collaborators.ts';

export function createJobResultClipLookup(service: Pick<InferenceService, 'status'>): ClipLookup {
  return {
    find(clipId) {
      const job = service.status(clipId)?.job;
      if (job?.status !== 'done' || !isRecord(job.result)) return undefined;
      const meta = parseClipMeta(job.result['meta']);
      if (!meta.ok) return undefined;
      const record: ClipRecord = {
        id: job.id,
        userId: job.userId,
        guildId: job.guildId,
        meta: meta.value,
        files: filePaths(job.result['files']),
      };
      return record;
    },
  };
}

function filePaths(value: unknown): ClipFilePaths | undefined {
  if (!isRecord(value)) return undefined;
  const { ogg, mid, png, json } = value;
  if (typeof ogg !== 'string' || typeof mid !== 'string' || typeof png !== 'string' || typeof json !== 'string') {
    return undefined;
  }
  return { ogg, mid, png, json };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
