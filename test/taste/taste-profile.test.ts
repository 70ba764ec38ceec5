import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { decay, DEFAULT_EVENT_WEIGHTS, eventWeight } from '../../src/taste/event-weights.ts';
import { buildTasteProfile, weighEvents } from '../../src/taste/taste-profile.ts';
import { summariseTaste } from '../../src/taste/taste-summary.ts';
import { tempoBand } from '../../src/taste/tempo-band.ts';
import { DAY, event, NOW } from './taste-events.ts';

/** The known sequence: ages are whole half-lives (30 days), so every expected number is exact. */
const SEQUENCE = [
  event({ clip: 'c1', kind: 'like', mix: { jazz: 1 }, mood: 'calm', tempo: 90, instruments: { melody: 66 } }),
  event({ clip: 'c2', kind: 'dislike', mix: { rock: 1 }, mood: 'energetic', tempo: 150, daysAgo: 60 }),
  event({
    clip: 'c3',
    kind: 'radio-listen',
    value: 120,
    mix: { lofi: 0.5, jazz: 0.5 },
    mood: 'chill',
    tempo: 80,
    daysAgo: 60,
  }),
  event({ clip: 'c4', kind: 'skip', mix: { pop: 1 }, mood: 'happy', tempo: 120, daysAgo: 30 }),
  event({ clip: 'c2', kind: 'like', mix: { rock: 1 }, mood: 'energetic', tempo: 150, daysAgo: 30 }),
  event({
    clip: 'c1',
    kind: 'like',
    mix: { jazz: 1 },
    mood: 'calm',
    tempo: 90,
    instruments: { melody: 66 },
    daysAgo: 60,
  }),
  event({ clip: 'c1', kind: 'extend', mix: { jazz: 1 }, mood: 'calm', tempo: 90, instruments: { melody: 66 } }),
  event({ clip: 'c3', kind: 'radio-listen', value: 600, mix: { lofi: 0.5, jazz: 0.5 }, mood: 'chill', tempo: 80 }),
  event({ clip: null, kind: 'play', mix: { electronic: 1 }, daysAgo: 30 }),
];

describe('event weights', () => {
  test('GIVEN each kind THEN its documented weight; radio 0.25 per minute up to 1', () => {
    assert.deepEqual(
      (['like', 'dislike', 'play', 'skip', 'variation', 'extend', 'regenerate'] as const).map((kind) =>
        eventWeight(kind, null),
      ),
      [1, -1, 0.25, -0.5, 0.5, 0.75, 0.25],
    );
    assert.deepEqual(
      [0, 30, 120, 240, 6000].map((seconds) => eventWeight('radio-listen', seconds)),
      [0, 0.125, 0.5, 1, 1],
    );
    assert.equal(eventWeight('like', null, { ...DEFAULT_EVENT_WEIGHTS, like: 2 }), 2);
  });

  test('GIVEN an age THEN the weight halves every half-life; the future counts as now', () => {
    assert.deepEqual(
      [0, 30, 60, 90].map((days) => decay(days * DAY, 30)),
      [1, 0.5, 0.25, 0.125],
    );
    assert.equal(decay(-5 * DAY, 30), 1);
    assert.equal(decay(14 * DAY, 7), 0.25);
  });

  test('GIVEN tempi THEN bands slow < 85 ≤ medium < 110 ≤ upbeat < 135 ≤ fast', () => {
    assert.deepEqual([60, 84.9, 85, 109, 110, 134, 135, 200].map(tempoBand), [
      'slow',
      'slow',
      'medium',
      'medium',
      'upbeat',
      'upbeat',
      'fast',
      'fast',
    ]);
  });
});

describe('buildTasteProfile', () => {
  test('GIVEN the known sequence THEN the profile has the exact decayed sums per style, mood, tempo band and instrument', () => {
    const profile = buildTasteProfile(SEQUENCE, NOW, { halfLifeDays: 30 });
    assert.deepEqual(profile, {
      // like c1 1 + radio 120 s at 60 days 0.125 × ½ + extend 0.75 + radio 600 s (capped) 1 × ½
      // (the older duplicate like of c1 is dropped: only the latest opinion of a clip counts)
      styles: { jazz: 2.3125, lofi: 0.5625, rock: 0.5, pop: -0.25, electronic: 0.125 },
      // rock: the dislike at 60 days was replaced by the like at 30 days (0.5)
      moods: { calm: 1.75, chill: 1.125, happy: -0.25, energetic: 0.5 },
      tempoBands: { medium: 1.75, slow: 1.125, upbeat: -0.25, fast: 0.5 },
      instruments: { 'melody:66': 1.75 },
      events: 7,
    });
  });

  test('GIVEN a longer half-life THEN old events weigh more (60 days: the skip at 30 days is −0.5 × 2^−½)', () => {
    const profile = buildTasteProfile(SEQUENCE, NOW, { halfLifeDays: 60 });
    assert.ok(Math.abs((profile.styles.pop ?? 0) - -0.5 * 2 ** -0.5) < 1e-12);
    assert.ok(Math.abs((profile.styles.rock ?? 0) - 2 ** -0.5) < 1e-12);
  });

  test("GIVEN a like then a dislike of the same clip THEN only the dislike counts; other people's opinions are separate", () => {
    const events = [
      event({ clip: 'x', kind: 'like', mix: { folk: 1 }, daysAgo: 2 }),
      event({ clip: 'x', kind: 'dislike', mix: { folk: 1 }, daysAgo: 1 }),
      event({ user: 'other', clip: 'x', kind: 'like', mix: { folk: 1 }, daysAgo: 1 }),
    ];
    const weighted = weighEvents(events, NOW, { halfLifeDays: 30 });
    assert.deepEqual(
      weighted.map((w) => [w.event.userId, w.event.kind]),
      [
        ['me', 'dislike'],
        ['other', 'like'],
      ],
    );
    assert.equal(buildTasteProfile([], NOW).events, 0);
    assert.deepEqual(buildTasteProfile([], NOW).styles, {});
  });
});

describe('summariseTaste', () => {
  test('GIVEN the known sequence THEN /taste gets ranked bars and one sentence', () => {
    const summary = summariseTaste(buildTasteProfile(SEQUENCE, NOW, { halfLifeDays: 30 }));
    assert.deepEqual(summary.styles, [
      { name: 'jazz', score: 2.3125, level: 1 },
      { name: 'lofi', score: 0.5625, level: 0.2432 },
      { name: 'rock', score: 0.5, level: 0.2162 },
      { name: 'electronic', score: 0.125, level: 0.0541 },
      { name: 'pop', score: -0.25, level: -0.1081 },
    ]);
    assert.deepEqual(
      summary.tempoBands.map((bar) => bar.name),
      ['medium', 'slow', 'fast', 'upbeat'],
    );
    assert.deepEqual(summary.instruments, [{ name: 'melody:66', score: 1.75, level: 1 }]);
    assert.equal(summary.sentence, 'You like jazz and lofi, calm and chill moods, medium tempos; less so pop.');
    assert.match(summariseTaste(buildTasteProfile([], NOW)).sentence, /does not know your taste yet/);
  });
});
