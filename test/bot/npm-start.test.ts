/**
 * The real `npm start` and `npm run register` processes against the fake Discord (DISCORD_API_URL), as a person
 * runs them: register the commands, start the bot, /compose, then SIGTERM and a clean exit.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createFakeDiscord, type FakeDiscord } from '../fake-discord/fake-discord.ts';
import { APP_ID, GUILD, GUILD_ID, TOKEN, attachment, oggFrames, option } from './bot-harness.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly child: ChildProcess;
  output(): string;
  /** npm's exit code. */
  exited: Promise<number | null>;
  /** Every process of the run has closed its output (npm, its shell and node). */
  closed: Promise<unknown>;
  /** A signal to the whole process group, as a service manager or a terminal's Ctrl-C sends it. */
  signal(name: NodeJS.Signals): void;
}

function npm(script: string, env: Record<string, string>): Run {
  let output = '';
  // No .env is read from the repository in tests: the child runs in a temporary folder's environment only.
  const child = spawn('npm', ['run', '--silent', script], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: npm's shell does not pass signals on to node, so signals go to the group.
    detached: true,
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const closed = once(child, 'close');
  const signal = (name: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, name);
    } catch {
      // The group is gone already.
    }
  };
  return { child, output: () => output, exited, closed, signal };
}

async function waitForOutput(run: Run, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode} before ${pattern}: ${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms: ${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm run register and npm start against the fake Discord', () => {
  let fake: FakeDiscord;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    fake = await createFakeDiscord({ token: TOKEN, applicationId: APP_ID, guilds: [GUILD] });
    dir = await mkdtemp(join(tmpdir(), 'motif-start-'));
    env = {
      DISCORD_TOKEN: TOKEN,
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_API_URL: fake.restUrl,
      MOTIF_DATA_DIR: dir,
      MOTIF_DEVICE: 'cpu',
      MOTIF_THREADS: '2',
      MOTIF_RENDER_WORKERS: '1',
    };
  });
  after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('GIVEN DISCORD_GUILD_ID THEN npm run register deploys every command to that guild', async () => {
    const run = npm('register', { ...env, DISCORD_GUILD_ID: GUILD_ID });
    assert.equal(await run.exited, 0, run.output());
    const names = [
      ...['compose', 'styles', 'queue', 'cancel', 'help', 'settings'],
      ...['recommend', 'history', 'taste', 'export-me', 'forget-me'],
      ...['play', 'skip', 'stop', 'leave', 'nowplaying', 'radio'],
    ];
    assert.ok(
      run
        .output()
        .includes(`deployed ${names.length} commands (${names.map((name) => `/${name}`).join(', ')}) to guild`),
      run.output(),
    );
    assert.deepEqual(
      fake.commands(GUILD_ID).map((c) => c.name),
      names,
    );
    assert.deepEqual(fake.commands(), [], 'nothing global');
  });

  test('GIVEN npm start THEN it logs in, answers /compose with a clip, and stops cleanly on SIGTERM', async () => {
    const run = npm('start', env);
    try {
      await waitForOutput(run, /motif is ready/, 120_000);
      const answered = await fake.dispatchInteraction({
        kind: 'command',
        name: 'compose',
        options: [option('style', 'jazz'), option('length', 5), option('seed', 3)],
      });
      assert.equal(answered.callback.type, 5);
      const message = await fake.waitFor(() => {
        const original = fake.originalOf(answered.id);
        return original !== null && original.attachments.length === 3 ? original : null;
      }, 60_000);
      assert.equal(await oggFrames(attachment(message, 'ogg'), dir), 5 * 48_000);
    } finally {
      run.signal('SIGTERM');
    }
    const stopped = await Promise.race([
      run.closed.then(() => true),
      new Promise((resolve) => setTimeout(resolve, 60_000, false).unref()),
    ]);
    if (stopped !== true) run.signal('SIGKILL');
    assert.equal(stopped, true, `stopped within 60 s of SIGTERM: ${run.output()}`);
    assert.match(run.output(), /SIGTERM: stopping/);
    assert.match(run.output(), /motif stopped/);
  });

  test('GIVEN no DISCORD_TOKEN THEN npm start refuses with one line naming it, exit code 2', async () => {
    const rest = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'DISCORD_TOKEN'));
    const run = npm('start', rest);
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /^motif: DISCORD_TOKEN is not set: copy \.env\.example to \.env/m);
  });

  test('GIVEN a model that is not there THEN npm start refuses with one line naming it, exit code 2', async () => {
    const run = npm('start', { ...env, MOTIF_MODEL: join(dir, 'missing.onnx') });
    assert.equal(await run.exited, 2);
    assert.match(
      run.output(),
      /^motif: cannot load the model .*missing\.onnx.*\(set MOTIF_MODEL, or run npm run train\)$/m,
    );
  });

  test('GIVEN a soundfont that is not there THEN npm start refuses with one line naming it, exit code 2', async () => {
    const run = npm('start', { ...env, MOTIF_SOUNDFONT: join(dir, 'missing.sf3') });
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /^motif: .*missing\.sf3.*\(set MOTIF_SOUNDFONT\)$/m);
  });

  test('GIVEN a wrong token THEN npm start says it cannot log in, exit code 2', async () => {
    const run = npm('start', { ...env, DISCORD_TOKEN: 'wrong.token.here' });
    assert.equal(await run.exited, 2, run.output());
    assert.match(run.output(), /^motif: cannot log in to Discord: .*\(check DISCORD_TOKEN and DISCORD_API_URL\)$/m);
  });
});
