import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import type Database from 'better-sqlite3';

import { openDatabase } from '../../src/db/database.ts';
import {
  createJobQueue,
  describeWait,
  type JobQueue,
  type JobRecord,
  type QueueLimits,
  type SubmitInput,
} from '../../src/inference/job-queue.ts';

const LIMITS: QueueLimits = { maxQueued: 50, perUser: 10, perGuild: 20, maxAttempts: 3 };

let db: Database.Database;
let now: number;
const clock = (): number => now;

beforeEach(() => {
  db = openDatabase({ path: ':memory:' });
  now = 1_700_000_000_000;
});
afterEach(() => {
  db.close();
});

function queue(limits: Partial<QueueLimits> = {}): JobQueue {
  return createJobQueue(db, { ...LIMITS, ...limits }, clock);
}

function input(userId: string, label: string, overrides: Partial<SubmitInput> = {}): SubmitInput {
  return {
    kind: 'compose',
    userId,
    guildId: 'guild-1',
    channelId: 'channel-1',
    interactionToken: `token-${label}`,
    request: { label, lengthSeconds: 20 },
    ...overrides,
  };
}

function submitted(q: JobQueue, userId: string, label: string, overrides: Partial<SubmitInput> = {}): JobRecord {
  const result = q.submit(input(userId, label, overrides));
  assert.ok(result.ok, `submit ${label} was refused`);
  return result.job;
}

function label(job: JobRecord): string {
  const request = job.request;
  assert.ok(typeof request === 'object' && request !== null && 'label' in request);
  return String(request.label);
}

/** A5 B1 C2 submitted in that order, as in the issue. */
function submitFairnessExample(q: JobQueue): JobRecord[] {
  const jobs: JobRecord[] = [];
  for (let i = 1; i <= 5; i++) jobs.push(submitted(q, 'A', `A${i}`));
  jobs.push(submitted(q, 'B', 'B1'));
  for (let i = 1; i <= 2; i++) jobs.push(submitted(q, 'C', `C${i}`));
  return jobs;
}

const FAIR_ORDER = ['A1', 'B1', 'C1', 'A2', 'C2', 'A3', 'A4', 'A5'];

