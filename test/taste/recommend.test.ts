import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { STYLE_NAMES, STYLES } from '../../src/music/styles.ts';
import { recommend } from '../../src/taste/recommend.ts';
import { event, likes, NOW } from './taste-events.ts';

const CALM_LOFI = { mix: { lofi: 1 }, mood: 'calm', tempo: 76 };
const CALM_JAZZ = { mix: { jazz: 1 }, mood: 'calm', tempo: 100 };
const ROMANTIC_LATIN = { mix: { latin: 1 }, mood: 'romantic', tempo: 96 };
const EPIC_METAL = { mix: { metal: 1 }, mood: 'epic', tempo: 160 };

describe('recommend', () => {
  test('GIVEN someone who liked 3 calm lofi clips this week THEN the first idea is calm slow lofi, and says so', () => {
    const userEvents = [
      ...likes('me', 3, CALM_LOFI, 1),
      ...likes('me', 2, { mix: { lofi: 1 }, mood: 'calm', tempo: 76 }, 20, 'older'),
      event({ clip: 'r1', kind: 'dislike', mix: { rock: 1 }, mood: 'energetic', tempo: 140, daysAgo: 2 }),
    ];
    const ideas = recommend({ userId: 'me', userEvents, guildEvents: [], now: NOW, seed: 1 }, { exploration: 0 });
    assert.equal(ideas.length, 3);
    const [first] = ideas;
    assert.deepEqual(first, {
      style: 'lofi',
      mood: 'calm',
      tempoBand: 'slow',
      tempo: 72,
      source: 'you',
      reason: 'you liked 3 lofi clips this week; calm is your favourite mood',
      score: 2,
      clipId: null,
    });
    assert.ok(!ideas.some((idea) => idea.style === 'rock'), 'a disliked style is not proposed');
    const pairs = ideas.map((idea) => `${idea.style}/${idea.mood}`);
    assert.equal(new Set(pairs).size, 3, 'no style and mood twice');
    for (const idea of ideas) {
      const range = STYLES[idea.style].tempo;
      assert.ok(idea.tempo >= range.min && idea.tempo <= range.max, `${idea.style} at ${idea.tempo} bpm`);
      assert.ok(idea.reason.length > 0);
    }
  });

  test('GIVEN someone who likes jazz, and a jazz lover here who also loves romantic latin THEN latin is proposed, explained by the shared jazz', () => {
    const userEvents = likes('me', 3, CALM_JAZZ, 0);
    const guildEvents = [
      ...likes('neighbour', 2, CALM_JAZZ, 1, 'n-jazz'),
      ...likes('neighbour', 4, ROMANTIC_LATIN, 0, 'n-latin'),
      ...likes('metalhead', 6, EPIC_METAL, 0, 'm'),
      ...userEvents, // the person's own events in the guild are not their neighbourhood
    ];
    const ideas = recommend({ userId: 'me', userEvents, guildEvents, now: NOW, seed: 7 }, { exploration: 0 });
    const latin = ideas.find((idea) => idea.style === 'latin');
    assert.ok(latin, JSON.stringify(ideas));
    // Their latin was romantic, this person's mood is calm: the reason says only what is true of each.
    assert.deepEqual(
      { source: latin.source, reason: latin.reason, mood: latin.mood, band: latin.tempoBand, clipId: latin.clipId },
      {
        source: 'people-here',
        reason: 'people here who like jazz liked latin; calm is your favourite mood',
        mood: 'calm',
        band: 'medium',
        clipId: 'n-latin-3', // the newest (heaviest) of the neighbour's latin likes
      },
    );
    const romantic = recommend(
      { userId: 'me', userEvents: likes('me', 3, { ...CALM_JAZZ, mood: 'romantic' }), guildEvents, now: NOW, seed: 7 },
      { exploration: 0 },
    ).find((idea) => idea.style === 'latin');
    assert.equal(romantic?.reason, 'people here who like jazz liked this romantic latin');
    assert.equal(romantic.mood, 'romantic');
    assert.equal(ideas[0]?.style, 'jazz');
    assert.equal(ideas[0].source, 'you');
    assert.ok(!ideas.some((idea) => idea.style === 'metal'), 'a dissimilar person does not count');
  });

  test('GIVEN someone with no history THEN ideas are what is popular here, or a first idea when nobody has any', () => {
    const guildEvents = [...likes('a', 3, CALM_LOFI, 0, 'a'), ...likes('b', 2, CALM_LOFI, 0, 'b')];
    const ideas = recommend({ userId: 'new', userEvents: [], guildEvents, now: NOW, seed: 3 }, { exploration: 0 });
    assert.deepEqual(
      ideas.slice(0, 1).map((idea) => [idea.style, idea.mood, idea.source, idea.reason]),
      [['lofi', 'calm', 'popular', 'people here liked 5 lofi clips this week']],
    );
    assert.match(ideas[0]?.clipId ?? '', /^(a|b)-\d$/);

    const lonely = recommend({ userId: 'new', userEvents: [], guildEvents: [], now: NOW, seed: 3 }, { exploration: 0 });
    assert.equal(lonely.length, 3);
    for (const idea of lonely) {
      assert.equal(idea.source, 'explore');
      assert.match(idea.reason, /^something to start with/);
    }
    const again = recommend({ userId: 'new', userEvents: [], guildEvents: [], now: NOW, seed: 3 }, { exploration: 0 });
    assert.deepEqual(again, lonely, 'seeded: the same inputs give the same ideas');
    const otherSeed = recommend(
      { userId: 'new', userEvents: [], guildEvents: [], now: NOW, seed: 4 },
      { exploration: 0 },
    );
    assert.notDeepEqual(
      otherSeed.map((idea) => [idea.style, idea.mood]),
      lonely.map((idea) => [idea.style, idea.mood]),
      'another seed, other first ideas',
    );
  });

  test('GIVEN exploration 1 THEN the last idea is a style not tried yet, seeded', () => {
    const userEvents = [...likes('me', 3, CALM_LOFI, 0), ...likes('me', 2, CALM_JAZZ, 0, 'j')];
    const run = (seed: number): ReturnType<typeof recommend> =>
      recommend({ userId: 'me', userEvents, guildEvents: [], now: NOW, seed }, { exploration: 1 });
    const ideas = run(11);
    assert.equal(ideas.length, 3);
    const last = ideas[2];
    assert.ok(last);
    assert.equal(last.source, 'explore');
    assert.ok(last.style !== 'lofi' && last.style !== 'jazz');
    assert.equal(last.reason, `something new: you have not tried ${last.style} yet`);
    assert.deepEqual(run(11), ideas);
    const explored = new Set(Array.from({ length: 20 }, (_, seed) => run(seed)[2]?.style));
    assert.ok(explored.size >= 5, `20 seeds explored ${explored.size} styles`);
    assert.ok([...explored].every((style) => style !== undefined && STYLE_NAMES.includes(style)));
  });

  test('GIVEN someone who only disliked things THEN no reason claims they liked anything', () => {
    const userEvents = [
      event({ clip: 'a', kind: 'dislike', mix: { rock: 1 }, mood: 'energetic', tempo: 140 }),
      event({ clip: 'b', kind: 'skip', mix: { metal: 1 }, mood: 'epic', tempo: 160 }),
    ];
    const ideas = recommend({ userId: 'me', userEvents, guildEvents: [], now: NOW, seed: 2 }, { exploration: 0 });
    assert.equal(ideas.length, 3);
    for (const idea of ideas) {
      assert.equal(idea.source, 'explore');
      assert.equal(idea.reason, `something new: you have not tried ${idea.style} yet`);
      assert.ok(idea.style !== 'rock' && idea.style !== 'metal');
    }
  });

  test('GIVEN radio listening only THEN the reason counts the minutes', () => {
    const userEvents = [
      event({ clip: 'r', kind: 'radio-listen', value: 300, mix: { ambient: 1 }, mood: 'dreamy', tempo: 70 }),
      event({ clip: 'r', kind: 'radio-listen', value: 420, mix: { ambient: 1 }, mood: 'dreamy', tempo: 70 }),
    ];
    const [first] = recommend({ userId: 'me', userEvents, guildEvents: [], now: NOW, seed: 1 }, { exploration: 0 });
    assert.equal(first?.style, 'ambient');
    assert.equal(first.reason, 'you listened to ambient on the radio for 12 minutes; dreamy is your favourite mood');
  });
});
