import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { HOLD, REST, TRACK_COUNT, TRACK_SIZES, sliceGrid, validateGrid, type Grid } from '../../src/inference/grid.ts';
import { appendExtension, extensionEdit, regenerateTrackEdit, variationEdit } from '../../src/inference/edit-masks.ts';
import {
  InvalidGenerateRequestError,
  UNSPECIFIED_CONDITIONS,
  barsToEnd,
  conditionIndex,
  dropLeadIn,
  generate,
  generateBatch,
  leadInSteps,
  planWindows,
  tempoCondition,
  type DenoiserSession,
  type GenerateRequest,
} from '../../src/inference/generate.ts';
import { harmonySpanSteps } from '../../src/inference/harmonic-rhythm.ts';
import { loadModelMetadata, parseModelMetadata, type ModelMetadata } from '../../src/inference/model-metadata.ts';
import {
  ModelLoadError,
  ModelRunError,
  createModelSession,
  executionProvidersFor,
  type ModelBatch,
  type ModelSession,
  type OrtSession,
} from '../../src/inference/model-session.ts';

const TINY_MODEL = fileURLToPath(new URL('../fixtures/tiny-model.onnx', import.meta.url));

function request(overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    steps: 64,
    stepsPerBar: 16,
    styleWeights: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    conditions: { mood: 1, tempo: tempoCondition(120), density: 2, mode: 1, meter: 1 },
    seed: 42,
    sampling: { steps: 12, guidance: 2.5, temperature: 1, topP: 0.95 },
    ...overrides,
  };
}

function bytes(grid: Grid): Buffer {
  return Buffer.from(grid.cells.buffer, grid.cells.byteOffset, grid.cells.byteLength);
}

/** Melody/bass holds that continue nothing. */
function orphanHolds(grid: Grid): number {
  let count = 0;
  for (const k of [0, 1]) {
    for (let t = 0; t < grid.steps; t++) {
      const previous = t === 0 ? REST : grid.cells[(t - 1) * TRACK_COUNT + k];
      if (grid.cells[t * TRACK_COUNT + k] === HOLD && previous === REST) count++;
    }
  }
  return count;
}

