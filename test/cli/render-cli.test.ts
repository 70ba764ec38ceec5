import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import { exportMidi } from '../../src/audio/midi-export.ts';
import { demoScore } from '../fixtures/demo-score.ts';

const run = promisify(execFile);
const CLI = new URL('../../src/cli/render.ts', import.meta.url).pathname;

async function render(args: readonly string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('npm run render', () => {
  let dir = '';
  let midi = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'motif-render-'));
    midi = join(dir, 'song.mid');
    await writeFile(midi, exportMidi(demoScore({ bars: 4, tempo: 120 })));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('GIVEN a MIDI file and a style THEN writes the clip files and a report of what was done', async () => {
    const out = join(dir, 'out');
    const result = await render([midi, '--style', 'funk', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((await readdir(out)).sort(), ['song.json', 'song.mid', 'song.ogg', 'song.png']);
    const meta = JSON.parse(await readFile(join(out, 'song.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(meta['style'], 'funk');
    assert.equal(meta['durationSeconds'], 8);
    assert.ok(Math.abs(Number(meta['loudnessLufs']) + 16) < 0.6, `loudness ${String(meta['loudnessLufs'])}`);
    assert.ok(Number(meta['truePeakDbtp']) <= -0.95);
    const timings = meta['timingsMs'] as Record<string, number>;
    for (const stage of ['readMidi', 'renderMs', 'masterMs', 'encodeMs', 'total']) assert.ok(stage in timings, stage);
  });

  const cases: readonly (readonly [string, () => string[], RegExp, Record<string, string>?])[] = [
    ['an unknown style', () => [midi, '--style', 'zydeco-metal', '--out', join(dir, 'x1')], /style/i],
    [
      'an unreadable MIDI file',
      () => [join(dir, 'missing.mid'), '--style', 'jazz', '--out', join(dir, 'x2')],
      /cannot read/,
    ],
    [
      'bytes that are not MIDI',
      () => [join(dir, 'junk.mid'), '--style', 'jazz', '--out', join(dir, 'x3')],
      /junk\.mid/,
    ],
    [
      'a MIDI file without notes',
      () => [join(dir, 'empty.mid'), '--style', 'jazz', '--out', join(dir, 'x4')],
      /no notes|empty/i,
    ],
    [
      'a missing soundfont',
      () => [midi, '--style', 'jazz', '--out', join(dir, 'x5')],
      /soundfont/i,
      { MOTIF_SOUNDFONT: '/nonexistent/x.sf2' },
    ],
    // Below a regular file no directory can be made, even by root (tests here may run as root).
    [
      'an unwritable output directory',
      () => [midi, '--style', 'jazz', '--out', join(dir, 'song.mid', 'sub')],
      /output directory/,
    ],
  ];
  for (const [label, args, pattern, env] of cases) {
    it(`GIVEN ${label} THEN one line on stderr, exit code 2, nothing written`, async () => {
      await writeFile(join(dir, 'junk.mid'), 'this is not a MIDI file');
      await writeFile(join(dir, 'empty.mid'), exportMidi({ ...demoScore({ bars: 1 }), tracks: [] }));
      const argv = args();
      const result = await render(argv, env);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      const outDir = argv[argv.indexOf('--out') + 1] ?? '';
      const written = await readdir(outDir).catch(() => []);
      assert.deepEqual(written, []);
    });
  }
});
