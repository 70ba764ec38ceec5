/**
 * Finished clips and what people did with them: the `clips` and `feedback_events` tables (migration 2), the
 * clip folders under the data directory, and the user-data commands built on them (/history, /export-me,
 * /forget-me) and the retention policy.
 *
 * A clip's id is the id of the job that made it, and its files are the job's folder (dataDir/JOB_ID, see
 * src/inference/job-clip-files.ts). Every write is one statement or one IMMEDIATE transaction.
 */
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import type Database from 'better-sqlite3';

import type { ClipMeta } from '../inference/clip-meta.ts';
import type { ClipFilePaths } from '../inference/job-clip-files.ts';
import type { JobRecord } from '../inference/job-queue.ts';
import { parseStyle } from '../music/styles.ts';
import {
  feedbackFromRow,
  FEEDBACK_KINDS,
  isFeedbackKind,
  type FeedbackEvent,
  type FeedbackKind,
  type FeedbackRow,
  type StyleMix,
} from './feedback-event.ts';
import { createPendingDeletions, isInside, type SweepReport } from './pending-deletions.ts';
import { applyRetentionPolicy, DEFAULT_RETENTION, type RetentionPolicy, type RetentionReport } from './retention.ts';
import { exportUserData, forgetUserData, type ForgetReport, type UserExport } from './user-data.ts';

export const STORED_CLIP_KINDS = ['compose', 'variation', 'extension', 'regenerate', 'radio'] as const;
export type StoredClipKind = (typeof STORED_CLIP_KINDS)[number];

export interface ClipRecord {
  readonly id: string;
  readonly userId: string;
  readonly guildId: string | null;
  readonly channelId: string | null;
  readonly messageId: string | null;
  readonly kind: StoredClipKind;
  readonly parentId: string | null;
  /** The style selection's label ("jazz", "jazz:0.6,lofi:0.4"). */
  readonly style: string;
  readonly styleMix: StyleMix;
  readonly mood: string | null;
  readonly tempo: number;
  /** "Bb minor". */
  readonly key: string;
  readonly lengthSeconds: number;
  readonly seed: number;
  readonly instruments: Readonly<Record<string, number>>;
  readonly modelVersion: string;
  readonly meta: ClipMeta;
  /** Its folder's files; undefined once the retention policy removed them (as src/bot's ClipRecord has it). */
  readonly files: ClipFilePaths | undefined;
  readonly createdAt: number;
}

/** What the inference service's `finished` event carries (a FinishedJob fits), plus what only the bot knows. */
export interface RecordClipInput {
  readonly job: Pick<JobRecord, 'id' | 'userId' | 'guildId' | 'channelId' | 'kind'>;
  readonly meta: ClipMeta;
  readonly files: ClipFilePaths;
  /** Default: the job's kind; 'radio' for a clip the radio asked for. */
  readonly kind?: StoredClipKind | undefined;
  /** The clip whose button made this one (variation, extension, regenerate). */
  readonly parentId?: string | null | undefined;
}

export interface FeedbackInput {
  readonly userId: string;
  readonly guildId: string | null;
  readonly clipId: string;
  readonly kind: FeedbackKind;
  /** Seconds listened, for 'radio-listen' only (required there). */
  readonly value?: number | null | undefined;
}

export interface HistoryPage {
  /** Newest first. */
  readonly clips: readonly ClipRecord[];
  /** 0-based, clamped to the last page. */
  readonly page: number;
  /** At least 1 (an empty history has one empty page). */
  readonly pageCount: number;
  readonly total: number;
}

export interface ListOptions {
  /** Only clips that can be played: no radio segments, and only those whose files are still there. */
  readonly playable?: boolean | undefined;
  /** Clips per page; default the store's `historyPageSize`. */
  readonly pageSize?: number | undefined;
}

export type ClipStoreErrorCode = 'bad-clip' | 'job-gone' | 'unknown-clip' | 'bad-feedback';
export type StoreResult<T> =
  { ok: true; value: T } | { ok: false; error: { code: ClipStoreErrorCode; message: string } };

