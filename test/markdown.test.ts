import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { escapeMarkdown } from '../src/markdown.ts';

describe('escapeMarkdown', () => {
  test('GIVEN text with markdown THEN it shows as typed: every formatting character is escaped', () => {
    assert.equal(
      escapeMarkdown('**bold** _it_ ~~s~~ `c` ||sp||'),
      '\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\`c\\` \\|\\|sp\\|\\|',
    );
    assert.equal(escapeMarkdown('> quote # head [link](http://x)'), '\\> quote \\# head \\[link\\](http://x)');
    assert.equal(escapeMarkdown('back\\slash'), 'back\\\\slash');
  });

  test('GIVEN a mention in a name THEN it cannot ping', () => {
    assert.equal(escapeMarkdown('@everyone <@123>'), '\\@everyone \\<\\@123\\>');
  });

  test('GIVEN plain text THEN it is unchanged', () => {
    assert.equal(escapeMarkdown('Blue Harbour — jazz-7, 120 BPM'), 'Blue Harbour — jazz-7, 120 BPM');
  });
});
