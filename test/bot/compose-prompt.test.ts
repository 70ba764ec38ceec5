import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parsePrompt } from '../../src/commands/compose-prompt.ts';
import { parseComposeRequest } from '../../src/inference/compose-request.ts';

describe('the /compose prompt keyword parser', () => {
  test('GIVEN "sad slow piano in D minor" THEN mood sad, tempo 72, piano melody, key D minor', () => {
    assert.deepEqual(parsePrompt('sad slow piano in D minor'), {
      ignored: [],
      key: 'D minor',
      tempo: 72,
      mood: 'sad',
      instruments: 'melody=piano',
    });
  });

  const cases: [string, Record<string, unknown>][] = [
    [
      'upbeat lo-fi jazz with electric piano, 90 bpm, 30s, seed 42',
      { style: 'lofi,jazz', tempo: 90, length: 30, seed: 42, instruments: 'melody=electric piano' },
    ],
    ['dark cinematic in Bb', { style: 'cinematic', mood: 'dark', key: 'Bb' }],
    ['epic orchestral in c# minor, 1 minute', { style: 'cinematic', mood: 'epic', key: 'C# minor', length: 60 }],
    ['chill synth in F#m', { style: 'electronic', mood: 'chill', key: 'F# minor' }],
    ['a bossa nova, short', { style: 'latin', length: 10 }],
    ['very fast metal in e minor', { style: 'metal', tempo: 168, key: 'E minor' }],
    ['Melancholy flute in A-flat', { mood: 'melancholic', instruments: 'melody=flute', key: 'Ab' }],
  ];
  for (const [prompt, expected] of cases) {
    test(`GIVEN "${prompt}" THEN ${JSON.stringify(expected)}`, () => {
      const reading = parsePrompt(prompt);
      for (const [field, value] of Object.entries(expected))
        assert.deepEqual(reading[field as keyof typeof reading], value, field);
    });
  }

  test('GIVEN words that look like keys but are not ("I am", "in a minute", "a piano") THEN no key', () => {
    for (const prompt of ['I am happy', 'done in a minute', 'a piano', 'be calm']) {
      assert.equal(parsePrompt(prompt).key, undefined, prompt);
    }
  });

  test('GIVEN words it does not know THEN they are listed as ignored, small words are not', () => {
    assert.deepEqual(parsePrompt('make me a song about penguins').ignored, ['about', 'penguins']);
  });

  test('GIVEN every reading of the examples THEN parseComposeRequest accepts it', () => {
    for (const [prompt] of cases) {
      const r = parsePrompt(prompt);
      const parsed = parseComposeRequest(
        {
          style: r.style,
          mood: r.mood,
          tempo: r.tempo,
          key: r.key,
          length: r.length,
          seed: r.seed,
          instruments: r.instruments,
        },
        { style: 'pop', seed: () => 1 },
      );
      assert.ok(parsed.ok, `${prompt}: ${parsed.ok ? '' : parsed.error.message}`);
    }
  });
});