export interface ClipStoreOptions {
  /** The folder the inference service writes clips into (the same `dataDir`). */
  readonly dataDir: string;
  readonly clock?: (() => number) | undefined;
  readonly retention?: Partial<RetentionPolicy> | undefined;
  /** Clips per /history page; default 5. */
  readonly historyPageSize?: number | undefined;
}

export interface ClipStore {
  /**
   * Records a finished job's clip (upserting its user and guild). Recording the same job twice returns the first
   * record. 'job-gone': the job's row is not there (its owner used /forget-me while it was made): nothing is
   * written and the clip's folder is deleted.
   */
  recordClip(input: RecordClipInput): StoreResult<ClipRecord>;
  /** Notes the Discord message that carries the clip; false when the clip is unknown. */
  attachMessage(clipId: string, messageId: string): boolean;
  get(clipId: string): ClipRecord | undefined;
  /** /history (every clip) and /play (`playable` ones): the user's clips, newest first, `page` 0-based. */
  listForUser(userId: string, page?: number, options?: ListOptions): HistoryPage;
  /** A button press or listen; copies the clip's style mix, mood, tempo and instruments into the event. */
  recordFeedback(input: FeedbackInput): StoreResult<FeedbackEvent>;
  /** /export-me: every row of the user in every table (jobs, clips, feedback events, users). */
  exportUser(userId: string): UserExport;
  /** /forget-me: deletes every row and clip folder of the user (see user-data.ts for the order); counts. */
  forgetUser(userId: string): Promise<ForgetReport>;
  /** Deletes the files of old clips by the policy (their rows stay with files NULL) and orphaned folders. */
  applyRetention(now?: number): Promise<RetentionReport>;
  /** Deletes folders left listed by a crash (call once on start; forget and retention call it too). */
  sweepPendingDeletions(): Promise<SweepReport>;
}

const DEFAULT_PAGE_SIZE = 5;

interface ClipRow {
  readonly id: string;
  readonly user_id: string;
  readonly guild_id: string | null;
  readonly channel_id: string | null;
  readonly message_id: string | null;
  readonly kind: string;
  readonly parent_id: string | null;
  readonly style: string;
  readonly style_mix: string;
  readonly mood: string | null;
  readonly tempo: number;
  readonly key: string;
  readonly length_seconds: number;
  readonly seed: number;
  readonly instruments: string;
  readonly model_version: string;
  readonly meta: string;
  readonly files_dir: string | null;
  readonly created_at: number;
}

/** The longest radio listen one event may report (a day). */
const MAX_LISTEN_SECONDS = 86_400;

