import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { EXAMPLE_MIXES, styleChoices } from '../../src/commands/style-choices.ts';
import { STYLE_NAMES, parseStyle } from '../../src/music/styles.ts';

describe('style autocomplete', () => {
  test('GIVEN nothing typed THEN every style with its description, then example mixes, at most 25', () => {
    const choices = styleChoices('');
    assert.deepEqual(
      choices.map((c) => c.value),
      [...STYLE_NAMES, ...EXAMPLE_MIXES],
    );
    assert.match(choices[0]?.name ?? '', /^jazz: \S/);
    assert.ok(choices.length <= 25);
    for (const choice of choices) assert.ok(parseStyle(choice.value).ok, choice.value);
  });

  test('GIVEN a prefix or an alias THEN the matching styles', () => {
    // Names that start with it first, then names that contain it.
    assert.deepEqual(
      styleChoices('c').map((c) => c.value),
      ['classical', 'country', 'cinematic', 'rock', 'electronic'],
    );
    assert.deepEqual(
      styleChoices('bossa').map((c) => c.value),
      ['latin'],
    );
  });

  test('GIVEN a mix being typed THEN the next part is completed, styles already in it left out, weights kept', () => {
    assert.deepEqual(
      styleChoices('jazz:0.6,lo').map((c) => c.value),
      ['jazz:0.6,lofi'],
    );
    assert.deepEqual(
      styleChoices('lofi,jazz:0.').map((c) => c.value),
      ['lofi,jazz:0.'],
    );
    assert.ok(!styleChoices('jazz,').some((c) => c.value === 'jazz,jazz'));
  });
});
