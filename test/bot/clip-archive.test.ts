import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';

import { createClipArchive, type ClipArchiveOptions } from '../../src/commands/clip-archive.ts';
import type { FeedbackInput, RecordClipInput } from '../../src/db/clip-store.ts';
import type { FinishedJob, InferenceServiceEvents } from '../../src/inference/inference-service.ts';
import type { JobRecord } from '../../src/inference/job-queue.ts';
import type { ForMe } from '../../src/taste/for-me.ts';
import { makeClipMeta } from '../fixtures/clip-world.ts';

interface World {
  readonly options: ClipArchiveOptions;
  readonly service: EventEmitter<InferenceServiceEvents>;
  readonly calls: string[];
  readonly clips: RecordClipInput[];
  readonly feedback: FeedbackInput[];
  mix: ForMe;
}

function world(retentionEveryMs?: number): World {
  const service = new EventEmitter<InferenceServiceEvents>();
  const calls: string[] = [];
  const clips: RecordClipInput[] = [];
  const feedback: FeedbackInput[] = [];
  const w: World = {
    service,
    calls,
    clips,
    feedback,
    mix: { style: 'pop', mood: undefined, tempo: undefined, source: 'default', reason: '' },
    options: {
      service: {
        on: (event, listener) => {
          service.on(event, listener as never);
          return undefined as never;
        },
        off: (event, listener) => {
          service.off(event, listener as never);
          return undefined as never;
        },
      },
      store: {
        recordClip: (input) => {
          clips.push(input);
          return { ok: false, error: { code: 'job-gone', message: 'not kept in this test' } };
        },
        attachMessage: () => true,
        get: () => undefined,
        recordFeedback: (input) => {
          feedback.push(input);
          return input.clipId === 'gone'
            ? { ok: false, error: { code: 'unknown-clip', message: 'there is no clip gone' } }
            : { ok: false, error: { code: 'bad-feedback', message: 'recorded by the test' } };
        },
        applyRetention: () => {
          calls.push('retention');
          return Promise.resolve({ clips: 0, orphans: 0, foldersPending: 0 });
        },
        sweepPendingDeletions: () => {
          calls.push('sweep');
          return Promise.resolve({ deleted: 0, failed: [] });
        },
      },
      taste: { forMe: () => w.mix, events: () => [] },
      log: () => undefined,
      retentionEveryMs,
    },
  };
  return w;
}

function finished(id: string, request: object = {}): FinishedJob {
  const job = { id, userId: 'u1', guildId: 'g1', channelId: 'c1', kind: 'variation', request } as JobRecord;
  const files = { ogg: `/d/${id}/clip.ogg`, mid: '', png: '', json: '' };
  return { job, files, meta: makeClipMeta(), tokenExpired: false };
}

describe('the clip archive', () => {
  test('GIVEN start THEN the pending deletions are swept, retention runs, and again on its timer until stop', async () => {
    const w = world(25);
    const archive = createClipArchive(w.options);
    await archive.start();
    assert.deepEqual(w.calls, ['sweep', 'retention']);
    await new Promise((resolve) => setTimeout(resolve, 90));
    const runs = w.calls.filter((call) => call === 'retention').length;
    assert.ok(runs >= 3, `${runs} retention runs`);
    archive.stop();
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(w.calls.filter((call) => call === 'retention').length, runs);
  });

  test('GIVEN a job whose request names its parent clip THEN its clip is recorded with that parent, press seen or not', () => {
    const w = world();
    const archive = createClipArchive(w.options);
    assert.throws(
      () =>
        archive.feedback.onFeedback({
          kind: 'variation',
          userId: 'u1',
          guildId: 'g1',
          channelId: 'c1',
          clipId: 'parent-1',
          clip: undefined,
          jobId: 'job-2',
          at: 0,
        }),
      /recorded by the test/,
    );
    assert.equal(w.feedback[0]?.kind, 'variation');
    assert.equal(w.feedback[0].value, undefined);
    w.service.emit('finished', finished('job-2', { kind: 'variation', parentClipId: 'parent-1' }));
    w.service.emit('finished', finished('job-3'));
    // Queued before a restart: this archive saw no press, the stored request still knows the parent.
    w.service.emit('finished', finished('job-5', { kind: 'extension', parentClipId: 'parent-0' }));
    assert.deepEqual(
      w.clips.map((clip) => [clip.job.id, clip.parentId]),
      [
        ['job-2', 'parent-1'],
        ['job-3', null],
        ['job-5', 'parent-0'],
      ],
    );
    archive.stop();
    w.service.emit('finished', finished('job-4'));
    assert.equal(w.clips.length, 3, 'nothing is recorded after stop');
  });

  test('GIVEN a radio listen THEN its seconds go with it; GIVEN a radio segment THEN its clip is a radio clip', () => {
    const w = world();
    const archive = createClipArchive(w.options);
    assert.throws(() =>
      archive.feedback.onFeedback({
        kind: 'radio-listen',
        userId: 'u1',
        guildId: null,
        channelId: null,
        clipId: 'gone',
        clip: undefined,
        value: 42,
        at: 0,
      }),
    );
    assert.equal(w.feedback[0]?.value, 42);
    const segment = finished('job-5');
    w.service.emit('finished', { ...segment, job: { ...segment.job, request: { seamless: true } } });
    assert.equal(w.clips[0]?.kind, 'radio');
    archive.stop();
  });

  test('GIVEN each source of "for me" THEN the default style and a line that says why', () => {
    const w = world();
    const archive = createClipArchive(w.options);
    w.mix = { ...w.mix, style: 'jazz:0.6,lofi:0.4', source: 'people-here' };
    assert.deepEqual(archive.defaultStyle('u1', 'g1'), {
      style: 'jazz:0.6,lofi:0.4',
      note: '🎯 For you: jazz 60%, lofi 40% — because people here like it (you have no 👍 yet).',
    });
    w.mix = { ...w.mix, style: 'pop', source: 'default' };
    assert.match(archive.defaultStyle('u1', null).note ?? '', /^No style given, so pop\./);
    w.mix = { ...w.mix, style: 'jazz', source: 'you' };
    assert.equal(
      archive.defaultStyle('u1', null).note,
      '🎯 For you: jazz — because of the clips you played and built on.',
    );
    archive.stop();
  });
});
