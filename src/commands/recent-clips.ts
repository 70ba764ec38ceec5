/**
 * A member's recent clips, newest first, for /play (its autocomplete and its default). With the clips table
 * (`recentStoredClips`), every clip of theirs that can still be played, also those whose jobs the queue has
 * pruned; without it (a bot with no clips table), the finished jobs the job queue still lists. Radio segments are
 * left out of both.
 */
import type { ClipRecord } from '../bot/collaborators.ts';
import { createJobResultClipLookup } from '../bot/clip-lookup.ts';
import type { ClipStore } from '../db/clip-store.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import { isRadioSegment } from '../inference/job-request.ts';

export type RecentClips = (userId: string) => readonly ClipRecord[] | Promise<readonly ClipRecord[]>;

/** Discord shows at most 25 autocomplete choices. */
const RECENT_LIMIT = 25;

/** From the clips table: the newest clips of the member that are not radio segments and still have their files. */
export function recentStoredClips(store: Pick<ClipStore, 'listForUser'>, limit = RECENT_LIMIT): RecentClips {
  return (userId) => store.listForUser(userId, 0, { playable: true, pageSize: limit }).clips;
}

/** From the job queue: the member's finished jobs it still lists (pruned ones are gone). */
export function recentJobClips(
  service: Pick<InferenceService, 'statusForUser' | 'status'>,
  limit = RECENT_LIMIT,
): RecentClips {
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
