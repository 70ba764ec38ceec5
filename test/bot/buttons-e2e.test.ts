import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { FeedbackEvent, VoicePlayRequest } from '../../src/bot/collaborators.ts';
import { UserError } from '../../src/bot/user-error.ts';
import { MessageFlag } from '../fake-discord/objects.ts';
import type { FakeMessage } from '../fake-discord/records.ts';
import {
  ADA,
  BOB,
  attachment,
  clipIdOf,
  clipOf,
  oggFrames,
  option,
  startHarness,
  type Harness,
} from './bot-harness.ts';

const DEFERRED = 5;
const REPLY = 4;

describe('the buttons under a clip, pressed through the fake Discord', () => {
  let h: Harness;
  let parent: FakeMessage;
  let parentId: string;
  const feedback: FeedbackEvent[] = [];
  const plays: VoicePlayRequest[] = [];
  let voiceAnswer: (request: VoicePlayRequest) => string = () => 'Playing in Lounge.';

  before(async () => {
    h = await startHarness({
      steps: 6,
      bot: {
        feedback: { onFeedback: (event) => void feedback.push(event) },
        voice: {
          playInVoice: (request) => {
            plays.push(request);
            return Promise.resolve(voiceAnswer(request));
          },
        },
      },
    });
    const answered = await h.command(
      'compose',
      [option('style', 'jazz'), option('length', 8), option('seed', 21)],
      ADA,
    );
    parent = await h.finished(answered.id);
    parentId = clipIdOf(parent);
  });
  after(async () => {
    await h.close();
  });

  const ephemeralText = (id: string): string => {
    const callback = h.fake.interactions.get(id)?.callback;
    assert.equal(Number(callback?.data?.flags ?? 0) & MessageFlag.ephemeral, MessageFlag.ephemeral, 'ephemeral');
    return String(callback?.data?.content);
  };

  test('GIVEN 🔁 pressed by another member THEN a variation keeping most of the notes is posted and credited to the presser', async () => {
    const pressed = await h.press(parent.id, `vary:${parentId}`, BOB);
    assert.equal(pressed.type, DEFERRED);
    const message = await h.finished(pressed.id);
    const childId = clipIdOf(message);
    assert.notEqual(childId, parentId);
    assert.equal(h.service.status(childId)?.job.userId, BOB);
    assert.match(message.content, new RegExp(`^🔁 .*\\(variation\\)\\*\\* for <@${BOB}>$`));
    const p = clipOf(h.service, parentId);
    const c = clipOf(h.service, childId);
    assert.equal(c.meta.kind, 'variation');
    assert.equal(c.grid.steps, p.grid.steps);
    let same = 0;
    for (let i = 0; i < p.grid.cells.length; i++) if (p.grid.cells[i] === c.grid.cells[i]) same++;
    const kept = same / p.grid.cells.length;
    assert.ok(kept > 0.6 && kept < 1, `kept ${kept.toFixed(2)} of the cells`);
    assert.equal(await oggFrames(attachment(message, 'ogg'), h.dir), 8 * 48_000);
    const event = feedback.find((e) => e.kind === 'variation');
    assert.equal(event?.userId, BOB);
    assert.equal(event.clipId, parentId);
    assert.equal(event.clip?.userId, ADA);
  });

  test('GIVEN ➕ THEN the extension starts where the clip ended, at its tempo and in its key', async () => {
    const pressed = await h.press(parent.id, `extend:${parentId}`, ADA);
    assert.equal(pressed.type, DEFERRED);
    const message = await h.finished(pressed.id);
    const p = clipOf(h.service, parentId);
    const c = clipOf(h.service, clipIdOf(message));
    assert.equal(c.meta.kind, 'extension');
    assert.equal(c.meta.parent?.seed, 21);
    assert.equal(c.meta.resolved.tempo, p.meta.resolved.tempo);
    assert.deepEqual(c.meta.resolved.key, p.meta.resolved.key);
    assert.equal(c.meta.resolved.barOffset, (p.meta.resolved.barOffset + p.grid.steps) % p.meta.resolved.stepsPerBar);
  });

  test('GIVEN "New drums" picked in the select THEN only the drum cells change', async () => {
    const pressed = await h.press(parent.id, `regen:${parentId}`, BOB, ['drums']);
    assert.equal(pressed.type, DEFERRED);
    const message = await h.finished(pressed.id);
    const p = clipOf(h.service, parentId);
    const c = clipOf(h.service, clipIdOf(message));
    assert.equal(c.meta.kind, 'regenerate');
    for (let i = 0; i < p.grid.cells.length; i++) {
      if (i % 4 !== 3) assert.equal(c.grid.cells[i], p.grid.cells[i], `cell ${i} kept`);
    }
  });

  test("GIVEN 👍 and 👎 THEN each is acknowledged ephemerally and reported as the presser's feedback", async () => {
    const like = await h.press(parent.id, `like:${parentId}`, BOB);
    assert.equal(like.type, REPLY);
    assert.match(ephemeralText(like.id), /👍/);
    const dislike = await h.press(parent.id, `dislike:${parentId}`, ADA);
    assert.match(ephemeralText(dislike.id), /👎/);
    await h.fake.waitFor(() => feedback.some((e) => e.kind === 'dislike'));
    const likeEvent = feedback.find((e) => e.kind === 'like');
    assert.equal(likeEvent?.userId, BOB);
    assert.equal(likeEvent.clip?.meta.request.seed, 21);
    assert.equal(feedback.find((e) => e.kind === 'dislike')?.userId, ADA);
  });

  test('GIVEN ▶ THEN the voice player gets the clip and the presser, and its line is the ephemeral answer', async () => {
    const pressed = await h.press(parent.id, `play:${parentId}`, BOB);
    assert.equal(pressed.type, DEFERRED);
    const answer = await h.fake.waitFor(() => {
      const message = h.fake.originalOf(pressed.id);
      return message !== null && message.content !== '' ? message : null;
    });
    assert.equal(answer.content, 'Playing in Lounge.');
    assert.equal(answer.flags & MessageFlag.ephemeral, MessageFlag.ephemeral);
    assert.equal(plays.at(-1)?.clip.id, parentId);
    assert.equal(plays.at(-1)?.userId, BOB);
    assert.ok(plays.at(-1)?.clip.files?.ogg.endsWith('.ogg'));

    voiceAnswer = () => {
      throw new UserError({ code: 'not-in-voice', message: 'Join a voice channel first.' });
    };
    const refused = await h.press(parent.id, `play:${parentId}`, BOB);
    const text = await h.fake.waitFor(() => h.fake.originalOf(refused.id)?.content || null);
    assert.equal(text, 'Join a voice channel first.');
  });

  test('GIVEN a button of a clip that is gone THEN an ephemeral answer and no job', async () => {
    const jobs = h.service.statusForUser(BOB).length;
    const pressed = await h.press(parent.id, 'vary:00000000-0000-0000-0000-000000000000', BOB);
    assert.equal(pressed.type, REPLY);
    assert.match(ephemeralText(pressed.id), /no longer have that clip/);
    assert.equal(h.service.statusForUser(BOB).length, jobs);
  });
});

describe('▶ without a voice player', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ steps: 4 });
  });
  after(async () => {
    await h.close();
  });

  test('GIVEN no voice player wired THEN ▶ says voice playback is not available yet', async () => {
    const answered = await h.command('compose', [option('style', 'pop'), option('length', 4), option('seed', 3)]);
    const message = await h.finished(answered.id);
    const pressed = await h.press(message.id, `play:${clipIdOf(message)}`, BOB);
    assert.equal(pressed.type, REPLY);
    const callback = h.fake.interactions.get(pressed.id)?.callback;
    assert.match(String(callback?.data?.content), /not available yet/);
    const like = await h.press(message.id, `like:${clipIdOf(message)}`, BOB);
    assert.equal(like.type, REPLY);
  });
});
