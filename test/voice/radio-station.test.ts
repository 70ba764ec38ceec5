import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { encodeOggOpus } from '../../src/audio/ogg-opus-writer.ts';
import type { ClipMeta } from '../../src/inference/clip-meta.ts';
import type {
  InferenceService,
  InferenceServiceEvents,
  SubmitJobInput,
} from '../../src/inference/inference-service.ts';
import type { ComposeJobRequest } from '../../src/inference/job-request.ts';
import type { JobRecord } from '../../src/inference/job-queue.ts';
import { RadioStation, type RadioOptions } from '../../src/voice/radio.ts';
import { sine } from '../audio/test-signals.ts';
import { until } from './voice-harness.ts';

const FIRST: ComposeJobRequest = { kind: 'compose', style: 'lofi', lengthSeconds: 2, seed: 1, instruments: {} };

/** A lofi radio of ada's in guild g1 on the fake service, looking at its buffer every 10 ms; `options` override. */
function station(fake: FakeService, options: Partial<RadioOptions> = {}): RadioStation {
  return new RadioStation({
    service: fake.asService(),
    first: FIRST,
    label: 'lofi',
    owner: { id: 'u1', name: 'ada' },
    guildId: 'g1',
    channelId: null,
    tickMs: 10,
    ...options,
  });
}

/** Read fresh each time (an assertion on `radio.state` would narrow it for the rest of the test). */
function statusOf(radio: RadioStation): string {
  return radio.state.status;
}

/** The inference service at its boundary: records submits and cancels; the test finishes or fails the jobs. */
class FakeService {
  readonly events = new EventEmitter<InferenceServiceEvents>();
  readonly submitted: SubmitJobInput[] = [];
  readonly cancelled: string[] = [];
  refuse = false;

  asService(): Pick<InferenceService, 'submit' | 'cancel' | 'on' | 'off'> {
    const service: Pick<InferenceService, 'submit' | 'cancel' | 'on' | 'off'> = {
      submit: (input) => {
        if (this.refuse) {
          return { ok: false, error: { code: 'queue-full', message: 'the queue is full', retryAfterSeconds: 1 } };
        }
        this.submitted.push(input);
        return { ok: true, job: this.job(this.submitted.length - 1), position: 1 };
      },
      cancel: (jobId) => {
        this.cancelled.push(jobId);
        return { ok: true, wasRunning: false };
      },
      on: (event, listener) => {
        (this.events as EventEmitter).on(event, listener as (...args: unknown[]) => void);
        return service as InferenceService;
      },
      off: (event, listener) => {
        (this.events as EventEmitter).off(event, listener as (...args: unknown[]) => void);
        return service as InferenceService;
      },
    };
    return service;
  }

  job(index: number): JobRecord {
    const input = this.submitted[index];
    assert.ok(input);
    return {
      id: `job-${index}`,
      kind: input.request.kind,
      status: 'done',
      userId: input.userId,
      guildId: input.guildId,
      channelId: input.channelId,
      interactionToken: null,
      request: input.request,
      result: null,
      error: null,
      attempts: 1,
      createdAt: 0,
      startedAt: 0,
      finishedAt: 0,
    };
  }

  finish(index: number, ogg: string, title: string): void {
    const meta = {
      kind: this.submitted[index]?.request.kind,
      title,
      request: { style: 'lofi' },
      resolved: { tempo: 84, keyName: 'F minor' },
    } as unknown as ClipMeta;
    const files = { ogg, mid: '', png: '', json: '' };
    this.events.emit('finished', { job: this.job(index), files, meta, tokenExpired: false });
  }

  fail(index: number): void {
    this.events.emit('failed', { job: this.job(index), error: 'the model ran out of patience' });
  }
}

