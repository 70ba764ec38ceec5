import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom, type Random } from '../../src/music/random.ts';
import { FIRST_PITCH, HOLD, TRACK_COUNT, TRACK_SIZES, createMaskedGrid, maskId } from '../../src/inference/grid.ts';
import {
  applyGuidance,
  applyTemperature,
  cosineSchedule,
  createSamplerScratch,
  denoiseStep,
  gumbel,
  gumbelNoiseScale,
  markHighest,
  sampleCell,
  sampleIndex,
  selectHighest,
  softmax,
  topP,
} from '../../src/inference/sampler.ts';

/** A Random whose next() returns the given values in turn. */
function scriptedRandom(values: readonly number[]): Random {
  let i = 0;
  const random: Random = {
    next: () => values[i++ % values.length] ?? 0,
    int: (n) => Math.floor(random.next() * n),
    normal: () => 0,
    fork: () => random,
    state: () => [0, 0, 0, 0],
  };
  return random;
}

function close(actual: ArrayLike<number>, expected: readonly number[], epsilon = 1e-9): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((value, i) => {
    assert.ok(Math.abs((actual[i] ?? NaN) - value) < epsilon, `index ${i}: ${actual[i]} != ${value}`);
  });
}

describe('cosineSchedule', () => {
  test('GIVEN 10 masked cells over 4 steps THEN the masked count follows floor(10 cos(pi/2 s/4)) down to 0', () => {
    assert.deepEqual(cosineSchedule(10, 4), [9, 7, 3, 0]);
  });

  test('GIVEN 960 cells over 12 steps THEN it strictly decreases, starts near the top and ends at 0', () => {
    const schedule = cosineSchedule(960, 12);
    assert.equal(schedule.length, 12);
    assert.equal(schedule[0], Math.floor(960 * Math.cos(Math.PI / 24)));
    assert.equal(schedule[11], 0);
    for (let i = 1; i < schedule.length; i++) assert.ok((schedule[i] ?? 0) < (schedule[i - 1] ?? 0));
  });

  test('GIVEN fewer cells than steps THEN at least one cell is unmasked per step until none remain', () => {
    assert.deepEqual(cosineSchedule(2, 5), [1, 0, 0, 0, 0]);
    assert.deepEqual(cosineSchedule(0, 3), [0, 0, 0]);
  });
});

describe('gumbelNoiseScale', () => {
  test('THEN the noise anneals linearly from nearly the initial scale to 0 at the last step', () => {
    assert.equal(gumbelNoiseScale(0, 12, 1), 11 / 12);
    assert.equal(gumbelNoiseScale(5, 12, 2), 2 * (6 / 12));
    assert.equal(gumbelNoiseScale(11, 12, 1), 0);
  });
});

