import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { createFakeDiscord, type FakeDiscord } from '../fake-discord/fake-discord.ts';
import { APP_ID, GUILD, TOKEN, attachment, oggFrames, option, startHarness } from './bot-harness.ts';

describe('a job the bot accepted before it stopped', () => {
  let fake: FakeDiscord;
  let dir: string;
  before(async () => {
    fake = await createFakeDiscord({ token: TOKEN, applicationId: APP_ID, guilds: [GUILD] });
    dir = await mkdtemp(join(tmpdir(), 'motif-restart-'));
  });
  after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('GIVEN /compose accepted and the bot restarted before it ran THEN the next process answers the same interaction', async () => {
    const first = await startHarness({ steps: 4, reuse: { fake, dir }, startService: false });
    let interactionId: string;
    try {
      const answered = await first.command('compose', [
        option('style', 'folk'),
        option('length', 4),
        option('seed', 8),
      ]);
      assert.equal(answered.type, 5);
      interactionId = answered.id;
      assert.equal(first.service.statusForUser(GUILD.members[0]?.id ?? '')[0]?.job.status, 'queued');
    } finally {
      await first.close();
    }
    assert.equal(fake.originalOf(interactionId)?.attachments.length, 0, 'nothing posted by the first process');

    const second = await startHarness({ steps: 4, reuse: { fake, dir } });
    try {
      const message = await second.finished(interactionId);
      assert.equal(await oggFrames(attachment(message, 'ogg'), dir), 4 * 48_000);
      assert.match(message.content, /for <@\d+>$/);
    } finally {
      await second.close();
    }
  });
});
