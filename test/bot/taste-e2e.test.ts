import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import Database from 'better-sqlite3';

import type { VoicePlayRequest } from '../../src/bot/collaborators.ts';
import { summariseTaste } from '../../src/taste/taste-summary.ts';
import { MessageFlag } from '../fake-discord/objects.ts';
import type { FakeMessage } from '../fake-discord/records.ts';
import {
  ADA,
  BOB,
  GENERAL,
  GUILD_ID,
  clipIdOf,
  customIds,
  option,
  pngSize,
  startHarness,
  type Harness,
} from './bot-harness.ts';

const REPLY = 4;
const DEFERRED = 5;
const DEFERRED_UPDATE = 6;
const UPDATE = 7;

type Row = Record<string, unknown>;

/** The tables a person owns, the column that says whose a row is, and their JSON columns (as the export shows them). */
const OWNED = [
  { table: 'users', owner: 'id', json: [] },
  { table: 'jobs', owner: 'user_id', json: ['request', 'result'] },
  { table: 'clips', owner: 'user_id', json: ['style_mix', 'instruments', 'meta'] },
  { table: 'feedback_events', owner: 'user_id', json: ['style_mix', 'instruments'] },
] as const;

describe('taste in the running bot: clips table, feedback, for me, /history, /recommend, /taste, /export-me, /forget-me', () => {
  let h: Harness;
  let sql: Database.Database;
  const plays: VoicePlayRequest[] = [];
  let jazz: FakeMessage;
  let jazzId: string;
  let lofiId: string;
  let variationId: string;

  /** Reads through its own connection to the database file, as another process would. */
  const rows = (query: string, ...params: unknown[]): Row[] => sql.prepare<unknown[], Row>(query).all(...params);
  const eventually = async <T>(read: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = read();
      if (value !== undefined && value !== null && value !== false) return value;
      if (Date.now() > until) throw new Error(`not so within ${timeoutMs} ms: ${read.toString().slice(0, 160)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const compose = async (userId: string, options: ReturnType<typeof option>[]): Promise<FakeMessage> => {
    const answered = await h.command('compose', [option('length', 4), ...options], userId);
    assert.equal(answered.type, DEFERRED);
    return h.finished(answered.id);
  };
  const callback = (id: string) => {
    const found = h.fake.interactions.get(id)?.callback;
    assert.ok(found, `interaction ${id} was answered`);
    return found;
  };
  const isEphemeral = (flags: unknown): boolean => (Number(flags ?? 0) & MessageFlag.ephemeral) !== 0;
  const ownedRows = (userId: string): Record<string, Row[]> =>
    Object.fromEntries(
      OWNED.map(({ table, owner, json }) => [
        table,
        rows(`SELECT * FROM ${table} WHERE ${owner} = ? ORDER BY rowid`, userId).map((row) => {
          const out: Row = { ...row };
          for (const column of json) if (typeof out[column] === 'string') out[column] = JSON.parse(out[column]);
          if (table === 'jobs') out['interaction_token'] = null;
          return out;
        }),
      ]),
    );

  before(async () => {
    h = await startHarness({
      steps: 4,
      historyPageSize: 2,
      bot: {
        voice: {
          playInVoice: (request) => {
            plays.push(request);
            return Promise.resolve('Playing in Lounge.');
          },
        },
      },
    });
    sql = new Database(h.databasePath, { readonly: true, fileMustExist: true });
    // Short clips everywhere, also those /recommend's buttons make (they ask for no length).
    const settings = await h.command('settings', [{ name: 'max-length', type: 1, options: [option('seconds', 4)] }]);
    assert.equal(settings.type, REPLY);
    jazz = await compose(ADA, [option('style', 'jazz'), option('seed', 1)]);
    jazzId = clipIdOf(jazz);
  });
  after(async () => {
    sql.close();
    await h.close();
  });

  test('GIVEN a finished clip THEN its row holds its kind, guild, channel and message; 👍 on it writes a feedback row', async () => {
    const row = await eventually(() => rows('SELECT * FROM clips WHERE id = ? AND message_id IS NOT NULL', jazzId)[0]);
    assert.equal(row['user_id'], ADA);
    assert.equal(row['kind'], 'compose');
    assert.equal(row['parent_id'], null);
    assert.equal(row['guild_id'], GUILD_ID);
    assert.equal(row['channel_id'], GENERAL);
    assert.equal(row['message_id'], jazz.id);
    assert.equal(row['style'], 'jazz');
    assert.equal(row['files_dir'], join(h.dataDir, jazzId));

    const like = await h.press(jazz.id, `like:${jazzId}`, BOB);
    assert.equal(like.type, REPLY);
    const event = await eventually(
      () => rows("SELECT * FROM feedback_events WHERE user_id = ? AND kind = 'like'", BOB)[0],
    );
    assert.equal(event['clip_id'], jazzId);
    assert.equal(event['guild_id'], GUILD_ID);
    assert.deepEqual(JSON.parse(String(event['style_mix'])), { jazz: 1 });
    assert.equal(rows('SELECT * FROM feedback_events WHERE user_id = ?', BOB).length, 1);
  });

  test('GIVEN 🔁 pressed by another member THEN the variation is their clip, with the pressed clip as its parent', async () => {
    const pressed = await h.press(jazz.id, `vary:${jazzId}`, BOB);
    assert.equal(pressed.type, DEFERRED);
    const message = await h.finished(pressed.id);
    variationId = clipIdOf(message);
    const row = await eventually(
      () => rows('SELECT * FROM clips WHERE id = ? AND message_id IS NOT NULL', variationId)[0],
    );
    assert.equal(row['user_id'], BOB);
    assert.equal(row['kind'], 'variation');
    assert.equal(row['parent_id'], jazzId);
    assert.equal(row['message_id'], message.id);
    const events = rows("SELECT clip_id FROM feedback_events WHERE user_id = ? AND kind = 'variation'", BOB);
    assert.deepEqual(events, [{ clip_id: jazzId }]);
  });

  test('GIVEN likes of jazz and lofi THEN /compose with no style uses their for-me mix and its message says why', async () => {
    const lofi = await compose(ADA, [option('style', 'lofi'), option('seed', 2)]);
    lofiId = clipIdOf(lofi);
    await h.press(jazz.id, `like:${jazzId}`, ADA);
    await h.press(lofi.id, `like:${lofiId}`, ADA);
    await eventually(() => rows("SELECT * FROM feedback_events WHERE user_id = ? AND kind = 'like'", ADA).length === 2);
    const mix = h.taste.forMe(ADA, GUILD_ID);
    assert.equal(mix.source, 'you');
    assert.match(mix.style, /^(jazz:0\.5,lofi:0\.5|lofi:0\.5,jazz:0\.5)$/);

    const message = await compose(ADA, [option('seed', 3)]);
    const clip = h.store.get(clipIdOf(message));
    assert.equal(clip?.style, mix.style);
    assert.deepEqual(clip.styleMix, { jazz: 0.5, lofi: 0.5 });
    assert.match(
      message.content,
      /\n🎯 For you: (jazz 50%, lofi 50%|lofi 50%, jazz 50%) — because you liked 1 (jazz|lofi) and 1 (lofi|jazz) clips\.$/,
    );

    const named = await compose(ADA, [option('prompt', 'calm rock'), option('seed', 4)]);
    assert.equal(h.store.get(clipIdOf(named))?.style, 'rock', 'a style in the prompt wins over for me');
    assert.doesNotMatch(named.content, /For you/);
  });

  test('GIVEN /history THEN the caller’s clips newest first, two per page, with ◀ ▶ that turn the page', async () => {
    const expected = rows('SELECT id FROM clips WHERE user_id = ? ORDER BY created_at DESC, rowid DESC', ADA).map(
      (row) => String(row['id']),
    );
    assert.equal(expected.length, 4);
    const answered = await h.command('history', [], ADA);
    assert.equal(answered.type, REPLY);
    assert.ok(isEphemeral(callback(answered.id).data?.flags));
    const page = h.fake.originalOf(answered.id);
    assert.ok(page);
    const shown = (message: FakeMessage): string[] =>
      customIds(message)
        .filter((id) => id.startsWith('replay:') && id.endsWith(':me'))
        .map((id) => id.slice('replay:'.length, -':me'.length));
    assert.deepEqual(shown(page), expected.slice(0, 2));
    assert.match(page.content, /page 1 of 2 \(4 in all\)/);
    assert.deepEqual(
      customIds(page).filter((id) => id.startsWith('play:')),
      expected.slice(0, 2).map((id) => `play:${id}`),
    );

    const older = await h.press(page.id, `history:${ADA}:1`, ADA);
    assert.equal(older.type, UPDATE);
    const turned = await h.fake.waitFor(() => {
      const now = h.fake.originalOf(older.id);
      return now !== null && now.content.includes('page 2 of 2') ? now : null;
    });
    assert.equal(turned.id, page.id);
    assert.deepEqual(shown(turned), expected.slice(2, 4));

    const stranger = await h.press(page.id, `history:${ADA}:0`, BOB);
    assert.equal(stranger.type, REPLY);
    assert.match(String(callback(stranger.id).data?.content), /someone else/);
  });

  test('GIVEN 🔂, 📢 and ▶️ in /history THEN the clip’s files come again (only for me, then in the channel) and it plays in voice', async () => {
    const history = await h.command('history', [], ADA);
    const page = h.fake.originalOf(history.id);
    assert.ok(page);
    const clip = h.store.get(lofiId);
    assert.ok(clip?.files);
    // Lofi is the third newest: on page 2.
    const older = await h.press(page.id, `history:${ADA}:1`, ADA);
    assert.equal(older.type, UPDATE);

    const mine = await h.press(page.id, `replay:${lofiId}:me`, ADA);
    assert.equal(mine.type, REPLY);
    const privately = h.fake.originalOf(mine.id);
    assert.ok(privately && isEphemeral(privately.flags));
    assert.deepEqual(
      privately.attachments.map((a) => a.filename),
      ['lofi-2.ogg', 'lofi-2.mid', 'lofi-2.png'],
    );
    assert.ok(privately.attachments[0]?.bytes.equals(readFileSync(clip.files.ogg)));

    const shared = await h.press(page.id, `replay:${lofiId}:here`, ADA);
    const posted = h.fake.originalOf(shared.id);
    assert.ok(posted);
    assert.equal(isEphemeral(posted.flags), false);
    assert.equal(posted.channelId, GENERAL);
    assert.equal(posted.attachments.length, 3);
    assert.ok(customIds(posted).includes(`vary:${lofiId}`));

    const play = await h.press(page.id, `play:${lofiId}`, ADA);
    assert.equal(play.type, DEFERRED);
    await h.fake.waitFor(() => h.fake.originalOf(play.id)?.content === 'Playing in Lounge.');
    assert.equal(plays.at(-1)?.clip.id, lofiId);
    assert.equal(plays.at(-1)?.userId, ADA);
    await eventually(() => rows("SELECT * FROM feedback_events WHERE user_id = ? AND kind = 'play'", ADA).length === 1);

    const foreign = await h.press(page.id, `replay:${variationId}:me`, ADA);
    assert.match(String(callback(foreign.id).data?.content), /no longer in your history/);
  });

  test('GIVEN /recommend THEN three ideas, each with its reason and a Compose button that queues exactly it for the presser', async () => {
    const answered = await h.command('recommend', [], ADA);
    assert.equal(answered.type, REPLY);
    const message = h.fake.originalOf(answered.id);
    assert.ok(message && isEphemeral(message.flags));
    const lines = message.content.split('\n').slice(1);
    assert.equal(lines.length, 3);
    const ideas = lines.map((line, index) => {
      const match = /^\*\*(\d)\. ([a-z-]+) ([a-z-]+), (\d+) bpm\*\* — (.+)$/.exec(line);
      assert.ok(match, line);
      assert.equal(Number(match[1]), index + 1);
      assert.ok((match[5] ?? '').length > 10, `a reason: ${line}`);
      return { mood: match[2] ?? '', style: match[3] ?? '', tempo: Number(match[4]) };
    });
    const buttons = customIds(message);
    assert.deepEqual(
      buttons,
      ideas.map((idea) => `recommend:${idea.style}:${idea.mood}:${idea.tempo}`),
    );
    assert.ok(
      lines.some((line) => /you liked/.test(line)),
      'an idea from their own likes says so',
    );

    const first = ideas[0];
    assert.ok(first);
    const pressed = await h.press(message.id, buttons[0] ?? '', ADA);
    assert.equal(pressed.type, DEFERRED);
    const made = await h.finished(pressed.id);
    const clip = h.store.get(clipIdOf(made));
    assert.equal(clip?.userId, ADA);
    assert.equal(clip.style, first.style);
    assert.equal(clip.mood, first.mood);
    assert.equal(clip.meta.request.tempo, first.tempo);
  });

  test('GIVEN /taste THEN the profile as a PNG and the summary sentence, only for the caller', async () => {
    const answered = await h.command('taste', [], ADA);
    assert.equal(answered.type, DEFERRED);
    const message = await h.fake.waitFor(() => {
      const now = h.fake.originalOf(answered.id);
      return now !== null && now.attachments.length > 0 ? now : null;
    });
    assert.ok(isEphemeral(message.flags));
    assert.equal(message.content, summariseTaste(h.taste.profile(ADA)).sentence);
    assert.match(message.content, /^You like (jazz and lofi|lofi and jazz)/);
    const png = message.attachments[0];
    assert.equal(png?.filename, 'taste.png');
    assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.equal((await pngSize(png.bytes)).width, 1000);
  });

  test('GIVEN /export-me THEN a JSON file, only for the caller, holding every row of theirs and nothing else', async () => {
    const answered = await h.command('export-me', [], ADA);
    assert.equal(answered.type, DEFERRED);
    const message = await h.fake.waitFor(() => {
      const now = h.fake.originalOf(answered.id);
      return now !== null && now.attachments.length > 0 ? now : null;
    });
    assert.ok(isEphemeral(message.flags));
    const file = message.attachments[0];
    assert.equal(file?.filename, `motif-data-${ADA}.json`);
    const exported = JSON.parse(file.bytes.toString('utf8')) as { userId: string; tables: Record<string, Row[]> };
    assert.equal(exported.userId, ADA);
    const direct = ownedRows(ADA);
    assert.deepEqual(exported.tables, direct);
    assert.equal(direct['clips']?.length, 5);
    assert.equal(direct['feedback_events']?.length, 3);
    assert.equal(direct['users']?.length, 1);
    assert.match(message.content, /5 clips, 3 feedback events, 5 jobs/);
  });

  test('GIVEN /forget-me THEN only its author can confirm, and confirming deletes every row and file of theirs and nothing of anyone else', async () => {
    const adaClips = rows('SELECT id FROM clips WHERE user_id = ?', ADA).map((row) => String(row['id']));
    const adaJobs = rows('SELECT id FROM jobs WHERE user_id = ?', ADA).map((row) => String(row['id']));
    const adaEvents = rows('SELECT id FROM feedback_events WHERE user_id = ?', ADA).length;
    const bobBefore = ownedRows(BOB);
    const bobFolders = rows('SELECT files_dir FROM clips WHERE user_id = ?', BOB).map((row) =>
      String(row['files_dir']),
    );
    const bobFiles = new Map(
      bobFolders.flatMap((dir) => readdirSync(dir).map((name) => [join(dir, name), readFileSync(join(dir, name))])),
    );
    assert.ok(bobFolders.length > 0 && adaClips.length > 0);

    const asked = await h.command('forget-me', [], ADA);
    assert.equal(asked.type, REPLY);
    const prompt = h.fake.originalOf(asked.id);
    assert.ok(prompt && isEphemeral(prompt.flags));
    assert.deepEqual(customIds(prompt), [`forget:confirm:${ADA}`, `forget:cancel:${ADA}`]);

    const intruder = await h.press(prompt.id, `forget:confirm:${ADA}`, BOB);
    assert.equal(intruder.type, REPLY);
    assert.match(String(callback(intruder.id).data?.content), /Only the person who used \/forget-me/);
    assert.equal(rows('SELECT id FROM clips WHERE user_id = ?', ADA).length, adaClips.length);

    const confirmed = await h.press(prompt.id, `forget:confirm:${ADA}`, ADA);
    assert.equal(confirmed.type, DEFERRED_UPDATE);
    const done = await h.fake.waitFor(() => {
      const now = h.fake.originalOf(confirmed.id);
      return now?.content.startsWith('🗑️') === true ? now : null;
    });
    assert.equal(done.id, prompt.id);
    assert.match(
      done.content,
      new RegExp(
        `${adaClips.length} clips, ${adaEvents} feedback events, ${adaJobs.length} jobs, and the files of ${adaClips.length} clips`,
      ),
    );
    assert.deepEqual(customIds(done), []);

    // A connection of its own, opened after the deletion: what is in the file, not in a cache.
    const fresh = new Database(h.databasePath, { readonly: true, fileMustExist: true });
    try {
      for (const { table, owner } of OWNED) {
        const left = fresh.prepare(`SELECT count(*) FROM ${table} WHERE ${owner} = ?`).pluck().get(ADA);
        assert.equal(left, 0, `${table} rows of the forgotten user`);
      }
      const mentions = fresh
        .prepare<[], Row>('SELECT id, parent_id FROM clips')
        .all()
        .filter((row) => adaClips.includes(String(row['id'])) || adaClips.includes(String(row['parent_id'])));
      assert.deepEqual(mentions, []);
      assert.equal(fresh.prepare('SELECT count(*) FROM pending_file_deletions').pluck().get(), 0);
    } finally {
      fresh.close();
    }
    const names = readdirSync(h.dataDir);
    for (const id of adaJobs) {
      assert.ok(!names.some((name) => name === id || name.startsWith(`.${id}.`)), `folder of job ${id} deleted`);
    }

    // Everyone else's rows are as they were, but for the links to the deleted clips (set NULL by the schema).
    const unlinked = (table: string, row: Row): Row => {
      const column = table === 'clips' ? 'parent_id' : table === 'feedback_events' ? 'clip_id' : undefined;
      return column !== undefined && adaClips.includes(String(row[column])) ? { ...row, [column]: null } : row;
    };
    const bobAfter = ownedRows(BOB);
    for (const { table } of OWNED) {
      assert.deepEqual(
        bobAfter[table],
        (bobBefore[table] ?? []).map((row) => unlinked(table, row)),
        table,
      );
    }
    assert.equal(bobAfter['clips']?.[0]?.['parent_id'], null, "Bob's variation lost its link to Ada's clip");
    for (const [path, bytes] of bobFiles) assert.ok(existsSync(path) && readFileSync(path).equals(bytes), path);
  });
});

describe('/export-me over the upload limit', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ steps: 4, fake: { attachmentSizeLimit: 2048 } });
  });
  after(async () => {
    await h.close();
  });

  test('GIVEN data larger than the upload limit THEN no file, and the answer says how large it is and why', async () => {
    const composed = await h.command('compose', [option('style', 'pop'), option('length', 4), option('seed', 5)], BOB);
    // The clip's files are over the limit too: its message is the embed alone.
    await h.fake.waitFor(() => (h.fake.originalOf(composed.id)?.embeds.length ?? 0) > 0, 30_000);
    const answered = await h.command('export-me', [], BOB);
    const message = await h.fake.waitFor(() => {
      const now = h.fake.originalOf(answered.id);
      return now !== null && now.content !== '' ? now : null;
    });
    assert.ok((message.flags & MessageFlag.ephemeral) !== 0);
    assert.equal(message.attachments.length, 0);
    assert.match(
      message.content,
      /^Your data \(1 clip, 0 feedback events, 1 job\) is \d+\.\d KB as JSON, over the 2\.0 KB upload limit here/,
    );
  });
});