describe('logits processing', () => {
  test('guidance computes uncond + w * (cond - uncond)', () => {
    close(applyGuidance([2, 0, -1], [1, 1, -1], 3), [4, -2, -1]);
    close(applyGuidance([2, 0], [1, 1], 1), [2, 0]);
    close(applyGuidance([2, 0], [1, 1], 0), [1, 1]);
  });

  test('temperature divides the logits; 1 and <= 0 leave them as they are', () => {
    close(applyTemperature(Float64Array.of(2, 4, -6), 2), [1, 2, -3]);
    close(applyTemperature(Float64Array.of(2, 4), 1), [2, 4]);
    close(applyTemperature(Float64Array.of(2, 4), 0), [2, 4]);
  });

  test('a higher temperature flattens the distribution', () => {
    const cold = softmax(applyTemperature(Float64Array.of(0, 1, 2), 0.5));
    const hot = softmax(applyTemperature(Float64Array.of(0, 1, 2), 2));
    assert.ok((cold[2] ?? 0) > (hot[2] ?? 0));
    assert.ok((cold[0] ?? 1) < (hot[0] ?? 0));
  });

  test('softmax is normalised and gives -Infinity logits probability 0', () => {
    close(softmax([0, Math.log(3)]), [0.25, 0.75]);
    close(softmax([1000, 1000, -Infinity]), [0.5, 0.5, 0]);
  });

  test('top-p keeps the smallest most likely set reaching p, renormalised', () => {
    close(topP(Float64Array.of(0.3, 0.5, 0.05, 0.15), 0.8), [0.375, 0.625, 0, 0]);
    close(topP(Float64Array.of(0.3, 0.5, 0.05, 0.15), 0.81), [0.3 / 0.95, 0.5 / 0.95, 0, 0.15 / 0.95]);
    close(topP(Float64Array.of(0.3, 0.5, 0.05, 0.15), 0.5), [0, 1, 0, 0]);
    close(topP(Float64Array.of(0.3, 0.5, 0.05, 0.15), 1), [0.3, 0.5, 0.05, 0.15]);
  });

  test('top-p agrees with sorting by probability (ties by index) on 500 random distributions with ties', () => {
    const random = createRandom(99);
    const reference = (probs: readonly number[], p: number): number[] => {
      const order = probs.map((_, i) => i).sort((a, b) => (probs[b] ?? 0) - (probs[a] ?? 0) || a - b);
      const kept = new Set<number>();
      let sum = 0;
      for (const i of order) {
        if (kept.size > 0 && sum >= p) break;
        kept.add(i);
        sum += probs[i] ?? 0;
      }
      return probs.map((q, i) => (kept.has(i) ? q / sum : 0));
    };
    for (let trial = 0; trial < 500; trial++) {
      const size = 1 + random.int(256);
      const levels = 1 + random.int(8);
      const raw = Array.from({ length: size }, () => Math.exp(random.int(levels) * (1 + random.int(3))));
      const total = raw.reduce((a, b) => a + b, 0);
      const probs = raw.map((x) => x / total);
      const p = [0.5, 0.9, 0.95, 0.99][random.int(4)] ?? 0.9;
      close(topP(Float64Array.from(probs), p), reference(probs, p), 1e-12);
    }
  });

  test('top-p breaks ties by the lower index and always keeps one token', () => {
    close(topP(Float64Array.of(0.4, 0.4, 0.2), 0.4), [1, 0, 0]);
    close(topP(Float64Array.of(0.2, 0.8), 0.01), [0, 1]);
  });

  test('top-p from a token on keeps the tokens before it as they are and the others at their total mass', () => {
    // rest 0.5, hold 0.2, pitches 0.2 / 0.06 / 0.04 (0.3 together: 2/3, 1/5, 2/15 of it)
    const probs = Float64Array.of(0.5, 0.2, 0.2, 0.06, 0.04);
    // p 0.8 of the pitches: the two likeliest (0.867) are kept and scaled back up to 0.3
    close(topP(Float64Array.from(probs), 0.8, 5, new Float64Array(5), true, 2), [
      0.5,
      0.2,
      0.3 * (10 / 13),
      0.3 * (3 / 13),
      0,
    ]);
    // Over every token instead, p 0.8 cuts the hold-free tail: two pitches go and the rest and hold take their mass.
    close(topP(Float64Array.from(probs), 0.8), [0.5 / 0.9, 0.2 / 0.9, 0.2 / 0.9, 0, 0]);
    // A distribution with no pitch mass is left alone.
    close(topP(Float64Array.of(0.7, 0.3, 0, 0), 0.5, 4, new Float64Array(4), true, 2), [0.7, 0.3, 0, 0]);
  });
});