describe('job queue: submit and records', () => {
  test('GIVEN a submit THEN the job is queued with everything the service needs, under an unguessable id', () => {
    const q = queue();
    const result = q.submit(input('user-1', 'first', { kind: 'variation', guildId: null }));
    assert.ok(result.ok);
    assert.equal(result.position, 1);
    assert.match(result.job.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(q.get(result.job.id), {
      id: result.job.id,
      kind: 'variation',
      status: 'queued',
      userId: 'user-1',
      guildId: null,
      channelId: 'channel-1',
      interactionToken: 'token-first',
      request: { label: 'first', lengthSeconds: 20 },
      result: null,
      error: null,
      attempts: 0,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
    });
    const other = submitted(q, 'user-1', 'second');
    assert.notEqual(other.id, result.job.id);
    assert.equal(q.get('no-such-id'), undefined);
  });

  test('GIVEN a taken job WHEN it completes THEN it is done with its result, once', () => {
    const q = queue();
    const job = submitted(q, 'u', 'x');
    now += 1000;
    const [taken] = q.take(1);
    assert.equal(taken?.id, job.id);
    assert.equal(taken.status, 'running');
    assert.equal(taken.attempts, 1);
    assert.equal(taken.startedAt, now);
    assert.deepEqual(q.get(job.id), taken);
    now += 2500;
    assert.equal(q.complete(job.id, { clip: 'a.ogg', seconds: 20 }), true);
    assert.equal(q.complete(job.id, { clip: 'b.ogg' }), false);
    const done = q.get(job.id);
    assert.equal(done?.status, 'done');
    assert.deepEqual(done.result, { clip: 'a.ogg', seconds: 20 });
    assert.equal(done.finishedAt, now);
    assert.deepEqual(q.counts(), { queued: 0, running: 0, done: 1, failed: 0, cancelled: 0 });
  });

  test('GIVEN a queued job THEN complete and fail refuse it (only running jobs finish)', () => {
    const q = queue();
    const job = submitted(q, 'u', 'x');
    assert.equal(q.complete(job.id, {}), false);
    assert.equal(q.fail(job.id, 'boom'), false);
    assert.equal(q.get(job.id)?.status, 'queued');
  });
});

describe('job queue: fair order', () => {
  test('GIVEN A submits 5, B 1, C 2 WHEN jobs are taken one at a time THEN the order is A1 B1 C1 A2 C2 A3 A4 A5', () => {
    const q = queue();
    submitFairnessExample(q);
    const order: string[] = [];
    for (let i = 0; i < 10; i++) {
      now += 10;
      const taken = q.take(1);
      if (taken.length === 0) break;
      assert.equal(taken.length, 1);
      order.push(...taken.map(label));
    }
    assert.deepEqual(order, FAIR_ORDER);
  });

  test('GIVEN the same jobs WHEN taken in one batch THEN the batch is in the same fair order', () => {
    const q = queue();
    submitFairnessExample(q);
    assert.deepEqual(q.take(3).map(label), FAIR_ORDER.slice(0, 3));
    assert.deepEqual(q.take(100).map(label), FAIR_ORDER.slice(3));
    assert.deepEqual(q.take(5), []);
  });

  test('GIVEN queued jobs THEN position() and the positions submit answered follow the fair order', () => {
    const q = queue();
    const answered: number[] = [];
    for (const [user, name] of [
      ['A', 'A1'],
      ['A', 'A2'],
      ['B', 'B1'],
      ['C', 'C1'],
    ] as const) {
      const result = q.submit(input(user, name));
      assert.ok(result.ok);
      answered.push(result.position);
    }
    // A1 | A1 A2 | A1 B1 A2 | A1 B1 C1 A2
    assert.deepEqual(answered, [1, 2, 2, 3]);
    const jobs = q.listForUser('A').concat(q.listForUser('B'), q.listForUser('C'));
    assert.deepEqual(
      jobs.map((job) => [label(job), q.position(job.id)]),
      [
        ['A1', 1],
        ['A2', 4],
        ['B1', 2],
        ['C1', 3],
      ],
    );
    const [first] = q.take(1);
    assert.ok(first);
    assert.equal(q.position(first.id), undefined, 'a running job has no queue position');
    assert.equal(q.position(jobs[2]?.id ?? ''), 1);
  });

  test('GIVEN A was just served WHEN a newcomer submits THEN the newcomer waits one round, not behind all of A', () => {
    const q = queue();
    for (let i = 1; i <= 3; i++) submitted(q, 'A', `A${i}`);
    submitted(q, 'B', 'B1');
    assert.deepEqual(q.take(1).map(label), ['A1']);
    const newcomer = submitted(q, 'C', 'C1');
    assert.equal(q.position(newcomer.id), 3);
    assert.deepEqual(q.take(10).map(label), ['B1', 'A2', 'C1', 'A3']);
  });

  test('GIVEN an accept filter THEN refused jobs keep their place for the next take', () => {
    const q = queue();
    submitted(q, 'A', 'A1', { request: { label: 'A1', lengthSeconds: 20 } });
    submitted(q, 'B', 'B1', { request: { label: 'B1', lengthSeconds: 60 } });
    submitted(q, 'C', 'C1', { request: { label: 'C1', lengthSeconds: 20 } });
    const bucket = (job: JobRecord): unknown =>
      typeof job.request === 'object' && job.request !== null && 'lengthSeconds' in job.request
        ? job.request.lengthSeconds
        : undefined;
    const seen: string[][] = [];
    const batch = q.take(3, (job, taken) => {
      seen.push(taken.map(label));
      const first = taken[0];
      return first === undefined || bucket(first) === bucket(job);
    });
    assert.deepEqual(batch.map(label), ['A1', 'C1']);
    assert.deepEqual(seen, [[], ['A1'], ['A1']]);
    assert.deepEqual(q.take(3).map(label), ['B1']);
  });

  test('GIVEN an accept filter that throws THEN nothing is taken', () => {
    const q = queue();
    submitted(q, 'A', 'A1');
    submitted(q, 'B', 'B1');
    assert.throws(
      () =>
        q.take(2, (_job, taken) => {
          if (taken.length > 0) throw new Error('filter broke');
          return true;
        }),
      /filter broke/,
    );
    assert.deepEqual(q.counts(), { queued: 2, running: 0, done: 0, failed: 0, cancelled: 0 });
  });
});

describe('job queue: caps and a full queue', () => {
  test('GIVEN a user at their cap THEN the next submit is refused with a wait a person can read', () => {
    const q = queue({ perUser: 2 });
    submitted(q, 'A', 'A1');
    submitted(q, 'A', 'A2');
    const refused = q.submit(input('A', 'A3'));
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'user-cap');
    assert.ok(refused.error.retryAfterSeconds > 0);
    assert.match(refused.error.message, /^You already have 2 pieces waiting or being composed/);
    assert.match(refused.error.message, /Try again in about \d+ seconds, when one is done\.$/);
    // Someone else is not affected, and a finished job frees the place.
    assert.ok(q.submit(input('B', 'B1')).ok);
    const [a1] = q.take(1);
    assert.ok(a1);
    assert.ok(!q.submit(input('A', 'A3')).ok, 'running jobs count towards the cap');
    assert.ok(q.complete(a1.id, {}));
    assert.ok(q.submit(input('A', 'A3')).ok);
    assert.equal(q.counts().queued, 3);
  });

  test('GIVEN jobs outside the user cap (radio segments) THEN they neither take a place nor are refused one, and still count for the guild', () => {
    const isSegment = (request: unknown): boolean =>
      typeof request === 'object' && request !== null && (request as { seamless?: unknown }).seamless === true;
    const q = queue({ perUser: 1, perGuild: 3, outsideUserCap: isSegment });
    const segment = (label: string): Partial<SubmitInput> => ({ request: { label, seamless: true } });
    submitted(q, 'A', 'radio-1', segment('radio-1'));
    submitted(q, 'A', 'A1');
    const refused = q.submit(input('A', 'A2'));
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'user-cap');
    assert.match(refused.error.message, /^You already have 1 piece waiting/);
    // At their cap, the radio's next segment still goes in; the guild's cap counts it.
    submitted(q, 'A', 'radio-2', segment('radio-2'));
    const full = q.submit(input('B', 'B1', segment('radio-3')));
    assert.ok(!full.ok);
    assert.equal(full.error.code, 'guild-cap');
    assert.equal(q.counts().queued, 3);
  });

  test('GIVEN a running job with known durations THEN user-cap retryAfter is the time it has left', () => {
    const q = queue({ perUser: 1 });
    for (const seconds of [4, 6, 8]) {
      const job = submitted(q, 'history', `h${seconds}`);
      q.take(1);
      now += seconds * 1000;
      assert.ok(q.complete(job.id, {}));
    }
    submitted(q, 'A', 'A1');
    q.take(1);
    now += 2000;
    const refused = q.submit(input('A', 'A2'));
    assert.ok(!refused.ok);
    assert.equal(refused.error.retryAfterSeconds, 4); // median 6 s, 2 s gone
    assert.match(refused.error.message, /about 4 seconds/);
  });

  test('GIVEN a guild at its cap THEN another member is refused, but DMs and other guilds are not', () => {
    const q = queue({ perGuild: 2 });
    submitted(q, 'A', 'A1');
    submitted(q, 'B', 'B1');
    const refused = q.submit(input('C', 'C1'));
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'guild-cap');
    assert.ok(refused.error.retryAfterSeconds > 0);
    assert.match(refused.error.message, /^This server already has 2 pieces waiting or being composed/);
    assert.ok(q.submit(input('C', 'C1', { guildId: null })).ok);
    assert.ok(q.submit(input('C', 'C2', { guildId: 'guild-2' })).ok);
  });

  test('GIVEN a full queue THEN a submit is refused with retryAfterSeconds from the job durations', () => {
    const q = queue({ maxQueued: 3, defaultJobSeconds: 30 });
    for (const name of ['A1', 'B1', 'C1']) submitted(q, name.slice(0, 1), name);
    const refused = q.submit(input('D', 'D1'));
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'queue-full');
    assert.equal(refused.error.retryAfterSeconds, 30);
    assert.equal(
      refused.error.message,
      'Motif is busy: 3 pieces are waiting, as many as it holds. Try again in about 30 seconds.',
    );
    q.take(1);
    assert.ok(q.submit(input('D', 'D1')).ok, 'a job that starts leaves the queue');
    assert.equal(q.counts().queued, 3);
  });

  test('describeWait says seconds or minutes', () => {
    assert.equal(describeWait(1), 'about 1 second');
    assert.equal(describeWait(0.2), 'about 1 second');
    assert.equal(describeWait(45), 'about 45 seconds');
    assert.equal(describeWait(60), 'about 1 minute');
    assert.equal(describeWait(200), 'about 3 minutes');
  });
});

