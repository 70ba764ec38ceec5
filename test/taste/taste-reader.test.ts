import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { createClipStore } from '../../src/db/clip-store.ts';
import { openDatabase } from '../../src/db/database.ts';
import { parseStyle } from '../../src/music/styles.ts';
import { createJobQueue } from '../../src/inference/job-queue.ts';
import { createTasteReader } from '../../src/taste/taste-reader.ts';
import { buildTasteProfile } from '../../src/taste/taste-profile.ts';
import { makeClip } from '../fixtures/clip-world.ts';

const DAY = 86_400_000;
const dataDir = mkdtempSync(join(tmpdir(), 'motif-taste-reader-'));
after(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

test('GIVEN feedback in the database THEN the reader gives the profile, explained recommendations and the "for me" mix from it', () => {
  const db = openDatabase({ path: ':memory:' });
  try {
    let now = 1_800_000_000_000;
    const clock = (): number => now;
    const queue = createJobQueue(db, { maxQueued: 100, perUser: 100, perGuild: 100, maxAttempts: 3 }, clock);
    const store = createClipStore(db, { dataDir, clock });
    const reader = createTasteReader(db, { clock, halfLifeDays: 30, exploration: 0 });

    const clip = (style: string, mood: string, tempo: number): string =>
      makeClip(queue, store, dataDir, { userId: 'maker', guildId: 'g1', style, mood, tempo }).id;
    const feedback = (userId: string, clipId: string, kind: 'like' | 'dislike' | 'skip', guildId = 'g1'): void => {
      assert.ok(store.recordFeedback({ userId, guildId, clipId, kind }).ok);
    };

    // Long ago (beyond 10 half-lives: not read), then this week.
    now -= 400 * DAY;
    feedback('me', clip('metal', 'epic', 160), 'like');
    now += 400 * DAY - 2 * DAY;
    const jazz = [clip('jazz:0.6,lofi:0.4', 'calm', 90), clip('jazz', 'calm', 100), clip('jazz', 'calm', 95)];
    for (const id of jazz) feedback('me', id, 'like');
    feedback('me', clip('rock', 'energetic', 140), 'skip', 'g2');
    const latin = [clip('latin', 'romantic', 96), clip('latin', 'romantic', 100)];
    for (const id of [...jazz.slice(1), ...latin]) feedback('neighbour', id, 'like');
    now += 2 * DAY;

    const events = reader.events('me');
    assert.deepEqual(
      events.map((event) => [event.kind, event.styleMix, event.guildId]),
      [
        ['like', { jazz: 0.6, lofi: 0.4 }, 'g1'],
        ['like', { jazz: 1 }, 'g1'],
        ['like', { jazz: 1 }, 'g1'],
        ['skip', { rock: 1 }, 'g2'],
      ],
    );
    const profile = reader.profile('me');
    assert.deepEqual(profile, buildTasteProfile(events, now, { halfLifeDays: 30 }));
    const twoDays = 0.5 ** (2 / 30);
    assert.ok(Math.abs((profile.styles.jazz ?? 0) - 2.6 * twoDays) < 1e-12);
    assert.ok(Math.abs((profile.styles.lofi ?? 0) - 0.4 * twoDays) < 1e-12);
    assert.equal(profile.styles.metal, undefined, 'an event beyond the horizon is not read');

    const ideas = reader.recommend('me', 'g1', 5);
    assert.equal(ideas.length, 3);
    assert.equal(ideas[0]?.style, 'jazz');
    assert.equal(ideas[0].reason, 'you liked 3 jazz clips this week; calm is your favourite mood');
    const fromNeighbour = ideas.find((idea) => idea.style === 'latin');
    assert.equal(fromNeighbour?.source, 'people-here');
    assert.ok(latin.includes(fromNeighbour.clipId ?? ''));
    assert.ok(!reader.recommend('me', null, 5).some((idea) => idea.style === 'latin'), 'no guild, no neighbours');

    const mine = reader.forMe('me', 'g1');
    assert.equal(mine.style, 'jazz', 'lofi, 13% of the mix, is under the 15% floor');
    assert.ok(parseStyle(mine.style).ok);
    const newcomer = reader.forMe('newcomer', 'g1');
    assert.equal(newcomer.source, 'people-here');
    assert.ok(parseStyle(newcomer.style).ok);
    assert.equal(reader.forMe('newcomer', null).source, 'default');
  } finally {
    db.close();
  }
});
