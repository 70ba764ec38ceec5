import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createFakeDiscord, type FakeDiscord } from './fake-discord.ts';
import { MessageFlag, type FakeGuildOptions } from './objects.ts';
import { connectGateway, type GatewayPayload, type RawGatewayClient } from './raw-gateway-client.ts';

const TOKEN = 'MTAwMDAwMDAwMDAwMDAwMDAx.fake.token';
const APP = '100000000000000001';
const GUILD: FakeGuildOptions = {
  id: '200000000000000001',
  name: 'Jam Room',
  channels: [
    { id: '300000000000000001', name: 'general' },
    { id: '300000000000000002', name: 'Lounge', type: 2 },
  ],
  members: [{ id: '400000000000000001', username: 'ada' }],
};
const GUILDS_INTENT = 1;
const CLIP = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256));

function record(value: unknown): Record<string, unknown> {
  assert.equal(typeof value, 'object');
  assert.notEqual(value, null);
  return value as Record<string, unknown>;
}

async function api(fake: FakeDiscord, method: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${fake.restUrl}/v10${path}`, { method, ...init });
}

const auth = { authorization: `Bot ${TOKEN}` };

/** Connects and identifies like @discordjs/ws: GET /gateway/bot, then `?v=10&encoding=json`. */
async function login(fake: FakeDiscord): Promise<{ client: RawGatewayClient; ready: GatewayPayload }> {
  const gateway = record(await (await api(fake, 'GET', '/gateway/bot', { headers: auth })).json());
  const client = await connectGateway(`${String(gateway.url)}?v=10&encoding=json`);
  const hello = await client.next();
  assert.equal(hello.op, 10);
  client.send({ op: 2, d: { token: TOKEN, intents: GUILDS_INTENT, properties: {}, shard: [0, 1] } });
  const ready = await client.next();
  assert.equal(ready.t, 'READY');
  return { client, ready };
}

async function nextDispatch(client: RawGatewayClient, t: string): Promise<GatewayPayload> {
  for (;;) {
    const payload = await client.next();
    if (payload.t === t) return payload;
  }
}

describe('fake Discord gateway', () => {
  let fake: FakeDiscord;
  before(async () => {
    fake = await createFakeDiscord({ token: TOKEN, applicationId: APP, guilds: [GUILD], heartbeatIntervalMs: 45_000 });
  });
  after(async () => {
    await fake.close();
  });

  test('GIVEN the right token THEN hello, READY with a resume URL back to the fake, GUILD_CREATE and heartbeat acks', async () => {
    const { client, ready } = await login(fake);
    try {
      const d = record(ready.d);
      assert.equal(ready.s, 1);
      assert.equal(d.resume_gateway_url, fake.resumeGatewayUrl);
      assert.match(String(d.session_id), /^[0-9a-f]{32}$/);
      assert.deepEqual(d.guilds, [{ id: GUILD.id, unavailable: true }]);
      assert.equal(record(d.user).id, APP);
      assert.deepEqual(d.application, { id: APP, flags: 0 });

      const guild = await client.next();
      assert.equal(guild.t, 'GUILD_CREATE');
      assert.equal(guild.s, 2);
      const g = record(guild.d);
      assert.equal(g.name, 'Jam Room');
      assert.deepEqual(
        (g.channels as Record<string, unknown>[]).map((c) => [c.id, c.type]),
        [
          ['300000000000000001', 0],
          ['300000000000000002', 2],
        ],
      );
      const memberIds = (g.members as { user: { id: string } }[]).map((m) => m.user.id);
      assert.deepEqual(memberIds, ['400000000000000001', APP]);
      assert.deepEqual(
        (g.roles as { id: string }[]).map((r) => r.id),
        [GUILD.id],
      );

      client.send({ op: 1, d: 2 });
      const ack = await client.next();
      assert.deepEqual([ack.op, ack.d], [11, null]);
      const heartbeat = fake.frames.find((f) => f.direction === 'received' && f.op === 1);
      assert.equal(heartbeat?.d, 2);
    } finally {
      client.close();
    }
  });

  test('GIVEN a wrong token THEN identify is closed with 4004 and REST answers 401', async () => {
    const client = await connectGateway(`${fake.gatewayUrl}?v=10&encoding=json`);
    assert.equal((await client.next()).op, 10);
    client.send({ op: 2, d: { token: 'not-the-token', intents: 1, properties: {} } });
    assert.equal(await client.closed, 4004);
    const response = await api(fake, 'GET', '/gateway/bot', { headers: { authorization: 'Bot not-the-token' } });
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { message: '401: Unauthorized', code: 0 });
  });

  test('GIVEN a payload before identify or an unsupported version THEN the fake closes as Discord does', async () => {
    const early = await connectGateway(`${fake.gatewayUrl}?v=10&encoding=json`);
    await early.next();
    early.send({ op: 8, d: { guild_id: GUILD.id, query: '', limit: 0 } });
    assert.equal(await early.closed, 4003);
    const old = await connectGateway(`${fake.gatewayUrl}?v=6&encoding=json`);
    assert.equal(await old.closed, 4012);
  });

  test('GIVEN a dropped socket THEN a RESUME on the resume URL replays what was missed, then RESUMED', async () => {
    const { client, ready } = await login(fake);
    await nextDispatch(client, 'GUILD_CREATE');
    fake.dropConnection();
    assert.equal(await client.closed, 4000);

    const missed = fake.dispatch('TYPING_START', { channel_id: GUILD.channels[0]?.id });
    assert.equal(missed, 3);
    const again = await connectGateway(`${String(record(ready.d).resume_gateway_url)}?v=10&encoding=json`);
    try {
      assert.equal((await again.next()).op, 10);
      again.send({ op: 6, d: { token: TOKEN, session_id: record(ready.d).session_id, seq: 2 } });
      const replayed = await again.next();
      assert.deepEqual([replayed.t, replayed.s], ['TYPING_START', 3]);
      const resumed = await again.next();
      assert.deepEqual([resumed.t, resumed.s], ['RESUMED', 4]);
    } finally {
      again.close();
    }
  });

  test('GIVEN an unknown session THEN RESUME gets op 9 invalid session (not resumable)', async () => {
    const client = await connectGateway(`${fake.resumeGatewayUrl}?v=10&encoding=json`);
    try {
      await client.next();
      client.send({ op: 6, d: { token: TOKEN, session_id: 'nope', seq: 1 } });
      const invalid = await client.next();
      assert.deepEqual([invalid.op, invalid.d], [9, false]);
    } finally {
      client.close();
    }
  });

  test('GIVEN compress=zlib-stream THEN every payload is one deflate stream flushed per message', async () => {
    const client = await connectGateway(`${fake.gatewayUrl}?v=10&encoding=json&compress=zlib-stream`, {
      zlibStream: true,
    });
    try {
      assert.equal((await client.next()).op, 10);
      client.send({ op: 2, d: { token: TOKEN, intents: GUILDS_INTENT, properties: {} } });
      assert.equal((await client.next()).t, 'READY');
      assert.equal((await client.next()).t, 'GUILD_CREATE');
    } finally {
      client.close();
    }
  });
});

describe('fake Discord interactions and REST', () => {
  let fake: FakeDiscord;
  let client: RawGatewayClient;
  before(async () => {
    fake = await createFakeDiscord({ token: TOKEN, applicationId: APP, guilds: [GUILD], callbackTimeoutMs: 2000 });
    ({ client } = await login(fake));
    await nextDispatch(client, 'GUILD_CREATE');
  });
  after(async () => {
    client.close();
    await fake.close();
  });

  test('GIVEN registered commands THEN a slash command is dispatched with the command id and a realistic object', async () => {
    const put = await api(fake, 'PUT', `/applications/${APP}/commands`, {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify([{ name: 'compose', description: 'Compose a clip', options: [] }]),
    });
    assert.equal(put.status, 200);
    const [command] = (await put.json()) as { id: string; name: string }[];
    assert.equal(command?.name, 'compose');
    assert.deepEqual(
      fake.commands().map((c) => c.name),
      ['compose'],
    );

    const answered = fake.dispatchInteraction({
      kind: 'command',
      name: 'compose',
      options: [{ name: 'style', type: 3, value: 'jazz' }],
    });
    const created = await nextDispatch(client, 'INTERACTION_CREATE');
    const d = record(created.d);
    assert.equal(d.type, 2);
    assert.equal(d.application_id, APP);
    assert.equal(d.guild_id, GUILD.id);
    assert.equal(d.channel_id, GUILD.channels[0]?.id);
    assert.equal(record(record(d.member).user).id, '400000000000000001');
    assert.deepEqual(record(d.data), {
      id: command.id,
      name: 'compose',
      type: 1,
      options: [{ name: 'style', type: 3, value: 'jazz' }],
    });
    assert.equal(d.version, 1);
    assert.deepEqual(d.entitlements, []);
    assert.deepEqual(d.authorizing_integration_owners, { '0': GUILD.id });
    assert.equal(d.context, 0);
    assert.equal(typeof d.app_permissions, 'string');

    const callback = await api(
      fake,
      'POST',
      `/interactions/${String(d.id)}/${String(d.token)}/callback?with_response=false`,
      {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 4, data: { content: 'hi' } }),
      },
    );
    assert.equal(callback.status, 204);
    const result = await answered;
    assert.equal(result.callback.type, 4);
    assert.equal(fake.originalOf(result.id)?.content, 'hi');
  });

  test('GIVEN a deferred reply THEN a multipart edit of @original attaches the file, downloadable byte for byte', async () => {
    const answered = fake.dispatchInteraction({ kind: 'command', name: 'compose' });
    const d = record((await nextDispatch(client, 'INTERACTION_CREATE')).d);
    const id = String(d.id);
    const token = String(d.token);
    const start = fake.requests.length;

    const defer = await api(fake, 'POST', `/interactions/${id}/${token}/callback?with_response=true`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 5, data: { flags: 0 } }),
    });
    assert.equal(defer.status, 200);
    const deferBody = record(await defer.json());
    assert.equal(record(deferBody.interaction).response_message_loading, true);
    assert.equal((await answered).callback.type, 5);
    assert.equal(((fake.originalOf(id)?.flags ?? 0) & MessageFlag.loading) !== 0, true);

    const form = new FormData();
    form.append(
      'payload_json',
      JSON.stringify({ content: 'Your jazz clip', attachments: [{ id: 0, filename: 'clip.ogg' }] }),
    );
    form.append('files[0]', new Blob([CLIP], { type: 'audio/ogg' }), 'clip.ogg');
    const edit = await api(fake, 'PATCH', `/webhooks/${APP}/${token}/messages/@original`, { body: form });
    assert.equal(edit.status, 200);
    const message = record(await edit.json());
    assert.equal(message.content, 'Your jazz clip');
    assert.equal(message.flags, 0);
    const [attachment] = message.attachments as { filename: string; size: number; url: string; content_type: string }[];
    assert.equal(attachment?.filename, 'clip.ogg');
    assert.equal(attachment.size, CLIP.length);
    assert.equal(attachment.content_type, 'audio/ogg');
    const download = await fetch(attachment.url);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), CLIP);

    const followUp = await api(fake, 'POST', `/webhooks/${APP}/${token}?wait=true`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'and a variation' }),
    });
    assert.equal(followUp.status, 200);
    assert.deepEqual(
      fake.followUpsOf(id).map((m) => m.content),
      ['and a variation'],
    );

    const recorded = fake.requests.slice(start);
    assert.deepEqual(
      recorded.map((r) => `${r.method} ${r.path.replace(token, ':token').replace(id, ':id')}`),
      [
        'POST /interactions/:id/:token/callback',
        `PATCH /webhooks/${APP}/:token/messages/@original`,
        `GET ${new URL(attachment.url).pathname}`,
        `POST /webhooks/${APP}/:token`,
      ],
    );
    const patch = recorded[1];
    assert.deepEqual(patch?.json, { content: 'Your jazz clip', attachments: [{ id: 0, filename: 'clip.ogg' }] });
    assert.deepEqual(
      patch.files.map((f) => [f.field, f.filename, f.contentType, f.bytes.length]),
      [['files[0]', 'clip.ogg', 'audio/ogg', CLIP.length]],
    );
    assert.deepEqual(patch.files[0]?.bytes, CLIP);
    assert.deepEqual(
      fake.messagesIn(GUILD.channels[0]?.id ?? '').map((m) => m.kind),
      ['original', 'original', 'follow-up'],
    );
  });

  test('GIVEN a second callback or a late one THEN 40060 and 10062 as on Discord', async () => {
    const first = fake.dispatchInteraction({ kind: 'command', name: 'compose' });
    const d = record((await nextDispatch(client, 'INTERACTION_CREATE')).d);
    const url = `/interactions/${String(d.id)}/${String(d.token)}/callback`;
    const body = JSON.stringify({ type: 5 });
    const headers = { 'content-type': 'application/json' };
    assert.equal((await api(fake, 'POST', url, { headers, body })).status, 204);
    await first;
    const twice = await api(fake, 'POST', url, { headers, body });
    assert.equal(twice.status, 400);
    assert.equal(record(await twice.json()).code, 40060);

    const late = fake.dispatchInteraction({ kind: 'command', name: 'compose' }, { timeoutMs: 50 });
    await assert.rejects(late, /did not happen within 50 ms/);
    const lateD = record((await nextDispatch(client, 'INTERACTION_CREATE')).d);
    const tooLate = await api(fake, 'POST', `/interactions/${String(lateD.id)}/${String(lateD.token)}/callback`, {
      headers,
      body,
    });
    assert.equal(tooLate.status, 404);
    assert.equal(record(await tooLate.json()).code, 10062);
  });

  test('GIVEN a button on the bot message THEN a component interaction carries that message and update edits it', async () => {
    const post = await api(fake, 'POST', `/channels/${GUILD.channels[0]?.id ?? ''}/messages`, {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        content: 'clip',
        components: [{ type: 1, components: [{ type: 2, custom_id: 'like' }] }],
      }),
    });
    assert.equal(post.status, 200);
    const posted = record(await post.json());
    const answered = fake.dispatchInteraction({ kind: 'component', customId: 'like', messageId: String(posted.id) });
    const d = record((await nextDispatch(client, 'INTERACTION_CREATE')).d);
    assert.equal(d.type, 3);
    assert.deepEqual(d.data, { custom_id: 'like', component_type: 2 });
    assert.equal(record(d.message).id, posted.id);
    await api(fake, 'POST', `/interactions/${String(d.id)}/${String(d.token)}/callback`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 7, data: { content: 'clip (liked)' } }),
    });
    assert.equal((await answered).callback.type, 7);
    assert.equal(fake.messages.find((m) => m.id === posted.id)?.content, 'clip (liked)');
  });

  test('GIVEN bad bodies THEN the errors Discord gives: empty message, bad command name, no auth', async () => {
    const channel = GUILD.channels[0]?.id ?? '';
    const empty = await api(fake, 'POST', `/channels/${channel}/messages`, {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ content: '' }),
    });
    assert.equal(empty.status, 400);
    assert.equal(record(await empty.json()).code, 50006);
    const badName = await api(fake, 'POST', `/applications/${APP}/guilds/${GUILD.id}/commands`, {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Compose Now', description: 'x' }),
    });
    assert.equal(badName.status, 400);
    assert.equal(record(await badName.json()).code, 50035);
    const anonymous = await api(fake, 'POST', `/channels/${channel}/messages`, { body: '{"content":"x"}' });
    assert.equal(anonymous.status, 401);
    assert.equal((await api(fake, 'GET', '/users/@me', { headers: auth })).status, 200);
  });
});
