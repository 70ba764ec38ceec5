import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import { parseMidi } from 'midi-file';

import { parseClipMeta } from '../../src/inference/clip-meta.ts';
import { MODEL_FOR_TESTS } from '../fixtures/model-path.ts';

const run = promisify(execFile);
const CLI = new URL('../../src/cli/compose.ts', import.meta.url).pathname;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function compose(args: readonly string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, MOTIF_MODEL: MODEL_FOR_TESTS, MOTIF_DEVICE: 'cpu', MOTIF_THREADS: '2' },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Samples per channel that opusdec decodes from an Ogg Opus file. */
async function decodedSamples(ogg: string, dir: string): Promise<number> {
  const wav = join(dir, 'decoded.wav');
  await run('opusdec', ['--quiet', '--force-wav', ogg, wav]);
  const bytes = await readFile(wav);
  const dataAt = bytes.indexOf('data');
  assert.ok(dataAt > 0, 'the WAV has a data chunk');
  const dataBytes = bytes.readUInt32LE(dataAt + 4);
  await rm(wav);
  return dataBytes / 4; // 16-bit stereo
}

async function readMeta(path: string) {
  const parsed = parseClipMeta(JSON.parse(await readFile(path, 'utf8')));
  assert.ok(parsed.ok, 'the .json is a valid clip description');
  return parsed;
}

describe('npm run compose', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'motif-compose-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('GIVEN a style, seed and length THEN writes .ogg, .mid, .png and .json of exactly that length', async () => {
    const out = await compose(['--style', 'jazz', '--seed', '11', '--length', '10', '--out', dir, '--name', 'a']);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual((await readdir(dir)).sort(), ['a.json', 'a.mid', 'a.ogg', 'a.png']);
    assert.equal(await decodedSamples(join(dir, 'a.ogg'), dir), 10 * 48_000);
    const midi = parseMidi(await readFile(join(dir, 'a.mid')));
    const notes = midi.tracks.flat().filter((e) => e.type === 'noteOn' && e.velocity > 0);
    assert.ok(notes.length > 20, `the MIDI holds the music (${notes.length} notes)`);
    const png = await readFile(join(dir, 'a.png'));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    const { value: meta } = await readMeta(join(dir, 'a.json'));
    assert.equal(meta.request.style, 'jazz');
    assert.equal(meta.request.seed, 11);
    assert.equal(meta.resolved.durationSeconds, 10);
    assert.ok(meta.timingsMs['total'] !== undefined && meta.timingsMs['model'] !== undefined);
  });

  it('GIVEN the same arguments twice THEN the .mid files are byte-identical', async () => {
    const args = ['--style', 'lofi:0.6,jazz:0.4', '--seed', '4242', '--length', '8', '--key', 'Bb', '--out', dir];
    const first = await compose([...args, '--name', 'same1']);
    const second = await compose([...args, '--name', 'same2']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(await readFile(join(dir, 'same1.mid')), await readFile(join(dir, 'same2.mid')));
    const third = await compose([
      '--style',
      'lofi:0.6,jazz:0.4',
      '--seed',
      '4243',
      '--length',
      '8',
      '--out',
      dir,
      '--name',
      'other',
    ]);
    assert.equal(third.code, 0, third.stderr);
    assert.notDeepEqual(await readFile(join(dir, 'same1.mid')), await readFile(join(dir, 'other.mid')));
  });

  it('GIVEN --variation-of THEN most of the parent grid is kept', async () => {
    const out = await compose([
      '--variation-of',
      join(dir, 'a.json'),
      '--strength',
      '0.3',
      '--seed',
      '5',
      '--out',
      dir,
      '--name',
      'a-var',
    ]);
    assert.equal(out.code, 0, out.stderr);
    const parent = await readMeta(join(dir, 'a.json'));
    const child = await readMeta(join(dir, 'a-var.json'));
    assert.equal(child.value.kind, 'variation');
    assert.equal(child.grid.steps, parent.grid.steps);
    let same = 0;
    for (let i = 0; i < parent.grid.cells.length; i++) if (parent.grid.cells[i] === child.grid.cells[i]) same++;
    const kept = same / parent.grid.cells.length;
    assert.ok(kept > 0.6 && kept < 1, `a variation keeps most cells but not all (kept ${kept.toFixed(2)})`);
  });

  it('GIVEN --regenerate drums --from THEN only the drum cells change', async () => {
    const out = await compose([
      '--regenerate',
      'drums',
      '--from',
      join(dir, 'a.json'),
      '--seed',
      '9',
      '--out',
      dir,
      '--name',
      'a-drums',
    ]);
    assert.equal(out.code, 0, out.stderr);
    const parent = await readMeta(join(dir, 'a.json'));
    const child = await readMeta(join(dir, 'a-drums.json'));
    for (let i = 0; i < parent.grid.cells.length; i++) {
      if (i % 4 !== 3) assert.equal(child.grid.cells[i], parent.grid.cells[i], `cell ${i} kept`);
    }
  });

  it('GIVEN --extend THEN the new clip continues at the parent tempo and key', async () => {
    const out = await compose([
      '--extend',
      join(dir, 'a.json'),
      '--seed',
      '3',
      '--length',
      '8',
      '--out',
      dir,
      '--name',
      'a-ext',
    ]);
    assert.equal(out.code, 0, out.stderr);
    const parent = await readMeta(join(dir, 'a.json'));
    const child = await readMeta(join(dir, 'a-ext.json'));
    assert.equal(child.value.kind, 'extension');
    assert.equal(child.value.resolved.tempo, parent.value.resolved.tempo);
    assert.deepEqual(child.value.resolved.key, parent.value.resolved.key);
    assert.equal(child.value.parent?.seed, 11);
  });

  for (const [label, args, pattern] of [
    ['an unknown style', ['--style', 'polka-core'], /style/i],
    ['a tempo out of range', ['--style', 'jazz', '--tempo', '900'], /tempo/],
    ['a bad key', ['--style', 'jazz', '--key', 'H#'], /key/],
    ['a length too short', ['--style', 'jazz', '--length', '1'], /length/],
    ['a negative seed', ['--style', 'jazz', '--seed', '-3'], /seed/],
    ['an unknown instrument', ['--style', 'jazz', '--instruments', 'melody=kazoo9000'], /instrument/],
    ['an unknown flag', ['--style', 'jazz', '--colour', 'blue'], /colour/],
    ['a missing parent clip', ['--variation-of', '/nonexistent/x.json'], /cannot read/],
    ['a regenerate of an unknown track', ['--regenerate', 'vocals', '--from', 'x.json'], /regenerate/],
  ] as const) {
    it(`GIVEN ${label} THEN one clear line on stderr, exit code 2, nothing written`, async () => {
      const empty = await mkdtemp(join(tmpdir(), 'motif-bad-'));
      const out = await compose([...args, '--out', empty]);
      assert.equal(out.code, 2);
      assert.match(out.stderr, pattern);
      assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
      assert.deepEqual(await readdir(empty), []);
      await rm(empty, { recursive: true });
    });
  }
});
