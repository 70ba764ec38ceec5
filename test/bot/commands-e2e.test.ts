import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MessageFlag } from '../fake-discord/objects.ts';
import {
  ADA,
  BOB,
  CY,
  GENERAL,
  GUILD_ID,
  OTHER_CHANNEL,
  clipIdOf,
  option,
  startHarness,
  type Harness,
} from './bot-harness.ts';

const DEFERRED = 5;
const REPLY = 4;

function sub(name: string, options: ReturnType<typeof option>[] = []) {
  return { name, type: 1, options };
}

describe('/styles, /help, /queue, /cancel and /settings through the fake Discord', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ steps: 6 });
  });
  after(async () => {
    await h.close();
  });

  const ephemeral = (id: string): string => {
    const callback = h.fake.interactions.get(id)?.callback;
    assert.equal(callback?.type, REPLY);
    assert.equal(Number(callback.data?.flags ?? 0) & MessageFlag.ephemeral, MessageFlag.ephemeral, 'ephemeral');
    return String(callback.data?.content);
  };

  test('GIVEN the deployed commands THEN the fake holds compose, styles, queue, cancel, help, settings and the five user-data commands', () => {
    const names = h.fake.commands(GUILD_ID).map((c) => c.name);
    assert.deepEqual(names, [
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
    ]);
    const settings = h.fake.commands(GUILD_ID).find((c) => c.name === 'settings');
    assert.equal(settings?.default_member_permissions, String(1 << 5));
  });

  test('GIVEN /styles THEN every style with its one line', async () => {
    const text = ephemeral((await h.command('styles')).id);
    const lines = text.split('\n').filter((line) => line.startsWith('**'));
    assert.equal(lines.length, 16);
    assert.match(text, /\*\*jazz\*\*: \S/);
    assert.match(text, /lofi:0\.6,jazz:0\.4/);
  });

  test('GIVEN /help THEN an embed names every registered command and documents the prompt keywords', async () => {
    const callback = h.fake.interactions.get((await h.command('help')).id)?.callback;
    assert.equal(callback?.type, REPLY);
    assert.equal(Number(callback.data?.flags ?? 0) & MessageFlag.ephemeral, MessageFlag.ephemeral, 'ephemeral');
    const embeds = (callback.data?.embeds ?? []) as { fields: { name: string; value: string }[] }[];
    assert.equal(embeds.length, 1);
    const fields = embeds[0]?.fields ?? [];
    const text = fields.map((field) => field.value).join('\n');
    for (const name of h.fake.commands(GUILD_ID).map((c) => String(c.name)))
      assert.ok(text.includes(`\`/${name}\``), name);
    for (const word of ['in D minor', 'bpm']) assert.ok(text.includes(word), word);
    assert.ok(!text.includes('/radio'), 'no voice commands in a bot without voice');
  });

  test('GIVEN style autocomplete THEN styles, then the next part of a mix', async () => {
    const empty = await h.fake.dispatchInteraction({
      kind: 'autocomplete',
      name: 'compose',
      options: [{ name: 'style', type: 3, value: '', focused: true }],
    });
    const choices = (empty.callback.data?.choices ?? []) as { name: string; value: string }[];
    assert.equal(choices[0]?.value, 'jazz');
    assert.ok(choices.some((c) => c.value === 'lofi:0.6,jazz:0.4'));
    const mix = await h.fake.dispatchInteraction({
      kind: 'autocomplete',
      name: 'compose',
      options: [{ name: 'style', type: 3, value: 'jazz:0.6,lo', focused: true }],
    });
    assert.deepEqual(
      ((mix.callback.data?.choices ?? []) as { value: string }[]).map((c) => c.value),
      ['jazz:0.6,lofi'],
    );
  });

  test('GIVEN a queued job THEN /queue shows its place, /cancel cancels it and its message says so', async () => {
    const long = await h.command(
      'compose',
      [option('style', 'cinematic'), option('length', 40), option('seed', 1)],
      BOB,
    );
    const waiting = await h.command('compose', [option('style', 'folk'), option('length', 30), option('seed', 2)], ADA);
    assert.equal(waiting.type, DEFERRED);
    const queue = ephemeral((await h.command('queue', [], ADA)).id);
    assert.match(queue, /folk, 30 s: (⏳ In the queue: position 1|🎼 Composing|🎚️ Rendering)/);

    const cancel = await h.command('cancel', [], ADA);
    assert.match(ephemeral(cancel.id), /Cancelled folk, 30 s/);
    const jobs = h.service.statusForUser(ADA);
    assert.equal(jobs[0]?.job.status, 'cancelled');
    const original = await h.fake.waitFor(() =>
      h.fake.originalOf(waiting.id)?.content === '🚫 Cancelled.' ? h.fake.originalOf(waiting.id) : null,
    );
    assert.equal(original.attachments.length, 0);

    const nothing = await h.command('cancel', [], ADA);
    assert.match(ephemeral(nothing.id), /nothing waiting/);
    const notYours = await h.command('cancel', [option('job', h.service.statusForUser(BOB)[0]?.job.id ?? '')], ADA);
    assert.match(ephemeral(notYours.id), /Only the person who asked/);
    await h.finished(long.id, 120_000);
  });

  test('GIVEN a member without Manage Server THEN /settings is refused ephemerally', async () => {
    const answered = await h.command('settings', [sub('voice', [option('enabled', false)])], CY);
    assert.match(ephemeral(answered.id), /Manage Server/);
  });

  test('GIVEN /settings channels add THEN /compose elsewhere is refused, in the allowed channel it runs', async () => {
    const set = await h.command('settings', [
      sub('channels', [option('action', 'add'), { name: 'channel', type: 7, value: GENERAL }]),
    ]);
    assert.match(ephemeral(set.id), new RegExp(`Composes in: <#${GENERAL}>`));
    const refused = await h.command('compose', [option('style', 'jazz'), option('length', 4)], BOB, OTHER_CHANNEL);
    assert.match(ephemeral(refused.id), new RegExp(`Motif composes in <#${GENERAL}>`));
    const allowed = await h.command('compose', [option('style', 'jazz'), option('length', 4)], BOB, GENERAL);
    assert.equal(allowed.type, DEFERRED);
    await h.finished(allowed.id);
    const clear = await h.command('settings', [sub('channels', [option('action', 'clear')])]);
    assert.match(ephemeral(clear.id), /Composes in: every channel/);
  });

  test('GIVEN /settings max-length 10 THEN a longer /compose is refused and one without a length gets 10 s', async () => {
    ephemeral((await h.command('settings', [sub('max-length', [option('seconds', 10)])])).id);
    const refused = await h.command('compose', [option('style', 'pop'), option('length', 30)]);
    assert.match(ephemeral(refused.id), /at most 10 seconds/);
    const defaulted = await h.command('compose', [option('style', 'pop'), option('seed', 5)]);
    const message = await h.finished(defaulted.id);
    const embed = message.embeds[0] as { fields: { name: string; value: string }[] };
    assert.equal(embed.fields.find((f) => f.name === 'Length')?.value, '10.0 s');
    const show = ephemeral((await h.command('settings', [sub('max-length')])).id);
    assert.match(show, /Longest clip: 120 seconds/);
  });

  test('GIVEN /settings voice off THEN ▶ says voice is off in this server', async () => {
    const answered = await h.command('compose', [option('style', 'pop'), option('length', 4), option('seed', 9)]);
    const message = await h.finished(answered.id);
    ephemeral((await h.command('settings', [sub('voice', [option('enabled', false)])])).id);
    const pressed = await h.press(message.id, `play:${clipIdOf(message)}`, BOB);
    assert.match(ephemeral(pressed.id), /turned off in this server/);
    const show = ephemeral((await h.command('settings', [sub('show')])).id);
    assert.match(show, /Voice playback: off/);
  });
});

