/**
 * The job queue: every compose, variation, extension and regenerate request is a row in SQLite (the `jobs`
 * table of src/db/migrations.ts) going queued → running → done | failed | cancelled.
 *
 * Fair: jobs are taken round-robin between users, oldest first within a user, so one person's ten requests
 * do not starve another's one. Each user holds a place in the rotation: the later of the moment their last
 * job started and the moment their oldest waiting job was submitted; the earliest place goes first. A user
 * who just had a turn goes to the back, and a newcomer joins the back of the current round. Both moments come
 * from one logical clock in the database (job_queue_clock), so the order is exact even within a millisecond
 * and the same in every process that opens the file.
 *
 * Durable: every change is one statement or one IMMEDIATE transaction, so a crash never leaves a job half
 * changed, and `recover()` on start puts jobs whose process died back in the queue.
 */
import { randomUUID } from 'node:crypto';

import type Database from 'better-sqlite3';

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_KINDS = ['compose', 'variation', 'extension', 'regenerate'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface JobRecord {
  /** Unguessable (a random UUID): knowing it is not enough to cancel, the owner is checked too. */
  readonly id: string;
  readonly kind: JobKind;
  readonly status: JobStatus;
  readonly userId: string;
  readonly guildId: string | null;
  readonly channelId: string | null;
  readonly interactionToken: string | null;
  /** JSON the service stored at submit (a JSON round trip: undefined fields are gone). */
  readonly request: unknown;
  /** JSON the service stored on completion. */
  readonly result: unknown;
  readonly error: string | null;
  /** Times it was started; a recovery re-run counts again. */
  readonly attempts: number;
  /** ms since the epoch. */
  readonly createdAt: number;
  /** The latest start. */
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export interface QueueLimits {
  /** Most jobs waiting (queued) at once; a submit beyond it is answered 'queue-full'. */
  readonly maxQueued: number;
  /** Most queued + running jobs one user may have. */
  readonly perUser: number;
  /** Most queued + running jobs one guild may have (jobs without a guild, e.g. DMs, are not counted). */
  readonly perGuild: number;
  /** Most starts of one job: recovery after a crash and retryable failures re-queue it until then. */
  readonly maxAttempts: number;
  /**
   * Jobs whose request this is true for count towards their guild's cap and the queue's size but not towards their
   * owner's cap (the bot passes isRadioSegment: a radio has one segment pending at a time, and its starter should
   * not lose a place to compose while it plays, nor the radio stall because they compose).
   */
  readonly outsideUserCap?: ((request: unknown) => boolean) | undefined;
  /** Jobs the service runs at once (its batch size), for wait estimates; default 1. */
  readonly concurrency?: number | undefined;
  /** Seconds one job is assumed to take before any has finished; default 10. */
  readonly defaultJobSeconds?: number | undefined;
}

export type SubmitErrorCode = 'user-cap' | 'guild-cap' | 'queue-full';
export type CancelErrorCode = 'not-found' | 'not-yours' | 'finished';

export interface SubmitInput {
  readonly kind: JobKind;
  readonly userId: string;
  readonly guildId: string | null;
  readonly channelId: string | null;
  readonly interactionToken: string | null;
  readonly request: unknown;
}

export type SubmitResult =
  | { ok: true; job: JobRecord; position: number }
  | { ok: false; error: { code: SubmitErrorCode; message: string; retryAfterSeconds: number } };

export type CancelResult =
  { ok: true; wasRunning: boolean } | { ok: false; error: { code: CancelErrorCode; message: string } };

export interface JobQueue {
  /** Queues a job (one transaction: caps checked and row written together); once it returns ok, the job is kept. */
  submit(input: SubmitInput): SubmitResult;
  /**
   * Takes up to `max` queued jobs in fair order (round-robin between users, oldest first within a user; a user
   * whose job ran most recently goes last), marks them running (startedAt, attempts+1) in one transaction and
   * returns them. `accept` may narrow (e.g. the same length bucket as the first taken); a job it refuses keeps
   * its place. If `accept` throws, nothing is taken.
   */
  take(max: number, accept?: (job: JobRecord, taken: readonly JobRecord[]) => boolean): JobRecord[];
  /** running → done with `result` (JSON), in one statement; false if it was not running (e.g. cancelled). */
  complete(id: string, result: unknown): boolean;
  /**
   * running → failed. With `{ retryable: true }` and attempts < maxAttempts it goes back to queued instead (its
   * user still counts as having had a turn). Default not retryable: the same request with the same seed
   * would most likely fail the same way. False if it was not running.
   */
  fail(id: string, error: string, options?: { readonly retryable?: boolean | undefined }): boolean;
  /** The owner cancels a queued or running job; wasRunning tells the service to abort its generation. */
  cancel(id: string, userId: string): CancelResult;
  get(id: string): JobRecord | undefined;
  /** 1-based place in the fair order among queued jobs (1 = next to run); undefined when not queued. */
  position(id: string): number | undefined;
  /** The user's running then queued jobs (fair order), then their newest finished ones (at most `finishedLimit`, default 10). */
  listForUser(userId: string, finishedLimit?: number): JobRecord[];
  counts(): Record<JobStatus, number>;
  /**
   * Call once on start, before taking jobs, while no other process works on this database: running jobs
   * (their process died) go back to queued and are returned, to run again. A job already started maxAttempts
   * times goes to failed instead (it may be what crashes the process) and is passed to `onGaveUp`.
   */
  recover(onGaveUp?: (job: JobRecord) => void): JobRecord[];
  /** Estimated seconds until a new job at `position` would start, from the median of recent job durations. */
  estimateWaitSeconds(position: number): number;
  /** Deletes done, failed and cancelled jobs that finished before `before` (ms epoch); returns how many. */
  purgeFinished(before: number): number;
}

const DEFAULT_CONCURRENCY = 1;
const DEFAULT_JOB_SECONDS = 10;
const DEFAULT_FINISHED_LIMIT = 10;
/** Durations of this many recent jobs feed the wait estimate. */
const DURATION_SAMPLE = 20;

interface JobRow {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  readonly user_id: string;
  readonly guild_id: string | null;
  readonly channel_id: string | null;
  readonly interaction_token: string | null;
  readonly request: string;
  readonly result: string | null;
  readonly error: string | null;
  readonly attempts: number;
  readonly created_at: number;
  readonly started_at: number | null;
  readonly finished_at: number | null;
}

interface QueuedRow {
  readonly id: string;
  readonly user_id: string;
  readonly submit_tick: number;
}

const COLUMNS = `id, kind, status, user_id, guild_id, channel_id, interaction_token, request, result, error,
  attempts, created_at, started_at, finished_at`;

export function createJobQueue(db: Database.Database, limits: QueueLimits, clock: () => number = Date.now): JobQueue {
  const concurrency = Math.max(1, Math.floor(limits.concurrency ?? DEFAULT_CONCURRENCY));
  const defaultJobSeconds = limits.defaultJobSeconds ?? DEFAULT_JOB_SECONDS;

  const sql = {
    tick: db.prepare<[], number>('UPDATE job_queue_clock SET tick = tick + 1 WHERE id = 1 RETURNING tick').pluck(),
    insert: db.prepare<[string, string, string, string | null, string | null, string | null, string, number, number]>(
      `INSERT INTO jobs (id, kind, status, user_id, guild_id, channel_id, interaction_token, request, created_at,
         submit_tick) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
    ),
    get: db.prepare<[string], JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`),
    queued: db.prepare<[], QueuedRow>(
      "SELECT id, user_id, submit_tick FROM jobs WHERE status = 'queued' ORDER BY submit_tick",
    ),
    lastTurns: db.prepare<[], { user_id: string; last_start: number | null }>(
      `SELECT user_id, max(start_tick) AS last_start FROM jobs
       WHERE user_id IN (SELECT user_id FROM jobs WHERE status = 'queued') GROUP BY user_id`,
    ),
    userActive: db.prepare<[string], JobRow>(
      `SELECT ${COLUMNS} FROM jobs WHERE user_id = ? AND status IN ('running', 'queued')
       ORDER BY status = 'running' DESC, submit_tick`,
    ),
    userFinished: db.prepare<[string, number], JobRow>(
      `SELECT ${COLUMNS} FROM jobs WHERE user_id = ? AND status IN ('done', 'failed', 'cancelled')
       ORDER BY finished_at DESC, submit_tick DESC LIMIT ?`,
    ),
    guildActive: db.prepare<[string], JobRow>(
      `SELECT ${COLUMNS} FROM jobs WHERE guild_id = ? AND status IN ('running', 'queued')`,
    ),
    running: db.prepare<[], JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE status = 'running' ORDER BY submit_tick`),
    countStatus: db.prepare<[string], number>('SELECT count(*) FROM jobs WHERE status = ?').pluck(),
    counts: db.prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM jobs GROUP BY status'),
    durations: db
      .prepare<[number], number>(
        `SELECT finished_at - started_at FROM jobs WHERE status = 'done' AND started_at IS NOT NULL
         ORDER BY finished_at DESC LIMIT ?`,
      )
      .pluck(),
    start: db.prepare<[number, number, string]>(
      `UPDATE jobs SET status = 'running', started_at = ?, start_tick = ?, attempts = attempts + 1
       WHERE id = ? AND status = 'queued'`,
    ),
    complete: db.prepare<[string, number, string]>(
      `UPDATE jobs SET status = 'done', result = ?, error = NULL, finished_at = ? WHERE id = ? AND status = 'running'`,
    ),
    fail: db.prepare<[string, number, string]>(
      "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running'",
    ),
    requeue: db.prepare<[string | null, string]>(
      "UPDATE jobs SET status = 'queued', error = ? WHERE id = ? AND status = 'running'",
    ),
    recover: db.prepare<[string]>(
      "UPDATE jobs SET status = 'queued', start_tick = NULL WHERE id = ? AND status = 'running'",
    ),
    cancel: db.prepare<[number, string]>(
      `UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')`,
    ),
    purge: db.prepare<[number]>("DELETE FROM jobs WHERE status IN ('done', 'failed', 'cancelled') AND finished_at < ?"),
  };

  const nextTick = (): number => {
    const tick = sql.tick.get();
    if (tick === undefined) throw new Error('job_queue_clock has no row: was the database migrated?');
    return tick;
  };

  const get = (id: string): JobRecord | undefined => {
    const row = sql.get.get(id);
    return row === undefined ? undefined : toRecord(row);
  };

  /** Ids of the queued jobs, first to run first (see the file comment). */
  const fairOrder = (): string[] => {
    const lastTurn = new Map<string, number>();
    for (const row of sql.lastTurns.all()) lastTurn.set(row.user_id, row.last_start ?? 0);
    const byUser = new Map<string, QueuedRow[]>();
    for (const row of sql.queued.all()) {
      const jobs = byUser.get(row.user_id);
      if (jobs === undefined) byUser.set(row.user_id, [row]);
      else jobs.push(row);
    }
    const rotation = [...byUser].map(([userId, jobs]) => ({
      jobs,
      place: Math.max(lastTurn.get(userId) ?? 0, jobs[0]?.submit_tick ?? 0),
    }));
    rotation.sort((a, b) => a.place - b.place);
    const order: string[] = [];
    const rounds = Math.max(0, ...rotation.map((user) => user.jobs.length));
    for (let round = 0; round < rounds; round++) {
      for (const user of rotation) {
        const job = user.jobs[round];
        if (job !== undefined) order.push(job.id);
      }
    }
    return order;
  };

  const position = (id: string): number | undefined => {
    const index = fairOrder().indexOf(id);
    return index < 0 ? undefined : index + 1;
  };

  /** Median duration of recent jobs, in seconds. */
  const jobSeconds = (): number => {
    const durations = sql.durations
      .all(DURATION_SAMPLE)
      .filter((ms) => ms >= 0)
      .sort((a, b) => a - b);
    if (durations.length === 0) return defaultJobSeconds;
    const middle = Math.floor(durations.length / 2);
    const median =
      durations.length % 2 === 1
        ? (durations[middle] ?? 0)
        : ((durations[middle - 1] ?? 0) + (durations[middle] ?? 0)) / 2;
    return median / 1000;
  };

  const estimateWaitSeconds = (wanted: number): number => {
    const at = Math.max(1, Math.floor(wanted));
    const free = Math.max(0, concurrency - (sql.countStatus.get('running') ?? 0));
    if (at <= free) return 0;
    return Math.ceil(Math.ceil((at - free) / concurrency) * jobSeconds());
  };

  /** Seconds until the first of `jobs` finishes (running ones by their elapsed time); at least 1. */
  const secondsUntilOneFinishes = (jobs: readonly JobRecord[]): number => {
    const perJob = jobSeconds();
    const now = clock();
    let order: string[] | undefined;
    let soonest = Infinity;
    for (const job of jobs) {
      if (job.status === 'running') {
        soonest = Math.min(soonest, perJob - (now - (job.startedAt ?? now)) / 1000);
      } else {
        order ??= fairOrder();
        soonest = Math.min(soonest, estimateWaitSeconds(order.indexOf(job.id) + 1) + perJob);
      }
    }
    return Math.max(1, Math.ceil(Number.isFinite(soonest) ? soonest : perJob));
  };

  const refuse = (
    code: SubmitErrorCode,
    message: (wait: string) => string,
    retryAfterSeconds: number,
  ): SubmitResult => ({
    ok: false,
    error: { code, message: message(describeWait(retryAfterSeconds)), retryAfterSeconds },
  });

  const submit = db.transaction((input: SubmitInput): SubmitResult => {
    const outside = limits.outsideUserCap ?? ((): boolean => false);
    const mine = sql.userActive
      .all(input.userId)
      .map(toRecord)
      .filter((job) => !outside(job.request));
    if (!outside(input.request) && mine.length >= limits.perUser) {
      return refuse(
        'user-cap',
        (wait) =>
          `You already have ${pieces(mine.length)} waiting or being composed, the most one person can have. ` +
          `Try again in ${wait}, when one is done.`,
        secondsUntilOneFinishes(mine),
      );
    }
    if (input.guildId !== null) {
      const guild = sql.guildActive.all(input.guildId).map(toRecord);
      if (guild.length >= limits.perGuild) {
        return refuse(
          'guild-cap',
          (wait) =>
            `This server already has ${pieces(guild.length)} waiting or being composed, the most one server can ` +
            `have. Try again in ${wait}.`,
          secondsUntilOneFinishes(guild),
        );
      }
    }
    const queued = sql.countStatus.get('queued') ?? 0;
    if (queued >= limits.maxQueued) {
      return refuse(
        'queue-full',
        (wait) => `Motif is busy: ${pieces(queued)} are waiting, as many as it holds. Try again in ${wait}.`,
        secondsUntilOneFinishes(sql.running.all().map(toRecord)),
      );
    }
    const id = randomUUID();
    sql.insert.run(
      id,
      input.kind,
      input.userId,
      input.guildId,
      input.channelId,
      input.interactionToken,
      toJson(input.request),
      clock(),
      nextTick(),
    );
    const job = get(id);
    const at = position(id);
    if (job === undefined || at === undefined) throw new Error(`job ${id} vanished inside its own transaction`);
    return { ok: true, job, position: at };
  });

  const take = db.transaction(
    (max: number, accept?: (job: JobRecord, taken: readonly JobRecord[]) => boolean): JobRecord[] => {
      const taken: JobRecord[] = [];
      if (max < 1) return taken;
      const now = clock();
      for (const id of fairOrder()) {
        if (taken.length >= max) break;
        const job = get(id);
        if (job === undefined || job.status !== 'queued') continue;
        if (accept !== undefined && !accept(job, taken)) continue;
        if (sql.start.run(now, nextTick(), id).changes !== 1) continue;
        taken.push({ ...job, status: 'running', attempts: job.attempts + 1, startedAt: now });
      }
      return taken;
    },
  );

  const fail = db.transaction((id: string, error: string, retryable: boolean): boolean => {
    const job = get(id);
    if (job?.status !== 'running') return false;
    if (retryable && job.attempts < limits.maxAttempts) return sql.requeue.run(error, id).changes === 1;
    return sql.fail.run(error, clock(), id).changes === 1;
  });

  const cancel = db.transaction((id: string, userId: string): CancelResult => {
    const job = get(id);
    if (job === undefined) {
      return { ok: false, error: { code: 'not-found', message: 'There is no such job: it may have been cleared.' } };
    }
    if (job.userId !== userId) {
      return {
        ok: false,
        error: { code: 'not-yours', message: 'Only the person who asked for this piece can cancel it.' },
      };
    }
    if (job.status !== 'queued' && job.status !== 'running') {
      return {
        ok: false,
        error: { code: 'finished', message: `This piece is already ${FINISHED_WORDS[job.status]}.` },
      };
    }
    sql.cancel.run(clock(), id);
    return { ok: true, wasRunning: job.status === 'running' };
  });

  const recover = db.transaction((): { requeued: JobRecord[]; gaveUp: JobRecord[] } => {
    const requeued: JobRecord[] = [];
    const gaveUp: JobRecord[] = [];
    const now = clock();
    for (const job of sql.running.all().map(toRecord)) {
      if (job.attempts >= limits.maxAttempts) {
        const error = `Motif stopped while composing this ${job.attempts} times, so it gave up.`;
        sql.fail.run(error, now, job.id);
        gaveUp.push({ ...job, status: 'failed', error, finishedAt: now });
      } else {
        // start_tick cleared: the turn the crash took does not count, so the job runs again early.
        sql.recover.run(job.id);
        requeued.push({ ...job, status: 'queued' });
      }
    }
    return { requeued, gaveUp };
  });

  return {
    submit: (input) => submit.immediate(input),
    // A cheap read first, so that a service polling an empty queue never takes the write lock.
    take: (max, accept) => (max < 1 || sql.countStatus.get('queued') === 0 ? [] : take.immediate(max, accept)),
    complete: (id, result) => sql.complete.run(toJson(result), clock(), id).changes === 1,
    fail: (id, error, options) => fail.immediate(id, error, options?.retryable === true),
    cancel: (id, userId) => cancel.immediate(id, userId),
    get,
    position,
    listForUser: (userId, finishedLimit = DEFAULT_FINISHED_LIMIT) => [
      ...sql.userActive.all(userId).map(toRecord),
      ...sql.userFinished.all(userId, Math.max(0, Math.floor(finishedLimit))).map(toRecord),
    ],
    counts: () => {
      const counts: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
      for (const row of sql.counts.all()) counts[parseStatus(row.status)] = row.n;
      return counts;
    },
    recover: (onGaveUp) => {
      const { requeued, gaveUp } = recover.immediate();
      if (onGaveUp !== undefined) for (const job of gaveUp) onGaveUp(job);
      return requeued;
    },
    estimateWaitSeconds,
    purgeFinished: (before) => sql.purge.run(before).changes,
  };
}

const FINISHED_WORDS: Record<JobStatus, string> = {
  queued: 'waiting',
  running: 'being composed',
  done: 'done',
  failed: 'finished (it failed)',
  cancelled: 'cancelled',
};

/** "about 40 seconds", "about 3 minutes". */
export function describeWait(seconds: number): string {
  if (seconds < 60) {
    const s = Math.max(1, Math.ceil(seconds));
    return `about ${s} ${s === 1 ? 'second' : 'seconds'}`;
  }
  const minutes = Math.round(seconds / 60);
  return `about ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

function pieces(n: number): string {
  return `${n} ${n === 1 ? 'piece' : 'pieces'}`;
}

/** JSON text; undefined (which JSON.stringify turns into undefined, not text) is stored as null. */
function toJson(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  return json ?? 'null';
}

function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

function parseStatus(status: string): JobStatus {
  const found = JOB_STATUSES.find((known) => known === status);
  if (found === undefined) throw new Error(`unknown job status "${status}" in the database`);
  return found;
}

function parseKind(kind: string): JobKind {
  const found = JOB_KINDS.find((known) => known === kind);
  if (found === undefined) throw new Error(`unknown job kind "${kind}" in the database`);
  return found;
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: parseKind(row.kind),
    status: parseStatus(row.status),
    userId: row.user_id,
    guildId: row.guild_id,
    channelId: row.channel_id,
    interactionToken: row.interaction_token,
    request: parseJson(row.request),
    result: parseJson(row.result),
    error: row.error,
    attempts: row.attempts,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
