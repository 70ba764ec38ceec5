import type { JobRecord } from '../inference/job-queue.ts';

/** What a job is, in a few words, from its stored request: "jazz, 20 s", "variation of Blue Fog". */
export function jobLabel(job: JobRecord): string {
  const request = isRecord(job.request) ? job.request : {};
  const parent = isRecord(request['parent']) ? request['parent'] : {};
  const parentTitle = typeof parent['title'] === 'string' ? parent['title'] : 'a clip';
  switch (job.kind) {
    case 'compose': {
      const style = typeof request['style'] === 'string' ? request['style'] : 'a piece';
      const length = typeof request['lengthSeconds'] === 'number' ? `, ${request['lengthSeconds']} s` : '';
      return `${style}${length}`;
    }
    case 'variation':
      return `variation of ${parentTitle}`;
    case 'extension':
      return `extension of ${parentTitle}`;
    case 'regenerate':
      return `new ${typeof request['track'] === 'string' ? request['track'] : 'track'} for ${parentTitle}`;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