describe('RadioStation (fake inference service)', () => {
  let dir = '';
  let ogg = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'motif-radio-unit-'));
    ogg = join(dir, 'segment.ogg');
    await writeFile(ogg, encodeOggOpus(sine(330, 2, { left: 0.2, right: 0.2 })));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('GIVEN a radio THEN it composes first, then extends the previous segment only when the buffer runs low', async () => {
    const fake = new FakeService();
    let position = 0;
    const radio = station(fake, { channelId: 'c1', leadMs: 1000, seed: () => 7 });
    radio.start(() => position);
    assert.equal(statusOf(radio), 'starting');
    assert.deepEqual(
      fake.submitted.map((input) => [input.userId, input.request]),
      [['u1', FIRST]],
    );

    fake.finish(0, ogg, 'One');
    await until(() => radio.segments.length === 1, 2000, 'segment 1');
    assert.equal(statusOf(radio), 'on-air');
    // 2 s buffered < 2 s + 1 s lead: the extension of segment 1 goes in at once.
    await until(() => fake.submitted.length === 2, 2000, 'segment 2 submitted');
    const second = fake.submitted[1]?.request;
    assert.ok(second?.kind === 'extension');
    assert.equal(second.parent.title, 'One');
    assert.equal(second.lengthSeconds, 2);

    fake.finish(1, ogg, 'Two');
    await until(() => radio.segments.length === 2, 2000, 'segment 2');
    // 4 s buffered, nothing played: no third job until the buffer drops under 3 s.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(fake.submitted.length, 2);
    position = 1100;
    await until(() => fake.submitted.length === 3, 2000, 'segment 3 submitted');
    assert.equal(radio.segments[1]?.startMs, radio.segments[0]?.durationMs);

    radio.stop();
    assert.deepEqual(fake.cancelled, ['job-2']);
    assert.equal(statusOf(radio), 'stopped');
    assert.equal(fake.events.listenerCount('finished'), 0, 'no listener left on the service');
  });

  test('GIVEN 👎 with no 👍 THEN a fresh start in the same tempo and key; with a liked segment THEN back to its line', async () => {
    const fake = new FakeService();
    let position = 0;
    const radio = station(fake, { leadMs: 100, seed: () => 9 });
    const votes: string[] = [];
    radio.on('vote', (event) => votes.push(`${event.userId}:${event.vote}:${event.segment.index}`));
    radio.start(() => position);
    fake.finish(0, ogg, 'One');
    await until(() => fake.submitted.length === 2, 2000, 'segment 2 submitted');
    assert.equal(radio.vote('bo', 'down')?.index, 0);
    fake.finish(1, ogg, 'Two');
    await until(() => radio.segments.length === 2, 2000, 'segment 2');
    position = 2100; // segment 2 plays; 1.94 s left < 2.1 s: the next one goes in, steered away from segment 1
    await until(() => fake.submitted.length === 3, 2000, 'segment 3 submitted');
    assert.deepEqual(fake.submitted[2]?.request, { ...FIRST, seed: 9, tempo: 84, key: 'F minor' });

    assert.equal(radio.vote('ada', 'up')?.index, 1);
    fake.finish(2, ogg, 'Three');
    await until(() => radio.segments.length === 3, 2000, 'segment 3');
    assert.deepEqual(radio.segments[2]?.origin, { kind: 'fresh' });
    position = 4100; // segment 3 plays and is disliked: back to segment 2's line
    assert.equal(radio.vote('bo', 'down')?.index, 2);
    await until(() => fake.submitted.length === 4, 2000, 'segment 4 submitted');
    const fourth = fake.submitted[3]?.request;
    assert.equal(fourth?.kind === 'extension' ? fourth.parent.title : null, 'Two');
    assert.deepEqual(votes, ['bo:down:0', 'ada:up:1', 'bo:down:2']);
    radio.stop();
  });

  test('GIVEN segments that keep failing THEN the radio stops after three and its stream ends', async () => {
    const fake = new FakeService();
    const radio = station(fake);
    const errors: Error[] = [];
    radio.on('error', (error) => errors.push(error));
    const ended = new Promise<void>((resolve) => {
      radio.stream.on('end', resolve).resume();
    });
    radio.start();
    fake.fail(0);
    await until(() => fake.submitted.length === 2, 2000, 'a second try');
    fake.fail(1);
    await until(() => fake.submitted.length === 3, 2000, 'a third try');
    fake.fail(2);
    await ended;
    assert.deepEqual(radio.state.status === 'stopped' ? [radio.state.reason, radio.state.error] : null, [
      'failed',
      'segment job-2 failed: the model ran out of patience',
    ]);
    assert.equal(errors.length, 1);
    assert.equal(fake.submitted.length, 3);
  });

  test('GIVEN a queue that refuses segments for a while THEN the radio waits and goes on; refused too long THEN it stops', async () => {
    const fake = new FakeService();
    fake.refuse = true;
    const logs: string[] = [];
    const radio = station(fake, { maxWaitMs: 60_000, log: (line) => logs.push(line) });
    radio.start();
    // Many ticks go by: a refusal is not a failure, and the radio waits for the queue's estimate (1 s).
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(statusOf(radio), 'starting');
    assert.equal(fake.submitted.length, 0);
    fake.refuse = false;
    await until(() => fake.submitted.length === 1, 3000, 'the segment queued once there is room');
    fake.finish(0, ogg, 'One');
    await until(() => radio.segments.length === 1, 2000, 'segment 1');
    assert.equal(statusOf(radio), 'on-air');
    assert.equal(logs.filter((line) => line.includes('refused')).length, 1, logs.join('\n'));
    radio.stop();

    const stubborn = new FakeService();
    stubborn.refuse = true;
    const gaveUp = station(stubborn, { maxWaitMs: 500 });
    const errors: Error[] = [];
    gaveUp.on('error', (error) => errors.push(error));
    gaveUp.start();
    await until(() => statusOf(gaveUp) === 'stopped', 5000, 'the radio gives up');
    const stopped = gaveUp.state;
    assert.ok(stopped.status === 'stopped');
    assert.equal(stopped.reason, 'failed');
    assert.match(stopped.error ?? '', /the queue refused segments for \d\.\d s: the queue is full/);
    assert.equal(errors.length, 1);
    assert.equal(stubborn.submitted.length, 0);
  });
});