describe('sampling', () => {
  test('sampleIndex walks the cumulative distribution with one draw and skips zero-probability tokens', () => {
    const probs = [0.2, 0, 0.5, 0.3];
    assert.equal(sampleIndex(probs, scriptedRandom([0.1])), 0);
    assert.equal(sampleIndex(probs, scriptedRandom([0.2])), 2);
    assert.equal(sampleIndex(probs, scriptedRandom([0.69])), 2);
    assert.equal(sampleIndex(probs, scriptedRandom([0.75])), 3);
    assert.equal(sampleIndex([0, 2, 0], scriptedRandom([0.999999])), 1);
  });

  test('sampleCell never draws a forbidden token, even when it is by far the most likely', () => {
    const random = createRandom(1);
    const scratch = createSamplerScratch();
    const logits = [0, 10, 0, 0];
    const params = { guidance: 1, temperature: 1, topP: 1 };
    for (let i = 0; i < 200; i++) assert.notEqual(sampleCell(logits, null, params, random, scratch, HOLD).token, HOLD);
    assert.equal(sampleCell(logits, null, params, random, scratch).token, 1);
  });

  test('sampleCell applies guidance before sampling: guidance can flip the most likely token', () => {
    const scratch = createSamplerScratch();
    const greedy = { guidance: 3, temperature: 0, topP: 1 };
    // cond prefers 0 slightly; uncond prefers 0 strongly: guidance pushes toward what conditioning adds (token 1).
    const sample = sampleCell([2, 1.5], [3, 0], greedy, createRandom(1), scratch);
    assert.equal(sample.token, 1);
    assert.ok(sample.confidence < 0 && sample.confidence > -1);
  });

  test('the same seed draws the same tokens', () => {
    const draw = (seed: number): number[] => {
      const random = createRandom(seed);
      const scratch = createSamplerScratch();
      const params = { guidance: 2, temperature: 1, topP: 0.95 };
      return Array.from(
        { length: 50 },
        () => sampleCell([0, 0.5, 1, 1.5], [0, 0, 0, 0], params, random, scratch).token,
      );
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });

  test('selectHighest returns the top scores in index order, ties to the lower index', () => {
    assert.deepEqual(selectHighest([0.1, 0.9, 0.5, 0.9], 2), [1, 3]);
    assert.deepEqual(selectHighest([1, 1, 1], 2), [0, 1]);
    assert.deepEqual(selectHighest([1, 2], 0), []);
    assert.deepEqual(selectHighest([1, 2], 5), [0, 1]);
  });

  test('markHighest picks the same cells as a full sort (score, then index) on 500 random rows with ties', () => {
    const random = createRandom(17);
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + random.int(300);
      const levels = 1 + random.int(20);
      const scores = Float64Array.from({ length: n }, () =>
        random.int(10) === 0 ? -Infinity : random.int(levels) - random.next() * random.int(2),
      );
      const count = random.int(n + 2);
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
      const expected = new Set(order.slice(0, count));
      const keep = new Uint8Array(n);
      markHighest(scores, n, count, new Float64Array(n), keep);
      assert.deepEqual(
        Array.from(keep, (flag, i) => (flag === 1 ? i : -1)).filter((i) => i >= 0),
        [...expected].sort((a, b) => a - b),
        `trial ${trial}`,
      );
    }
  });

  test('sampleCell gives the same token, confidence and draws as guidance → temperature → softmax → top-p → draw, bit for bit, with the nucleus over every token or over the pitches', () => {
    const random = createRandom(5);
    const scratch = createSamplerScratch();
    for (let trial = 0; trial < 400; trial++) {
      const size = TRACK_SIZES[random.int(TRACK_COUNT)] ?? 50;
      // Quantised logits make ties in probability, where top-p's tie rule matters.
      const logit = (): number => Math.fround(random.int(12) * 0.75 - 6 + (random.int(3) === 0 ? random.next() : 0));
      const cond = Float32Array.from({ length: size }, logit);
      const uncond = random.int(3) === 0 ? null : Float32Array.from({ length: size }, logit);
      const params = {
        guidance: [1, 2, 3.5][random.int(3)] ?? 2,
        temperature: [1, 0.7, 1.3][random.int(3)] ?? 1,
        topP: [1, 0.95, 0.8, 0.5][random.int(4)] ?? 0.95,
      };
      const forbidden = random.int(4) === 0 ? HOLD : -1;
      const from = random.int(2) === 0 ? FIRST_PITCH : 0;
      const seed = random.int(1_000_000);

      const referenceRandom = createRandom(seed);
      const logits = uncond ? applyGuidance(cond, uncond, params.guidance) : Float64Array.from(cond);
      if (forbidden >= 0) logits[forbidden] = -Infinity;
      applyTemperature(logits, params.temperature);
      const normalised = softmax(logits);
      // The confidence is the cell's highest probability before top-p, whatever token was drawn.
      const confidence = Math.log(Math.max(...normalised));
      const probs = topP(normalised, params.topP, size, new Float64Array(size), false, from);
      const token = sampleIndex(probs, referenceRandom);
      const expected = { token, confidence, next: referenceRandom.next() };

      const actualRandom = createRandom(seed);
      const sample = sampleCell(cond, uncond, params, actualRandom, scratch, forbidden, from);
      assert.deepEqual({ ...sample, next: actualRandom.next() }, expected, `trial ${trial}`);
      assert.ok(Number.isFinite(gumbel(actualRandom)));
    }
  });
});

