/**
 * A member's recent clips, newest first, for /play (its autocomplete and its default): by default the finished
 * jobs the job queue still lists for them, radio segments left out. The clip store can take its place.
 */
import type { ClipRecord } from '../bot/collaborators.ts';
import { createJobResultClipLookup } from '../bot/clip-lookup.ts';
import type { InferenceService } from '../inference/inference-service.ts';

export type RecentClips = (userId: string) => readonly ClipRecord[] | Promise<readonly ClipRecord[]>;

export function recentJobClips(service: Pick<InferenceService, 'statusForUser' | 'status'>, limit = 25): RecentClips {
  const lookup = createJobResultClipLookup(service);
  return (userId) => {
    const clips: ClipRecord[] = [];
    const done = service
      .statusForUser(userId)
      .map((view) => view.job)
      .filter((job) => job.status === 'done' && !isRadioSegment(job.request))
      .sort((a, b) => (b.finishedAt ?? b.createdAt) - (a.finishedAt ?? a.createdAt));
    for (const job of done) {
      const clip = lookup.find(job.id);
      if (clip !== undefined && !(clip instanceof Promise) && clip.files !== undefined) clips.push(clip);
      if (clips.length >= limit) break;
    }
    return clips;
  };
}

function isRadioSegment(request: unknown): boolean {
  return typeof request === 'object' && request !== null && (request as { seamless?: unknown }).seamless === true;
}