describe('replies that cannot edit the interaction, and the upload limit', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ steps: 4, tokenLifetimeMs: 0, fake: { attachmentSizeLimit: 60_000 } });
  });
  after(async () => {
    await h.close();
  });

  test('GIVEN an expired interaction token THEN the clip goes to the channel, mentioning only its owner', async () => {
    const answered = await h.command(
      'compose',
      [option('style', 'jazz'), option('length', 4), option('seed', 4), option('prompt', '@everyone <@&1> hi')],
      ADA,
    );
    assert.equal(answered.type, DEFERRED);
    const posted = await h.fake.waitFor(
      () => h.fake.messagesIn(GENERAL).find((m) => m.kind === 'channel') ?? null,
      60_000,
    );
    assert.match(posted.content, new RegExp(`for <@${ADA}>`));
    const request = h.fake.requests.find((r) => r.method === 'POST' && r.path === `/channels/${GENERAL}/messages`);
    assert.deepEqual((request?.json as { allowed_mentions?: unknown }).allowed_mentions, { parse: [], users: [ADA] });
  });

  test("GIVEN files over the interaction's attachment_size_limit THEN those that fit are attached and the embed says which were not", async () => {
    const h2 = h;
    const answered = await h2.command(
      'compose',
      [option('style', 'ambient'), option('length', 8), option('seed', 6)],
      BOB,
    );
    const posted = await h2.fake.waitFor(
      () => h2.fake.messagesIn(GENERAL).find((m) => m.kind === 'channel' && m.content.includes(`<@${BOB}>`)) ?? null,
      60_000,
    );
    assert.ok(answered.id);
    const names = posted.attachments.map((a) => a.filename);
    assert.ok(!names.includes('ambient-6.ogg'), `the .ogg (over 60 kB) is left out: ${names.join(', ')}`);
    assert.ok(names.includes('ambient-6.mid'));
    const embed = posted.embeds[0] as { fields: { name: string; value: string }[] };
    assert.match(
      embed.fields.find((f) => f.name === 'Not attached')?.value ?? '',
      /the audio \(0\.\d MB, over this server's 0\.1 MB upload limit\)/,
    );
  });
});