describe('generate with the tiny model', () => {
  let session: ModelSession;
  const logLines: string[] = [];

  before(async () => {
    session = await createModelSession(TINY_MODEL, {
      device: 'cpu',
      intraOpNumThreads: 1,
      log: (l) => logLines.push(l),
    });
  });
  after(async () => {
    await session.dispose();
  });

  test('the session says which provider it took, once', () => {
    assert.equal(session.provider, 'cpu');
    assert.equal(logLines.length, 1);
    assert.match(logLines[0] ?? '', /^model motif-tiny 1: cpu opened with 1 intra-op threads$/);
  });

  test('GIVEN the same seed and parameters THEN two runs give byte-equal grids; another seed differs', async () => {
    const first = await generate(session, request());
    const second = await generate(session, request());
    const other = await generate(session, request({ seed: 43 }));
    assert.equal(first.grid.steps, 64);
    assert.ok(bytes(first.grid).equals(bytes(second.grid)));
    assert.ok(!bytes(first.grid).equals(bytes(other.grid)));
  });

  test('every token is in range, no hold continues nothing, and guidance runs 2 rows per request and view', async () => {
    const result = await generate(session, request({ seed: 7 }));
    assert.deepEqual(validateGrid(result.grid).ok, true);
    assert.equal(orphanHolds(result.grid), 0);
    assert.equal(result.repairedHolds, 0, 'the sampler itself keeps holds after notes');
    assert.equal(result.timing.modelCalls, 12);
    assert.equal(result.timing.maxBatchRows, 4);
    assert.equal(result.timing.stepMs.length, 12);
    assert.ok(result.timing.modelMs > 0 && result.timing.totalMs >= result.timing.modelMs);
  });

  test('GIVEN no conditioning THEN there is no unconditional row to guide with', async () => {
    const result = await generate(
      session,
      request({ styleWeights: Array.from({ length: 10 }, () => 0), conditions: UNSPECIFIED_CONDITIONS }),
    );
    assert.equal(result.timing.maxBatchRows, 2, 'one row per view');
  });

  test('GIVEN only conditions that guidance leaves alone (tempo, density, mode, meter) THEN there is no unconditional row', async () => {
    const result = await generate(
      session,
      request({
        styleWeights: Array.from({ length: 10 }, () => 0),
        conditions: { ...UNSPECIFIED_CONDITIONS, tempo: tempoCondition(120), density: 2, mode: 1, meter: 1 },
      }),
    );
    assert.equal(result.timing.maxBatchRows, 2, 'one row per view: both rows of a pair would be the same');
  });

  test('GIVEN a request THEN the lead-sheet rows see no drums and the drum rows see only drums, with density and mode unspecified', async () => {
    const batches: { tokens: BigInt64Array; cond: BigInt64Array; batchSize: number; steps: number }[] = [];
    const watching: DenoiserSession = {
      metadata: session.metadata,
      run: async (batch) => {
        batches.push({
          tokens: batch.tokens.slice(),
          cond: batch.cond.slice(),
          batchSize: batch.batchSize,
          steps: batch.steps,
        });
        return session.run(batch);
      },
    };
    await generate(watching, request({ seed: 11 }));
    assert.equal(batches.length, 12);
    const masks = TRACK_SIZES.map((size) => BigInt(size));
    for (const batch of batches) {
      assert.equal(batch.batchSize, 4); // lead cond, lead uncond, drums cond, drums uncond
      const row = (r: number, t: number, k: number): bigint =>
        batch.tokens[(r * batch.steps + t) * TRACK_COUNT + k] ?? -1n;
      for (let t = 0; t < batch.steps; t++) {
        for (const r of [0, 1]) assert.equal(row(r, t, 3), masks[3], 'lead rows: drums masked');
        for (const r of [2, 3])
          for (const k of [0, 1, 2]) assert.equal(row(r, t, k), masks[k], 'drum rows: others masked');
      }
      const cond = (r: number): bigint[] => Array.from(batch.cond.subarray(r * 5, r * 5 + 5));
      assert.deepEqual(cond(0), [1n, BigInt(tempoCondition(120)), 2n, 1n, 1n]);
      assert.deepEqual(cond(2), [1n, BigInt(tempoCondition(120)), 0n, 0n, 1n]);
      // Unconditional rows: no style and no mood (what guidance strengthens); tempo, density, mode, meter kept.
      assert.deepEqual(cond(1), [0n, BigInt(tempoCondition(120)), 2n, 1n, 1n]);
      assert.deepEqual(cond(3), [0n, BigInt(tempoCondition(120)), 0n, 0n, 1n]);
    }
    // The last step's drum rows hold the drums the earlier steps unmasked.
    const last = batches.at(-1);
    assert.ok(last);
    let drums = 0;
    for (let t = 0; t < last.steps; t++) if (last.tokens[(2 * last.steps + t) * TRACK_COUNT + 3] !== masks[3]) drums++;
    assert.ok(drums > 0);
  });

  test('GIVEN a clip that ends (the default) THEN every row is told the bars to its end; ends: false leaves it unknown', async () => {
    assert.equal(session.metadata.endBuckets, 3);
    const seen: bigint[][] = [];
    let first: ModelBatch | undefined;
    const watching: DenoiserSession = {
      metadata: session.metadata,
      run: async (batch) => {
        seen.push(Array.from(batch.toEnd));
        first ??= { ...batch, tokens: batch.tokens.slice(), toEnd: batch.toEnd.slice() };
        return session.run(batch);
      },
    };
    await generate(watching, request({ seed: 5 }));
    // A bar of lead-in and 64 steps = 4 bars of 16: four bars before the last (2), then the last bar (1), the same
    // on all 4 rows
    const perStep = (bar: number): bigint[] => Array.from({ length: 16 }, () => BigInt(bar));
    const row = [...perStep(2), ...perStep(2), ...perStep(2), ...perStep(2), ...perStep(1)];
    assert.deepEqual(seen[0], [...row, ...row, ...row, ...row]);
    seen.length = 0;
    await generate(watching, request({ seed: 5, ends: false }));
    assert.ok(seen.every((values) => values.every((v) => v === 0n)));
    // the graph reads the input: the same batch with the end unknown gives other logits
    assert.ok(first);
    const told = await session.run(first);
    const unknown = await session.run({ ...first, toEnd: new BigInt64Array(first.toEnd.length) });
    assert.ok(told.tracks.some((track, k) => track.some((v, i) => v !== unknown.tracks[k]?.[i])));
  });

  test('GIVEN a clip THEN the model also writes a bar of lead-in before it, which the clip does not keep', async () => {
    const lengths: number[] = [];
    const watching: DenoiserSession = {
      metadata: session.metadata,
      run: async (batch) => {
        lengths.push(batch.steps);
        return session.run(batch);
      },
    };
    const led = await generate(watching, request({ seed: 8 }));
    assert.equal(led.grid.steps, 64);
    assert.equal(led.grid.cells.length, 64 * TRACK_COUNT);
    assert.ok(validateGrid(led.grid).ok);
    assert.deepEqual(new Set(lengths), new Set([80]));
    lengths.length = 0;
    const bare = await generate(watching, request({ seed: 8 }), { leadInBars: 0 });
    assert.equal(bare.grid.steps, 64);
    assert.deepEqual(new Set(lengths), new Set([64]));
    assert.deepEqual(bytes((await generate(session, request({ seed: 8 }))).grid), bytes(led.grid), 'deterministic');
  });

  test('GIVEN a note held from the lead-in into the clip THEN it sounds again on the first step', () => {
    // 2 lead-in steps and 2 clip steps; melody G held across, bass a rest then a hold (repaired later), chords
    const cells = Int16Array.from(
      [
        [9, 5, 12, 0],
        [HOLD, REST, 12, 0],
        [HOLD, HOLD, 12, 3],
        [HOLD, 7, 12, 0],
      ].flat(),
    );
    const clip = dropLeadIn(cells, 2);
    assert.deepEqual(Array.from(clip), [9, REST, 12, 3, HOLD, 7, 12, 0]);
    assert.deepEqual(Array.from(dropLeadIn(cells, 0)), Array.from(cells));
    assert.equal(leadInSteps(16, 4, 1), 16);
    assert.equal(leadInSteps(12, 8, 1), 24, 'whole bars that are whole patches');
    assert.equal(leadInSteps(16, 4, 0), 0);
  });

  test('GIVEN regenerate drums (or melody) THEN only the view that has the track runs', async () => {
    const old = (await generate(session, request({ seed: 1 }))).grid;
    for (const [track, rows] of [
      ['drums', 2],
      ['melody', 2],
    ] as const) {
      const edit = regenerateTrackEdit(old, track);
      const result = await generate(session, request({ seed: 3, initial: edit.initial, fixed: edit.fixed }));
      assert.equal(result.timing.maxBatchRows, rows, track);
    }
  });

  test('GIVEN a half-bar harmonic rhythm THEN chords change only on half bars, and a variation keeps its fixed chords', async () => {
    const harmony = 2; // melody, bass, harmony, drums
    const changesOffSpan = (grid: Grid, span: number): number => {
      let count = 0;
      for (let t = 1; t < grid.steps; t++) {
        const chord = grid.cells[t * TRACK_COUNT + harmony];
        if (chord !== grid.cells[(t - 1) * TRACK_COUNT + harmony] && t % span !== 0) count++;
      }
      return count;
    };
    for (const seed of [1, 2, 3]) {
      const { grid } = await generate(session, request({ seed }));
      assert.equal(changesOffSpan(grid, 8), 0, `seed ${seed}`);
    }
    // Classical changes on the beat: its chords may change every 4 steps, never between.
    const classical = (await generate(session, request({ seed: 4, styleWeights: [0, 0, 1, 0, 0, 0, 0, 0, 0, 0] })))
      .grid;
    assert.equal(changesOffSpan(classical, 4), 0);
    const old = (await generate(session, request({ seed: 5 }))).grid;
    const edit = variationEdit(old, { strength: 0.6, seed: 3 });
    const varied = await generate(session, request({ seed: 6, initial: edit.initial, fixed: edit.fixed }));
    edit.fixed.forEach((flag, i) => {
      if (flag === 1) assert.equal(varied.grid.cells[i], old.cells[i], `cell ${i}`);
    });
  });

  test('GIVEN a variation THEN every fixed cell is unchanged and the masked share changed somewhere', async () => {
    const old = (await generate(session, request({ seed: 1 }))).grid;
    const edit = variationEdit(old, { strength: 0.5, seed: 9 });
    const result = await generate(session, request({ seed: 2, initial: edit.initial, fixed: edit.fixed }));
    let changed = 0;
    edit.fixed.forEach((flag, i) => {
      if (flag === 1) assert.equal(result.grid.cells[i], old.cells[i], `cell ${i}`);
      else if (result.grid.cells[i] !== old.cells[i]) changed++;
    });
    assert.ok(changed > 0);
    assert.ok(validateGrid(result.grid).ok);
  });

  test('GIVEN regenerate bass THEN melody, harmony and drums are byte-equal to the old grid', async () => {
    const old = (await generate(session, request({ seed: 3 }))).grid;
    const edit = regenerateTrackEdit(old, 'bass');
    const result = await generate(session, request({ seed: 4, initial: edit.initial, fixed: edit.fixed }));
    for (let i = 0; i < old.cells.length; i++) {
      if (i % TRACK_COUNT !== 1) assert.equal(result.grid.cells[i], old.cells[i]);
    }
    assert.ok(validateGrid(result.grid).ok);
  });

  test('GIVEN an extension THEN the context is the old grid’s last bars and the clip grows by the new steps', async () => {
    const old = (await generate(session, request({ seed: 5 }))).grid;
    const edit = extensionEdit(old, { stepsPerBar: 16, contextBars: 2, newSteps: 64 });
    const result = await generate(
      session,
      request({
        seed: 6,
        steps: edit.initial.steps,
        barOffset: edit.barOffset,
        initial: edit.initial,
        fixed: edit.fixed,
      }),
    );
    assert.ok(bytes(sliceGrid(result.grid, 0, 32)).equals(bytes(sliceGrid(old, 32, 64))));
    const extended = appendExtension(old, result.grid, edit.contextSteps);
    assert.equal(extended.steps, 128);
    assert.ok(bytes(sliceGrid(extended, 0, 64)).equals(bytes(old)));
    assert.ok(validateGrid(extended).ok);
  });

  test('GIVEN a clip longer than the model window THEN it is generated window by window, deterministically', async () => {
    const long = request({ steps: 320, sampling: { steps: 4 } });
    const first = await generate(session, long);
    const second = await generate(session, long);
    assert.equal(first.grid.steps, 320);
    assert.equal(first.timing.windows, 2);
    assert.equal(first.timing.modelCalls, 8);
    assert.ok(validateGrid(first.grid).ok);
    assert.ok(bytes(first.grid).equals(bytes(second.grid)));
  });

  test('GIVEN several requests THEN generateBatch answers each in one shared batch per step', async () => {
    const requests = [request({ seed: 10 }), request({ seed: 11 }), request({ seed: 12, sampling: { guidance: 1 } })];
    const results = await generateBatch(session, requests);
    assert.equal(results.length, 3);
    for (const result of results) assert.ok(validateGrid(result.grid).ok);
    const [first] = results;
    assert.ok(first);
    assert.equal(first.timing.maxBatchRows, 10); // two views: 2 + 2 + 2 rows guided, 1 + 1 unguided
    assert.equal(first.timing.modelCalls, 12);
    // Rows are independent on CPU: batching must not change what a request gets.
    const alone = await generate(session, requests[1] ?? request());
    const batched = results[1]?.grid;
    assert.ok(batched && bytes(batched).equals(bytes(alone.grid)));
  });

  test('GIVEN an invalid request THEN it is refused with a code before the model runs', async () => {
    await assert.rejects(generate(session, request({ steps: 30 })), (error: unknown) => {
      assert.ok(error instanceof InvalidGenerateRequestError);
      assert.equal(error.code, 'bad-length');
      return true;
    });
    await assert.rejects(generate(session, request({ styleWeights: [1] })), { code: 'bad-style-weights' });
    await assert.rejects(generate(session, request({ conditions: { ...UNSPECIFIED_CONDITIONS, mood: 9 } })), {
      code: 'bad-condition',
    });
    await assert.rejects(generate(session, request({ sampling: { pitchTopP: 0 } })), { code: 'bad-sampling' });
    await assert.rejects(generateBatch(session, [request(), request({ steps: 128 })]), { code: 'mismatched-batch' });
  });

  test('GIVEN an aborted signal THEN generation stops with an AbortError', async () => {
    await assert.rejects(generate(session, request(), { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});

describe('harmonic rhythm', () => {
  const styles = ['pop', 'folk', 'classical', 'jazz', 'latin', 'funk', 'rock', 'game', 'hiphop', 'reggae'];
  test('GIVEN a style mix THEN the chord span is a beat for classical or game at half or more, else half a bar', () => {
    assert.equal(harmonySpanSteps(16, '4/4', [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], styles), 8);
    assert.equal(harmonySpanSteps(16, '4/4', [0, 0, 1, 0, 0, 0, 0, 0, 0, 0], styles), 4);
    assert.equal(harmonySpanSteps(16, '4/4', [0, 0, 0.7, 0, 0, 0, 0, 0.3, 0, 0], styles), 4);
    assert.equal(harmonySpanSteps(16, '4/4', [0.6, 0, 0.4, 0, 0, 0, 0, 0, 0, 0], styles), 8);
    assert.equal(harmonySpanSteps(12, '3/4', [0, 0, 0, 1, 0, 0, 0, 0, 0, 0], styles), 12);
    assert.equal(harmonySpanSteps(12, '3/4', [0, 0, 1, 0, 0, 0, 0, 0, 0, 0], styles), 4);
    assert.equal(harmonySpanSteps(12, '6/8', [0, 1, 0, 0, 0, 0, 0, 0, 0, 0], styles), 6);
    assert.equal(harmonySpanSteps(16, undefined, new Array<number>(10).fill(0), styles), 8);
  });
});

describe('windows and conditions', () => {
  test('planWindows keeps context steps of what exists in every next window until the length is covered', () => {
    assert.deepEqual(planWindows(240, 256, 64), [{ start: 0, end: 240 }]);
    assert.deepEqual(planWindows(480, 256, 64), [
      { start: 0, end: 256 },
      { start: 192, end: 448 },
      { start: 384, end: 480 },
    ]);
    assert.throws(() => planWindows(300, 64, 64), RangeError);
  });

  test('barsToEnd counts bars to the grid’s last bar, capped at the model’s buckets, across windows and bar offsets', () => {
    const request = { steps: 96, stepsPerBar: 12, barOffset: 0 };
    const all = Array.from(barsToEnd(request, { start: 0, end: 96 }, 5));
    assert.deepEqual(
      all.filter((_, t) => t % 12 === 0),
      [4n, 4n, 4n, 4n, 4n, 3n, 2n, 1n],
    );
    // a later window of the same clip: bars counted from the clip's end, not the window's
    assert.deepEqual(Array.from(barsToEnd(request, { start: 72, end: 96 }, 5)), all.slice(72));
    // a grid starting mid-bar (an extension): its first steps belong to the bar before
    const offset = Array.from(barsToEnd({ steps: 24, stepsPerBar: 16, barOffset: 8 }, { start: 0, end: 24 }, 5));
    assert.deepEqual(offset, [...Array.from({ length: 8 }, () => 2n), ...Array.from({ length: 16 }, () => 1n)]);
    assert.deepEqual(Array.from(barsToEnd(request, { start: 0, end: 96 }, 3)).slice(0, 1), [2n]);
    assert.ok(barsToEnd({ ...request, ends: false }, { start: 0, end: 96 }, 5).every((v) => v === 0n));
    assert.ok(
      barsToEnd(request, { start: 0, end: 96 }, 0).every((v) => v === 0n),
      'a model without the input',
    );
  });

  test('condition helpers map labels and tempo to vocabulary indices', () => {
    assert.equal(tempoCondition(60), 1);
    assert.equal(tempoCondition(120), 5);
    assert.equal(tempoCondition(170), 8);
    assert.equal(conditionIndex('mood', 'dark-calm'), 4);
    assert.equal(conditionIndex('mode', 'nonsense'), 0);
    assert.equal(conditionIndex('meter', undefined), 0);
  });
});

describe('model metadata', () => {
  test('GIVEN the tiny model THEN its metadata loads and its checksum matches', async () => {
    const loaded = await loadModelMetadata(TINY_MODEL, { verifyChecksum: true });
    assert.ok(loaded.ok);
    assert.equal(loaded.value.styles.length, 10);
    assert.equal(loaded.value.maxSteps, 256);
  });

  test('GIVEN wrong fields THEN a coded error says which', () => {
    const good = { name: 'm', version: '1', vocabularyVersion: 1, styles: ['pop'], maxSteps: 256, patchSteps: 4 };
    const rest = { parameters: 10, trainedAt: 'x', onnxSha256: 'a'.repeat(64) };
    assert.ok(parseModelMetadata({ ...good, ...rest }).ok);
    const codeOf = (json: unknown): string => {
      const r = parseModelMetadata(json);
      return r.ok ? 'ok' : r.error.code;
    };
    assert.equal(codeOf({ ...good, ...rest, vocabularyVersion: 2 }), 'vocabulary-mismatch');
    assert.equal(codeOf({ ...good, ...rest, maxSteps: 250 }), 'invalid-field');
    assert.equal(codeOf({ ...good, ...rest, styles: [] }), 'invalid-field');
    assert.equal(codeOf([]), 'invalid-field');
    assert.equal(codeOf({ ...good, ...rest, onnxSha256: 'nothex' }), 'invalid-field');
    assert.equal(codeOf({ ...good, ...rest, endBuckets: 1 }), 'invalid-field');
    assert.equal(codeOf({ ...good, ...rest, endBuckets: 2.5 }), 'invalid-field');
    const older = parseModelMetadata({ ...good, ...rest });
    assert.ok(older.ok && older.value.endBuckets === 0, 'a model without endBuckets has no to_end input');
  });

  test('GIVEN a model without metadata THEN createModelSession fails with ModelLoadError', async () => {
    await assert.rejects(createModelSession('/nonexistent/model.onnx'), ModelLoadError);
  });
});

describe('model session', () => {
  const metadata: ModelMetadata = {
    name: 'fake',
    version: '0',
    vocabularyVersion: 1,
    styles: ['pop'],
    maxSteps: 16,
    patchSteps: 4,
    endBuckets: 0,
    parameters: 1,
    trainedAt: '',
    onnxSha256: '0'.repeat(64),
  };

  function fakeOrt(released: { count: number }): OrtSession {
    return {
      inputNames: ['tokens', 'bar_pos', 'style', 'cond'],
      outputNames: ['melody', 'bass', 'harmony', 'drums'],
      run: (feeds) => {
        const tokens = feeds['tokens'];
        const [b = 0, t = 0] = tokens?.dims ?? [];
        const out: Record<string, Tensor> = {};
        ['melody', 'bass', 'harmony', 'drums'].forEach((name, k) => {
          const data = new Float32Array(b * t * (TRACK_SIZES[k] ?? 0));
          out[name] = {
            type: 'float32',
            data,
            dims: [b, t, TRACK_SIZES[k] ?? 0],
            dispose: () => undefined,
          } as unknown as Tensor;
        });
        return Promise.resolve(out);
      },
      release: () => {
        released.count++;
        return Promise.resolve();
      },
    };
  }

  test('device names map to ordered providers ending with cpu', () => {
    assert.deepEqual(executionProvidersFor('auto'), ['cuda', 'webgpu', 'cpu']);
    assert.deepEqual(executionProvidersFor('cuda'), ['cuda', 'cpu']);
    assert.deepEqual(executionProvidersFor('webgpu'), ['webgpu', 'cpu']);
    assert.deepEqual(executionProvidersFor('cpu'), ['cpu']);
  });

  test('GIVEN cuda fails and webgpu is not built in THEN cpu is taken and the log says why the others were passed over', async () => {
    const released = { count: 0 };
    const tried: string[] = [];
    const lines: string[] = [];
    const session = await createModelSession('fake.onnx', {
      device: 'auto',
      metadata,
      supportedProviders: () => ['cpu', 'cuda'],
      log: (line) => lines.push(line),
      openSession: (_path, options) => {
        const first = options.executionProviders?.[0];
        const provider = typeof first === 'string' ? first : (first?.name ?? '');
        tried.push(provider);
        if (provider === 'cuda') return Promise.reject(new Error('Failed to load shared library\nmore detail'));
        return Promise.resolve(fakeOrt(released));
      },
    });
    assert.deepEqual(tried, ['cuda', 'cpu']);
    assert.equal(session.provider, 'cpu');
    assert.deepEqual(
      session.attempts.map((a) => [a.provider, a.taken]),
      [
        ['cuda', false],
        ['webgpu', false],
        ['cpu', true],
      ],
    );
    assert.deepEqual(lines, [
      'model fake 0: cpu opened (passed over cuda: failed to open: Failed to load shared library; ' +
        'webgpu: not available in this onnxruntime-node build)',
    ]);
    await session.dispose();
  });

  test('GIVEN the default options THEN idle intra-op threads sleep instead of spinning; spinning: true turns it back on', async () => {
    const seen: InferenceSession.SessionOptions[] = [];
    for (const spinning of [undefined, true]) {
      const session = await createModelSession('fake.onnx', {
        device: 'cpu',
        metadata,
        intraOpNumThreads: 2,
        ...(spinning === undefined ? {} : { spinning }),
        openSession: (_path, options) => {
          seen.push(options);
          return Promise.resolve(fakeOrt({ count: 0 }));
        },
      });
      await session.dispose();
    }
    assert.deepEqual(
      seen.map((options) => [options.intraOpNumThreads, options.extra?.['session.intra_op.allow_spinning']]),
      [
        [2, '0'],
        [2, '1'],
      ],
    );
  });

  test('GIVEN dispose is called twice THEN release runs once and later runs are refused', async () => {
    const released = { count: 0 };
    const session = await createModelSession('fake.onnx', {
      device: 'cpu',
      metadata,
      openSession: () => Promise.resolve(fakeOrt(released)),
    });
    const logits = await session.run({
      batchSize: 1,
      steps: 4,
      tokens: new BigInt64Array(16),
      barPos: new BigInt64Array(4),
      toEnd: new BigInt64Array(4),
      style: new Float32Array(1),
      cond: new BigInt64Array(5),
    });
    assert.equal(logits.tracks[3]?.length, 4 * 256);
    await session.dispose();
    await session[Symbol.asyncDispose]();
    assert.equal(released.count, 1);
    await assert.rejects(
      session.run({
        batchSize: 1,
        steps: 4,
        tokens: new BigInt64Array(16),
        barPos: new BigInt64Array(4),
        toEnd: new BigInt64Array(4),
        style: new Float32Array(1),
        cond: new BigInt64Array(5),
      }),
      ModelRunError,
    );
  });

  test('GIVEN every provider fails THEN ModelLoadError lists the attempts', async () => {
    await assert.rejects(
      createModelSession('fake.onnx', {
        device: 'cpu',
        metadata,
        openSession: () => Promise.reject(new Error('boom')),
      }),
      (error: unknown) => {
        assert.ok(error instanceof ModelLoadError);
        assert.equal(error.attempts.length, 1);
        assert.match(error.attempts[0]?.reason ?? '', /boom/);
        return true;
      },
    );
  });

  test('GIVEN 150 real sessions created, run and disposed THEN resident memory stays bounded', async () => {
    const cycle = async (): Promise<void> => {
      const session: DenoiserSession & { dispose(): Promise<void> } = await createModelSession(TINY_MODEL, {
        device: 'cpu',
        intraOpNumThreads: 1,
      });
      await generate(session, request({ steps: 32, sampling: { steps: 1 } }));
      await session.dispose();
    };
    for (let i = 0; i < 20; i++) await cycle();
    const warm = process.memoryUsage().rss;
    for (let i = 0; i < 150; i++) await cycle();
    const grown = (process.memoryUsage().rss - warm) / 2 ** 20;
    // A leaked session keeps its weights, arena and graph (well over 1 MiB each): 150 leaks would be far above this.
    assert.ok(grown < 40, `RSS grew by ${grown.toFixed(1)} MiB over 150 sessions`);
  });
});
