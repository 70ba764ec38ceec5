import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseStyle } from '../../src/music/styles.ts';
import { forMe, styleMixOf } from '../../src/taste/for-me.ts';
import { buildTasteProfile, type TasteProfile } from '../../src/taste/taste-profile.ts';
import { event, likes, NOW } from './taste-events.ts';

function profile(styles: TasteProfile['styles']): TasteProfile {
  return { styles, moods: {}, tempoBands: {}, instruments: {}, events: 1 };
}

/** What the compose request would make of it: its label and weights. */
function parsed(style: string): { label: string; weights: Record<string, number> } {
  const result = parseStyle(style);
  assert.ok(result.ok, `"${style}" does not parse`);
  return {
    label: result.value.label,
    weights: Object.fromEntries(result.value.parts.map((part) => [part.style, part.weight])),
  };
}

describe('forMe', () => {
  test('GIVEN jazz 2, lofi 0.5, rock 0.25, pop −0.5 THEN rock (under 15% of the three) is left out: "jazz:0.8,lofi:0.2"', () => {
    const events = [
      event({ clip: 'j1', kind: 'like', mix: { jazz: 1 }, mood: 'calm', tempo: 100 }),
      event({ clip: 'j2', kind: 'like', mix: { jazz: 1 }, mood: 'calm', tempo: 100 }),
      event({ clip: 'l', kind: 'radio-listen', value: 120, mix: { lofi: 1 }, tempo: 80 }),
      event({ clip: 'r', kind: 'play', mix: { rock: 1 } }),
      event({ clip: 'p', kind: 'skip', mix: { pop: 1 } }),
    ];
    const mine = buildTasteProfile(events, NOW, { halfLifeDays: 30 });
    const result = forMe(mine);
    assert.deepEqual(result, {
      style: 'jazz:0.8,lofi:0.2',
      mood: 'calm',
      tempo: 98,
      source: 'you',
      reason: 'your mix: 80% jazz, 20% lofi',
    });
    assert.deepEqual(parsed(result.style), { label: 'jazz:0.8,lofi:0.2', weights: { jazz: 0.8, lofi: 0.2 } });
  });

  test('GIVEN three equal styles THEN hundredths add up to exactly 1 and the compose request accepts the mix', () => {
    const mix = styleMixOf(profile({ folk: 1, jazz: 1, latin: 1, pop: -3 }));
    assert.ok(mix);
    assert.equal(mix.style, 'folk:0.34,jazz:0.33,latin:0.33');
    assert.deepEqual(parsed(mix.style).label, mix.style);
    assert.equal(styleMixOf(profile({ ambient: 2 }))?.style, 'ambient');
    assert.equal(styleMixOf(profile({ metal: -1 })), undefined);
  });

  test("GIVEN no history THEN the guild's mix; GIVEN no guild either THEN the default style", () => {
    const empty = buildTasteProfile([], NOW);
    const guild = buildTasteProfile(likes('other', 3, { mix: { lofi: 1 }, mood: 'chill', tempo: 80 }), NOW);
    const fromGuild = forMe(empty, { guild });
    assert.deepEqual(fromGuild, {
      style: 'lofi',
      mood: 'chill',
      tempo: 72,
      source: 'people-here',
      reason: 'no taste of yours yet, so what people here like: 100% lofi',
    });
    const fallback = forMe(empty, { fallbackStyle: 'lo-fi' });
    assert.equal(fallback.style, 'lofi');
    assert.equal(fallback.source, 'default');
    assert.equal(forMe(empty).style, 'pop');
    assert.equal(forMe(profile({ rock: -2 }), { fallbackStyle: 'not a style' }).style, 'pop');
  });
});
