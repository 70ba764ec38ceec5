import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MessageFlag } from '../fake-discord/objects.ts';
import {
  ADA,
  BOB,
  attachment,
  clipIdOf,
  clipOf,
  customIds,
  midiTracks,
  oggFrames,
  option,
  originalEdits,
  pngSize,
  startHarness,
  type Harness,
} from './bot-harness.ts';

const DEFERRED = 5;
const REPLY = 4;

describe('/compose through the fake Discord, with the real discord.js client', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ steps: 6 });
  });
  after(async () => {
    await h.close();
  });

  test('GIVEN /compose style:jazz length:6 THEN it is deferred within 3 s and ends in a message with a decodable .ogg of 6 s, a .mid and a .png', async () => {
    const answered = await h.command('compose', [option('style', 'jazz'), option('length', 6), option('seed', 7)]);
    assert.equal(answered.type, DEFERRED);
    assert.ok(answered.ms < 3000, `deferred after ${answered.ms} ms`);

    const message = await h.finished(answered.id);
    assert.equal(message.flags & MessageFlag.ephemeral, 0, 'the clip is public');
    assert.deepEqual(
      message.attachments.map((a) => a.filename),
      ['jazz-7.ogg', 'jazz-7.mid', 'jazz-7.png'],
    );
    assert.equal(await oggFrames(attachment(message, 'ogg'), h.dir), 6 * 48_000);
    assert.ok(midiTracks(attachment(message, 'mid')) >= 2);
    const png = await pngSize(attachment(message, 'png'));
    assert.ok(png.width > 100 && png.height > 100);

    const embed = message.embeds[0] as { fields: { name: string; value: string }[]; image?: { url: string } };
    const fields = Object.fromEntries(embed.fields.map((f) => [f.name, f.value]));
    assert.equal(fields.Style, 'jazz');
    assert.equal(fields.Seed, '7');
    assert.equal(fields.Length, '6.0 s');
    assert.match(fields.Tempo ?? '', /^\d+ bpm$/);
    assert.match(fields.Key ?? '', /^[A-G]/);
    assert.match(fields.Model ?? '', /motif/);
    assert.match(fields['Time taken'] ?? '', /^\d+\.\d s$/);
    assert.equal(embed.image?.url, 'attachment://jazz-7.png');
    const clipId = clipIdOf(message);
    assert.deepEqual(customIds(message), [
      `play:${clipId}`,
      `vary:${clipId}`,
      `extend:${clipId}`,
      `like:${clipId}`,
      `dislike:${clipId}`,
      `regen:${clipId}`,
    ]);
    assert.equal(message.content, `🎶 **${clipOf(h.service, clipId).meta.title}** for <@${ADA}>`);
    // Nothing the bot sent may ping anyone.
    await h.bot.replies.idle();
    const token = h.fake.interactions.get(answered.id)?.token ?? '';
    for (const request of h.fake.requests.filter((r) => r.path.includes(token) && r.method === 'PATCH')) {
      assert.deepEqual((request.json as { allowed_mentions?: unknown }).allowed_mentions, { parse: [] });
    }
  });

  test('GIVEN a bad style THEN an ephemeral answer says what to change and no job is queued', async () => {
    const before = h.service.statusForUser(ADA).length;
    const answered = await h.command('compose', [option('style', 'jazzz')]);
    assert.equal(answered.type, REPLY);
    const callback = h.fake.interactions.get(answered.id)?.callback;
    assert.equal(Number(callback?.data?.flags ?? 0) & MessageFlag.ephemeral, MessageFlag.ephemeral);
    assert.match(String(callback?.data?.content), /Unknown style "jazzz"\. Did you mean jazz\?/);
    assert.equal(h.service.statusForUser(ADA).length, before);
  });

  for (const [label, options, pattern] of [
    ['a tempo out of range', [option('tempo', 400)], /^Tempo must be a number of beats per minute from 40 to 240\.$/],
    ['a key that is no key', [option('key', 'H#')], /is not a key/],
    ['an unknown instrument', [option('instruments', 'melody=kazoo9000')], /not an instrument I know/],
    ['a prompt over 200 characters', [option('prompt', 'jazz '.repeat(41))], /at most 200 characters/],
  ] as const) {
    test(`GIVEN ${label} THEN an ephemeral answer saying what to change, and no job`, async () => {
      const before = h.service.statusForUser(ADA).length;
      const answered = await h.command('compose', [...options]);
      assert.equal(answered.type, REPLY);
      const callback = h.fake.interactions.get(answered.id)?.callback;
      assert.equal(Number(callback?.data?.flags ?? 0) & MessageFlag.ephemeral, MessageFlag.ephemeral);
      assert.match(String(callback?.data?.content), pattern);
      assert.equal(h.service.statusForUser(ADA).length, before);
    });
  }

  test('GIVEN a prompt THEN its keywords fill the options, an explicit option wins, and the reply names the words it left out', async () => {
    const answered = await h.command('compose', [
      option('prompt', 'sad slow piano in D minor with violins and rain, 5 seconds'),
      option('tempo', 90),
    ]);
    assert.equal(answered.type, DEFERRED);
    const message = await h.finished(answered.id);
    assert.match(message.content, /\nNot understood in your prompt, so left out: `violins`, `rain`\.$/);
    const { meta } = clipOf(h.service, clipIdOf(message));
    assert.equal(meta.request.mood, 'sad');
    assert.equal(meta.request.key, 'D minor');
    assert.equal(meta.request.tempo, 90);
    assert.equal(meta.request.lengthSeconds, 5);
    assert.equal(meta.request.instruments.melody, 0);
  });

  test('GIVEN two users at once THEN each gets their own clip, credited to them', async () => {
    const [a, b] = await Promise.all([
      h.command('compose', [option('style', 'lofi'), option('length', 4), option('seed', 11)], ADA),
      h.command('compose', [option('style', 'rock'), option('length', 4), option('seed', 12)], BOB),
    ]);
    const [ma, mb] = await Promise.all([h.finished(a.id), h.finished(b.id)]);
    assert.notEqual(ma.id, mb.id);
    assert.match(ma.content, new RegExp(`for <@${ADA}>$`));
    assert.match(mb.content, new RegExp(`for <@${BOB}>$`));
    const ca = clipOf(h.service, clipIdOf(ma));
    const cb = clipOf(h.service, clipIdOf(mb));
    assert.equal(ca.meta.request.style, 'lofi');
    assert.equal(cb.meta.request.style, 'rock');
    assert.equal(h.service.status(clipIdOf(ma))?.job.userId, ADA);
    assert.equal(h.service.status(clipIdOf(mb))?.job.userId, BOB);
  });
});

