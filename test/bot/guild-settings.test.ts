import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { DEFAULT_GUILD_SETTINGS, createGuildSettingsStore } from '../../src/bot/guild-settings.ts';
import { openDatabase } from '../../src/db/database.ts';

describe('guild settings in the guild_settings table', () => {
  test("GIVEN a guild never configured THEN the defaults: every channel, the bot's own length limit, voice on", () => {
    const store = createGuildSettingsStore(openDatabase({ path: ':memory:' }));
    assert.deepEqual(store.get('1'), DEFAULT_GUILD_SETTINGS);
  });

  test('GIVEN updates THEN each changes only its fields, is kept, and records who and when', () => {
    const db = openDatabase({ path: ':memory:' });
    const store = createGuildSettingsStore(db, () => 1234);
    store.update('1', { allowedChannels: ['10', '11', '10'] }, 'ada');
    store.update('1', { maxLengthSeconds: 30 }, 'bob');
    const now = store.update('1', { voiceEnabled: false }, 'bob');
    assert.deepEqual(now, { allowedChannels: ['10', '11'], maxLengthSeconds: 30, voiceEnabled: false });
    assert.deepEqual(createGuildSettingsStore(db).get('1'), now, 'read back from the table');
    assert.deepEqual(store.get('2'), DEFAULT_GUILD_SETTINGS, 'other guilds untouched');
    const row = db.prepare('SELECT updated_by, updated_at FROM guild_settings WHERE guild_id = ?').get('1');
    assert.deepEqual(row, { updated_by: 'bob', updated_at: 1234 });
    assert.equal(db.prepare('SELECT count(*) AS n FROM guilds WHERE id = ?').pluck().get('1'), 1);
  });

  test('GIVEN maxLengthSeconds: undefined THEN the limit goes back to the default', () => {
    const store = createGuildSettingsStore(openDatabase({ path: ':memory:' }));
    store.update('1', { maxLengthSeconds: 10 }, 'ada');
    assert.equal(store.update('1', { maxLengthSeconds: undefined }, 'ada').maxLengthSeconds, undefined);
  });
});