export function createClipStore(db: Database.Database, options: ClipStoreOptions): ClipStore {
  const clock = options.clock ?? Date.now;
  const dataDir = resolve(options.dataDir);
  const pageSize = Math.max(1, Math.floor(options.historyPageSize ?? DEFAULT_PAGE_SIZE));
  const policy: RetentionPolicy = { ...DEFAULT_RETENTION, ...options.retention };
  const pending = createPendingDeletions(db, dataDir, clock);

  const sql = {
    job: db.prepare<[string, string], number>('SELECT count(*) FROM jobs WHERE id = ? AND user_id = ?').pluck(),
    user: db.prepare<[string, number]>('INSERT INTO users (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING'),
    guild: db.prepare<[string, number]>(
      'INSERT INTO guilds (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    clipExists: db.prepare<[string], number>('SELECT count(*) FROM clips WHERE id = ?').pluck(),
    insertClip: db.prepare(
      `INSERT INTO clips (id, user_id, guild_id, channel_id, kind, parent_id, style, style_mix, mood, tempo, key,
         length_seconds, seed, instruments, model_version, meta, files_dir, created_at)
       VALUES (@id, @user_id, @guild_id, @channel_id, @kind, @parent_id, @style, @style_mix, @mood, @tempo, @key,
         @length_seconds, @seed, @instruments, @model_version, @meta, @files_dir, @created_at)
       ON CONFLICT (id) DO NOTHING`,
    ),
    get: db.prepare<[string], ClipRow>('SELECT * FROM clips WHERE id = ?'),
    attach: db.prepare<[string, string]>('UPDATE clips SET message_id = ? WHERE id = ?'),
    countForUser: db.prepare<[string], number>('SELECT count(*) FROM clips WHERE user_id = ?').pluck(),
    pageForUser: db.prepare<[string, number, number], ClipRow>(
      'SELECT * FROM clips WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?',
    ),
    countPlayableForUser: db
      .prepare<[string], number>(
        `SELECT count(*) FROM clips WHERE user_id = ? AND kind <> 'radio' AND files_dir IS NOT NULL`,
      )
      .pluck(),
    pagePlayableForUser: db.prepare<[string, number, number], ClipRow>(
      `SELECT * FROM clips WHERE user_id = ? AND kind <> 'radio' AND files_dir IS NOT NULL
       ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
    ),
    insertFeedback: db.prepare<
      [string, string | null, string, string, number | null, string, string | null, number | null, string, number],
      FeedbackRow
    >(
      `INSERT INTO feedback_events (user_id, guild_id, clip_id, kind, value, style_mix, mood, tempo, instruments,
         created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    ),
  };

  const recordClip = db.transaction((input: RecordClipInput): StoreResult<ClipRecord> => {
    const { job, meta, files } = input;
    if (sql.job.get(job.id, job.userId) !== 1) {
      return fail('job-gone', `job ${job.id} of user ${job.userId} is not in the queue any more`);
    }
    const filesDir = resolve(dirname(files.ogg));
    if (!isInside(dataDir, filesDir)) return fail('bad-clip', `the clip's files are not inside ${dataDir}`);
    const style = parseStyle(meta.request.style);
    if (!style.ok) return fail('bad-clip', `the clip's style does not parse: ${style.error.message}`);
    const styleMix: Partial<Record<string, number>> = {};
    for (const part of style.value.parts) styleMix[part.style] = part.weight;
    const now = clock();
    sql.user.run(job.userId, now);
    if (job.guildId !== null) sql.guild.run(job.guildId, now);
    const parentId = input.parentId ?? null;
    sql.insertClip.run({
      id: job.id,
      user_id: job.userId,
      guild_id: job.guildId,
      channel_id: job.channelId,
      kind: input.kind ?? job.kind,
      // A parent deleted meanwhile (its owner's /forget-me) is not an error: the link is simply gone.
      parent_id: parentId !== null && sql.clipExists.get(parentId) === 1 ? parentId : null,
      style: style.value.label,
      style_mix: JSON.stringify(styleMix),
      mood: meta.request.mood ?? null,
      tempo: meta.resolved.tempo,
      key: meta.resolved.keyName,
      length_seconds: meta.resolved.durationSeconds,
      seed: meta.request.seed,
      instruments: JSON.stringify(meta.request.instruments),
      model_version: meta.model.version,
      meta: JSON.stringify(meta),
      files_dir: filesDir,
      created_at: now,
    });
    const row = sql.get.get(job.id);
    if (row === undefined) throw new Error(`clip ${job.id} vanished inside its own transaction`);
    return { ok: true, value: toClip(row) };
  });

  const recordFeedback = db.transaction((input: FeedbackInput): StoreResult<FeedbackEvent> => {
    const checked = checkFeedback(input);
    if (checked !== undefined) return checked;
    const clip = sql.get.get(input.clipId);
    if (clip === undefined) return fail('unknown-clip', `there is no clip ${input.clipId}`);
    const now = clock();
    sql.user.run(input.userId, now);
    if (input.guildId !== null) sql.guild.run(input.guildId, now);
    const row = sql.insertFeedback.get(
      input.userId,
      input.guildId,
      clip.id,
      input.kind,
      input.kind === 'radio-listen' ? (input.value ?? null) : null,
      clip.style_mix,
      clip.mood,
      clip.tempo,
      clip.instruments,
      now,
    );
    if (row === undefined) throw new Error('the feedback insert returned no row');
    return { ok: true, value: feedbackFromRow(row) };
  });

  return {
    recordClip(input) {
      const result = recordClip.immediate(input);
      if (!result.ok && result.error.code === 'job-gone') {
        // Its owner is gone: nothing may keep the folder the service just wrote (a few small files).
        const dir = resolve(dirname(input.files.ogg));
        if (isInside(dataDir, dir)) rmSync(dir, { recursive: true, force: true });
      }
      return result;
    },
    attachMessage: (clipId, messageId) => sql.attach.run(messageId, clipId).changes === 1,
    get(clipId) {
      const row = sql.get.get(clipId);
      return row === undefined ? undefined : toClip(row);
    },
    listForUser(userId, page = 0, listOptions = {}) {
      const size = Math.max(1, Math.floor(listOptions.pageSize ?? pageSize));
      const [count, select] = listOptions.playable
        ? [sql.countPlayableForUser, sql.pagePlayableForUser]
        : [sql.countForUser, sql.pageForUser];
      const total = count.get(userId) ?? 0;
      const pageCount = Math.max(1, Math.ceil(total / size));
      const at = Math.min(pageCount - 1, Math.max(0, Math.floor(Number.isFinite(page) ? page : 0)));
      const clips = select.all(userId, size, at * size).map(toClip);
      return { clips, page: at, pageCount, total };
    },
    recordFeedback: (input) => recordFeedback.immediate(input),
    exportUser: (userId) => exportUserData(db, userId, clock()),
    async forgetUser(userId) {
      await pending.sweep();
      return forgetUserData(db, pending, dataDir, userId);
    },
    async applyRetention(now = clock()) {
      await pending.sweep();
      return applyRetentionPolicy(db, pending, dataDir, policy, now);
    },
    sweepPendingDeletions: () => pending.sweep(),
  };
}

function fail<T>(code: ClipStoreErrorCode, message: string): StoreResult<T> {
  return { ok: false, error: { code, message } };
}

function checkFeedback(input: FeedbackInput): StoreResult<FeedbackEvent> | undefined {
  const bad = (why: string): StoreResult<FeedbackEvent> => fail('bad-feedback', why);
  if (typeof input.userId !== 'string' || input.userId === '') return bad('a feedback event needs a user id');
  if (input.guildId !== null && (typeof input.guildId !== 'string' || input.guildId === '')) {
    return bad('the guild id must be an id or null');
  }
  if (typeof input.clipId !== 'string' || input.clipId === '') return bad('a feedback event needs a clip id');
  if (!isFeedbackKind(input.kind)) {
    return bad(`unknown feedback kind "${String(input.kind)}": one of ${FEEDBACK_KINDS.join(', ')}`);
  }
  const value = input.value ?? null;
  if (input.kind === 'radio-listen') {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_LISTEN_SECONDS) {
      return bad(`radio-listen needs the seconds listened, 0 to ${MAX_LISTEN_SECONDS}`);
    }
  } else if (value !== null) {
    return bad(`a ${input.kind} event has no value`);
  }
  return undefined;
}

function toClip(row: ClipRow): ClipRecord {
  const kind = STORED_CLIP_KINDS.find((known) => known === row.kind);
  if (kind === undefined) throw new Error(`unknown clip kind "${row.kind}" in the database`);
  const dir = row.files_dir;
  return {
    id: row.id,
    userId: row.user_id,
    guildId: row.guild_id,
    channelId: row.channel_id,
    messageId: row.message_id,
    kind,
    parentId: row.parent_id,
    style: row.style,
    styleMix: JSON.parse(row.style_mix) as StyleMix,
    mood: row.mood,
    tempo: row.tempo,
    key: row.key,
    lengthSeconds: row.length_seconds,
    seed: row.seed,
    instruments: JSON.parse(row.instruments) as Record<string, number>,
    modelVersion: row.model_version,
    meta: JSON.parse(row.meta) as ClipMeta,
    files:
      dir === null
        ? undefined
        : {
            ogg: join(dir, 'clip.ogg'),
            mid: join(dir, 'clip.mid'),
            png: join(dir, 'clip.png'),
            json: join(dir, 'clip.json'),
          },
    createdAt: row.created_at,
  };
}