describe('progress edits on a slow machine', () => {
  let h: Harness;
  before(async () => {
    // 6 steps of 350 ms: a batch takes about 2 s, so a job of another length waits, then composes for seconds.
    h = await startHarness({ steps: 6, slowModelMs: 350 });
  });
  after(async () => {
    await h.close();
  });

  test('GIVEN a job waiting behind another THEN its edits go queued → composing k/n → rendering → final, at least 1 s apart', async () => {
    const first = await h.command(
      'compose',
      [option('style', 'ambient'), option('length', 30), option('seed', 1)],
      BOB,
    );
    const second = await h.command('compose', [option('style', 'pop'), option('length', 4), option('seed', 2)], ADA);
    await h.finished(first.id);
    await h.finished(second.id);
    await h.bot.replies.idle();
    const edits = originalEdits(h.fake, second.id);
    const stageOf = (edit: { content: string; files: number }): string =>
      edit.files > 0
        ? 'final'
        : edit.content.startsWith('⏳')
          ? 'queued'
          : edit.content.startsWith('🎼')
            ? 'composing'
            : edit.content.startsWith('🎚️')
              ? 'rendering'
              : edit.content;
    const stages = edits.map(stageOf);
    const order = ['queued', 'composing', 'rendering', 'final'];
    const ranks = stages.map((stage) => order.indexOf(stage));
    assert.ok(
      ranks.every((rank) => rank >= 0),
      `known stages only: ${stages.join(', ')}`,
    );
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
      `in order: ${stages.join(', ')}`,
    );
    assert.equal(stages[0], 'queued', `first the queue: ${stages.join(', ')}`);
    assert.ok(stages.includes('composing'), `then composing: ${stages.join(', ')}`);
    assert.equal(stages.at(-1), 'final');
    assert.match(edits[0]?.content ?? '', /^⏳ In the queue: position 1/);
    const steps = edits.filter((e) => stageOf(e) === 'composing').map((e) => /Composing (\d+)\/6/.exec(e.content)?.[1]);
    assert.ok(
      steps.every((step) => step !== undefined),
      'composing k/6',
    );
    assert.deepEqual(steps, [...steps].sort(), 'k only grows');
    const deferredAt = h.fake.interactions.get(second.id)?.callback?.request.at ?? 0;
    let previous = deferredAt;
    // The fake server stamps an edit when it arrives; on a loaded machine one can arrive late and the next gap
    // looks shorter (911 ms seen with training running beside the tests). Steps come every 350 ms, so a floor
    // of 800 ms still shows the 1 s throttle.
    for (const edit of edits.filter((e) => e.files === 0)) {
      assert.ok(edit.at - previous >= 800, `progress edits about a second apart (${edit.at - previous} ms)`);
      previous = edit.at;
    }
  });
});