describe('job queue: cancel', () => {
  test('GIVEN a queued job WHEN its owner cancels THEN it leaves the order and is never taken', () => {
    const q = queue();
    const [a1, a2, b1] = [submitted(q, 'A', 'A1'), submitted(q, 'A', 'A2'), submitted(q, 'B', 'B1')];
    assert.deepEqual(q.cancel(a1.id, 'A'), { ok: true, wasRunning: false });
    assert.equal(q.position(a1.id), undefined);
    assert.equal(q.position(a2.id), 1, 'a cancelled job does not count as a turn');
    assert.equal(q.position(b1.id), 2);
    assert.equal(q.get(a1.id)?.status, 'cancelled');
    assert.equal(q.get(a1.id)?.finishedAt, now);
    assert.deepEqual(q.take(10).map(label), ['A2', 'B1']);
  });

  test('GIVEN a running job WHEN its owner cancels THEN wasRunning is true and its completion is refused', () => {
    const q = queue();
    const job = submitted(q, 'A', 'A1');
    q.take(1);
    assert.deepEqual(q.cancel(job.id, 'A'), { ok: true, wasRunning: true });
    assert.equal(q.complete(job.id, { clip: 'late.ogg' }), false);
    assert.equal(q.fail(job.id, 'aborted'), false);
    assert.equal(q.get(job.id)?.status, 'cancelled');
    assert.equal(q.get(job.id)?.result, null);
  });

  test("GIVEN someone else's, a finished or an unknown job THEN cancel says why not", () => {
    const q = queue();
    const job = submitted(q, 'A', 'A1');
    const notYours = q.cancel(job.id, 'B');
    assert.ok(!notYours.ok);
    assert.equal(notYours.error.code, 'not-yours');
    assert.equal(notYours.error.message, 'Only the person who asked for this piece can cancel it.');
    assert.equal(q.get(job.id)?.status, 'queued');
    q.take(1);
    q.complete(job.id, {});
    const finished = q.cancel(job.id, 'A');
    assert.ok(!finished.ok);
    assert.equal(finished.error.code, 'finished');
    assert.equal(finished.error.message, 'This piece is already done.');
    assert.equal(q.get(job.id)?.status, 'done');
    const cancelledTwice = submitted(q, 'A', 'A2');
    q.cancel(cancelledTwice.id, 'A');
    const again = q.cancel(cancelledTwice.id, 'A');
    assert.ok(!again.ok);
    assert.equal(again.error.code, 'finished');
    const unknown = q.cancel('00000000-0000-4000-8000-000000000000', 'A');
    assert.ok(!unknown.ok);
    assert.equal(unknown.error.code, 'not-found');
  });
});

