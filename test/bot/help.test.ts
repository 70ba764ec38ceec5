import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { commandData } from '../../src/commands/all-commands.ts';
import { EMBED_LIMITS, helpEmbed } from '../../src/commands/help.ts';

const ALL = [
  'compose',
  'styles',
  'queue',
  'cancel',
  'help',
  'settings',
  'recommend',
  'history',
  'taste',
  'export-me',
  'forget-me',
  'play',
  'skip',
  'stop',
  'leave',
  'nowplaying',
  'radio',
];

function lines(embed: ReturnType<typeof helpEmbed>): string[] {
  return (embed.fields ?? []).flatMap((field) => field.value.split('\n'));
}

describe('/help', () => {
  test('GIVEN every command the bot registers THEN each has exactly one line, in four groups', () => {
    const registered = commandData().map((data) => data.name);
    assert.deepEqual([...registered].sort(), [...ALL].sort());
    const embed = helpEmbed(registered);
    const groups = (embed.fields ?? []).map((field) => field.name);
    assert.deepEqual(groups, ['Compose', 'Voice', 'Your taste', 'Server', 'The /compose prompt']);
    for (const name of registered) {
      const found = lines(embed).filter((line) => line.startsWith(`\`/${name}\` `));
      assert.equal(found.length, 1, name);
    }
    assert.equal(lines(embed).filter((line) => line.startsWith('`/')).length, registered.length);
    const voice = embed.fields?.find((field) => field.name === 'Voice')?.value.split('\n') ?? [];
    assert.deepEqual(
      voice.map((line) => /^`\/([a-z-]+)`/.exec(line)?.[1]),
      ['play', 'skip', 'stop', 'leave', 'nowplaying', 'radio'],
    );
  });

  test('GIVEN the full list THEN the embed is within Discord’s limits', () => {
    const embed = helpEmbed(ALL);
    const fields = embed.fields ?? [];
    assert.ok(fields.length <= EMBED_LIMITS.fields);
    assert.ok((embed.title ?? '').length <= EMBED_LIMITS.title);
    assert.ok((embed.description ?? '').length <= EMBED_LIMITS.description);
    for (const field of fields) {
      assert.ok(field.name.length <= EMBED_LIMITS.fieldName, field.name);
      assert.ok(field.value.length > 0 && field.value.length <= EMBED_LIMITS.fieldValue, field.name);
    }
    const total =
      (embed.title ?? '').length +
      (embed.description ?? '').length +
      fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);
    assert.ok(total <= EMBED_LIMITS.total, `${total} characters`);
  });

  test('GIVEN a bot without voice or user data THEN only its commands are listed and empty groups are left out', () => {
    const embed = helpEmbed(['compose', 'styles', 'queue', 'cancel', 'help', 'settings']);
    assert.deepEqual(
      (embed.fields ?? []).map((field) => field.name),
      ['Compose', 'Server', 'The /compose prompt'],
    );
    assert.equal(lines(embed).filter((line) => line.startsWith('`/')).length, 6);
    assert.ok(!JSON.stringify(embed).includes('/radio'));
  });
});