describe('a job that fails', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ steps: 4, modelFailure: new Error('the model file is corrupt') });
  });
  after(async () => {
    await h.close();
  });

  test('GIVEN the model fails THEN the message apologises with the job id to quote, and the log has the reason', async () => {
    const answered = await h.command('compose', [option('style', 'jazz'), option('length', 4)]);
    assert.equal(answered.type, DEFERRED);
    const message = await h.fake.waitFor(() => {
      const original = h.fake.originalOf(answered.id);
      return original?.content.startsWith('Sorry') === true ? original : null;
    }, 30_000);
    const jobId = h.service.statusForUser(ADA)[0]?.job.id ?? '';
    assert.equal(
      message.content,
      `Sorry, I could not make this piece. If it keeps happening, tell the bot's owner job id \`${jobId}\`.`,
    );
    assert.ok(
      h.logs.some((line) => line.includes(jobId) && line.includes('the model file is corrupt')),
      h.logs.join('\n'),
    );
  });
});

describe('a deferral that comes too late', () => {
  let h: Harness;
  before(async () => {
    // Every callback is later than this fake's deadline, as when the bot's event loop stalled for 3 s.
    h = await startHarness({ steps: 4, fake: { callbackTimeoutMs: 0 } });
  });
  after(async () => {
    await h.close();
  });

  test('GIVEN /compose whose deferral Discord refused THEN the clip still reaches the channel, mentioning its owner', async () => {
    await assert.rejects(
      h.fake.dispatchInteraction({
        kind: 'command',
        name: 'compose',
        options: [option('style', 'blues'), option('length', 4), option('seed', 5)],
        userId: BOB,
      }),
      /did not happen/,
    );
    const posted = await h.fake.waitFor(
      () => h.fake.messagesIn(GENERAL).find((m) => m.kind === 'channel' && m.attachments.length === 3) ?? null,
      60_000,
    );
    assert.match(posted.content, new RegExp(`for <@${BOB}>$`));
    assert.ok(
      h.logs.some((line) => /deferral of job .* failed/.test(line)),
      h.logs.join('\n'),
    );
  });
});