describe('job queue: failures and recovery', () => {
  test('GIVEN a failure THEN the job fails, unless it is retryable and has attempts left', () => {
    const q = queue({ maxAttempts: 2 });
    const plain = submitted(q, 'A', 'A1');
    const flaky = submitted(q, 'B', 'B1');
    q.take(2);
    assert.ok(q.fail(plain.id, 'the model said no'));
    assert.equal(q.get(plain.id)?.status, 'failed');
    assert.equal(q.get(plain.id)?.error, 'the model said no');
    assert.ok(q.fail(flaky.id, 'device lost', { retryable: true }));
    assert.equal(q.get(flaky.id)?.status, 'queued');
    assert.equal(q.get(flaky.id)?.error, 'device lost');
    assert.equal(q.take(1)[0]?.attempts, 2);
    assert.ok(q.fail(flaky.id, 'device lost again', { retryable: true }));
    assert.equal(q.get(flaky.id)?.status, 'failed', 'no attempts left');
    assert.equal(q.get(flaky.id)?.attempts, 2);
  });

  test('GIVEN running jobs left by a dead process WHEN a new queue recovers THEN they run again, first', () => {
    const first = queue();
    submitFairnessExample(first);
    const running = first.take(2);
    assert.deepEqual(running.map(label), ['A1', 'B1']);
    // A new process on the same database.
    const second = queue();
    const recovered = second.recover();
    assert.deepEqual(recovered.map(label), ['A1', 'B1']);
    assert.ok(recovered.every((job) => job.status === 'queued' && job.attempts === 1));
    assert.deepEqual(second.counts(), { queued: 8, running: 0, done: 0, failed: 0, cancelled: 0 });
    assert.equal(second.position(running[0]?.id ?? ''), 1);
    const again = second.take(100);
    assert.deepEqual(again.map(label), FAIR_ORDER);
    assert.deepEqual(
      again.map((job) => job.attempts),
      [2, 2, 1, 1, 1, 1, 1, 1],
    );
    assert.deepEqual(second.recover().length, 8);
  });

  test('GIVEN a job that was running maxAttempts times WHEN recovering THEN it fails and is reported, not re-run', () => {
    const q = queue({ maxAttempts: 2 });
    const job = submitted(q, 'A', 'A1');
    q.take(1);
    assert.equal(q.recover().length, 1);
    q.take(1);
    const gaveUp: JobRecord[] = [];
    assert.deepEqual(
      q.recover((failed) => gaveUp.push(failed)),
      [],
    );
    assert.equal(gaveUp.length, 1);
    assert.equal(gaveUp[0]?.status, 'failed');
    assert.deepEqual(q.get(job.id), gaveUp[0]);
    assert.match(q.get(job.id)?.error ?? '', /stopped while composing this 2 times/);
  });
});