describe('denoiseStep', () => {
  const steps = 2;
  /** Per track [T, size] logits with one strongly preferred token per cell. */
  const peaked = (preferred: (t: number, k: number) => number, strength: (t: number, k: number) => number) =>
    TRACK_SIZES.map((size, k) => {
      const data = new Float32Array(steps * size);
      for (let t = 0; t < steps; t++) data[t * size + preferred(t, k)] = strength(t, k);
      return data;
    });

  test('GIVEN no noise THEN the most confident cells are unmasked and the count follows remainingAfter', () => {
    const grid = createMaskedGrid(steps);
    const logits = peaked(
      () => 3,
      (t, k) => (t === 0 && (k === 0 || k === 3) ? 40 : 5),
    );
    const unmasked = denoiseStep({
      cells: grid.cells,
      steps,
      cond: logits,
      uncond: null,
      remainingAfter: 6,
      noiseScale: 0,
      params: { guidance: 1, temperature: 1, topP: 0.9 },
      random: createRandom(3),
      scratch: createSamplerScratch(),
      clipStart: true,
    });
    assert.equal(unmasked, 2);
    assert.deepEqual(Array.from(grid.cells), [3, maskId(1), maskId(2), 3, maskId(0), maskId(1), maskId(2), maskId(3)]);
  });

  test('GIVEN the chord is still masked THEN a bass hold where it may change waits for it; a new bass note does not', () => {
    const run = (bassToken: number, harmonySpan?: number) => {
      const grid = createMaskedGrid(steps);
      grid.cells[1] = 10; // bass step 0 kept: a note (C2)
      const unmasked = denoiseStep({
        cells: grid.cells,
        steps,
        cond: peaked(
          (_t, k) => (k === 1 ? bassToken : 3),
          (t, k) => (k === 1 && t === 1 ? 40 : 5),
        ),
        uncond: null,
        remainingAfter: 5,
        noiseScale: 0,
        params: { guidance: 1, temperature: 1, topP: 0.9 },
        random: createRandom(3),
        scratch: createSamplerScratch(),
        clipStart: true,
        harmonySpan,
        spanOrigin: 0,
      });
      assert.equal(unmasked, 2);
      return Array.from(grid.cells);
    };
    // A hold drawn where a chord may change, before the chord is known, stays masked: the next most confident cells
    // go first (the melody's: at the same logit, the smallest vocabulary gives the highest probability).
    assert.deepEqual(run(HOLD), [3, 10, maskId(2), maskId(3), 3, maskId(1), maskId(2), maskId(3)]);
    // A new note does not wait.
    assert.deepEqual(run(FIRST_PITCH + 5), [
      3,
      10,
      maskId(2),
      maskId(3),
      maskId(0),
      FIRST_PITCH + 5,
      maskId(2),
      maskId(3),
    ]);
    // With chords a span of 2 steps long, step 1 is inside a span: no chord change there, so the hold goes first.
    assert.deepEqual(run(HOLD, 2), [3, 10, maskId(2), maskId(3), maskId(0), HOLD, maskId(2), maskId(3)]);
  });

  test('GIVEN a bass hold waiting for its chord THEN it stays a hold until the model has seen the chord, then the draw stands', () => {
    const run = (chord: number | null, waiting: Uint8Array) => {
      const grid = createMaskedGrid(steps);
      grid.cells[1] = 10; // bass step 0 kept: a note
      if (chord !== null) {
        grid.cells[2] = chord;
        grid.cells[6] = chord;
      }
      denoiseStep({
        cells: grid.cells,
        steps,
        // the bass at step 1 now strongly prefers a new note
        cond: peaked(
          (_t, k) => (k === 1 ? FIRST_PITCH + 5 : 3),
          (t, k) => (k === 1 && t === 1 ? 40 : 5),
        ),
        uncond: null,
        remainingAfter: chord === null ? 5 : 3,
        noiseScale: 0,
        params: { guidance: 1, temperature: 1, topP: 0.9 },
        random: createRandom(3),
        scratch: createSamplerScratch(),
        clipStart: true,
        spanOrigin: 0,
        waitingHolds: waiting,
      });
      return grid.cells[5];
    };
    // Chord unknown: the earlier hold is kept as the draw, and still waits.
    const waiting = Uint8Array.of(0, 1);
    assert.equal(run(null, waiting), maskId(1));
    assert.deepEqual(Array.from(waiting), [0, 1]);
    // Without the flag the same step would have drawn the new note and unmasked it at once.
    assert.equal(run(null, new Uint8Array(2)), FIRST_PITCH + 5);
    // Chord known (C major, token 1, in the model's input): the new draw stands and nothing waits.
    const seen = Uint8Array.of(0, 1);
    assert.equal(run(1, seen), FIRST_PITCH + 5);
    assert.deepEqual(Array.from(seen), [0, 0]);
  });

  test('GIVEN a chord change THEN the bass holds its note only when the new chord has it', () => {
    const run = (secondChord: number) => {
      const grid = createMaskedGrid(steps);
      grid.cells[1] = 10; // bass step 0 kept: C2
      grid.cells[2] = 1; // C major at step 0
      grid.cells[TRACK_COUNT + 2] = secondChord;
      denoiseStep({
        cells: grid.cells,
        steps,
        cond: peaked(
          () => HOLD,
          () => 50,
        ),
        uncond: null,
        remainingAfter: 0,
        noiseScale: 0,
        params: { guidance: 1, temperature: 1, topP: 0.95 },
        random: createRandom(4),
        scratch: createSamplerScratch(),
        clipStart: true,
      });
      return grid.cells[TRACK_COUNT + 1];
    };
    assert.equal(run(1), HOLD, 'the same chord');
    assert.equal(run(1 + 5 * 12), HOLD, 'F major has C: a common tone may go on');
    assert.equal(run(1 + 9 * 12 + 1), HOLD, 'A minor has C');
    const underG = run(1 + 7 * 12); // G major: C would clash
    assert.ok(underG !== undefined && underG !== HOLD && underG < maskId(1), `got ${underG}`);
  });

  test('cells that are not masked never change, and no hold is drawn at the clip start or after a known rest', () => {
    const grid = createMaskedGrid(steps);
    grid.cells[0] = 7; // melody step 0 kept
    grid.cells[1] = 0; // bass step 0 kept: a rest
    const logits = peaked(
      () => HOLD,
      () => 50,
    );
    denoiseStep({
      cells: grid.cells,
      steps,
      cond: logits,
      uncond: null,
      remainingAfter: 0,
      noiseScale: 1,
      params: { guidance: 1, temperature: 1, topP: 0.95 },
      random: createRandom(4),
      scratch: createSamplerScratch(),
      clipStart: true,
    });
    assert.equal(grid.cells[0], 7);
    assert.equal(grid.cells[1], 0);
    assert.equal(grid.cells[TRACK_COUNT + 0], HOLD, 'melody after an onset may hold');
    assert.notEqual(grid.cells[TRACK_COUNT + 1], HOLD, 'bass after a kept rest may not hold');
    assert.ok(grid.cells.every((token, i) => token < maskId(i % TRACK_COUNT)));
  });
});