describe('job queue: estimates, lists, counts', () => {
  test('GIVEN no history THEN waits use the default job time', () => {
    const q = queue({ defaultJobSeconds: 10 });
    assert.equal(q.estimateWaitSeconds(1), 0, 'nothing running: the next job starts at once');
    assert.equal(q.estimateWaitSeconds(3), 20);
    submitted(q, 'A', 'A1');
    q.take(1);
    assert.equal(q.estimateWaitSeconds(1), 10);
    assert.equal(q.estimateWaitSeconds(2), 20);
  });

  test('GIVEN recent durations THEN waits use their median, divided over the jobs run at once', () => {
    const q = queue({ concurrency: 2 });
    for (const seconds of [4, 6, 100]) {
      const job = submitted(q, 'A', `A${seconds}`);
      q.take(1);
      now += seconds * 1000;
      q.complete(job.id, {});
    }
    assert.equal(q.estimateWaitSeconds(1), 0);
    assert.equal(q.estimateWaitSeconds(2), 0);
    assert.equal(q.estimateWaitSeconds(3), 6);
    submitted(q, 'B', 'B1');
    submitted(q, 'C', 'C1');
    q.take(2);
    assert.equal(q.estimateWaitSeconds(1), 6);
    assert.equal(q.estimateWaitSeconds(2), 6);
    assert.equal(q.estimateWaitSeconds(3), 12);
  });

  test("GIVEN a user's jobs THEN listForUser shows running, queued, then newest finished, bounded", () => {
    const q = queue();
    const names = ['A1', 'A2', 'A3', 'A4', 'A5'];
    const jobs = names.map((name) => submitted(q, 'A', name));
    submitted(q, 'B', 'B1');
    for (const job of jobs.slice(0, 3)) {
      now += 1000;
      q.take(1, (candidate) => candidate.id === job.id);
      q.complete(job.id, {});
    }
    q.take(1, (candidate) => candidate.userId === 'A');
    assert.deepEqual(q.listForUser('A').map(label), ['A4', 'A5', 'A3', 'A2', 'A1']);
    assert.deepEqual(
      q.listForUser('A', 2).map((job) => job.status),
      ['running', 'queued', 'done', 'done'],
    );
    assert.deepEqual(q.listForUser('nobody'), []);
    assert.deepEqual(q.counts(), { queued: 2, running: 1, done: 3, failed: 0, cancelled: 0 });
  });

  test('GIVEN old finished jobs THEN purgeFinished deletes only those', () => {
    const q = queue();
    const old = submitted(q, 'A', 'old');
    q.take(1);
    q.complete(old.id, {});
    now += 60_000;
    const waiting = submitted(q, 'A', 'waiting');
    assert.equal(q.purgeFinished(now - 1), 1);
    assert.equal(q.get(old.id), undefined);
    assert.equal(q.get(waiting.id)?.status, 'queued');
    assert.equal(q.purgeFinished(now + 1), 0);
  });
});
