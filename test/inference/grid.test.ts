import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  HOLD,
  REST,
  TRACK_COUNT,
  createGrid,
  decodeGrid,
  encodeGrid,
  gridToLeadSheet,
  maskId,
  repairHolds,
  transpositionFor,
  validateGrid,
  type Grid,
} from '../../src/inference/grid.ts';
import { appendExtension, extensionEdit, regenerateTrackEdit, variationEdit } from '../../src/inference/edit-masks.ts';

const FOUR_FOUR = { numerator: 4, denominator: 4 };
const melodyOnset = (pitch: number): number => 2 + pitch - 48;
const bassOnset = (pitch: number): number => 2 + pitch - 28;
const chord = (root: number, quality: number): number => 1 + root * 12 + quality;

/** A grid from per-step rows [melody, bass, harmony, drums]. */
function gridOf(rows: readonly (readonly [number, number, number, number])[]): Grid {
  const grid = createGrid(rows.length);
  rows.forEach((row, t) => {
    grid.cells.set(row, t * TRACK_COUNT);
  });
  return grid;
}

describe('validateGrid', () => {
  test('GIVEN tokens inside every track range THEN the grid is valid', () => {
    const grid = gridOf([
      [49, 33, 144, 255],
      [0, 0, 0, 0],
    ]);
    assert.deepEqual(validateGrid(grid), { ok: true, value: grid });
  });

  test('GIVEN a MASK id or a token past the range THEN it names the track and step', () => {
    const masked = gridOf([
      [0, 0, 0, 0],
      [maskId(0), 0, 0, 0],
    ]);
    const result = validateGrid(masked);
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'token-out-of-range');
    assert.match(result.error.message, /melody token 50 at step 1/);
    const negative = validateGrid(gridOf([[0, 0, -1, 0]]));
    assert.equal(negative.ok ? 'ok' : negative.error.code, 'token-out-of-range');
  });

  test('GIVEN cells that do not match steps x 4 THEN bad-length', () => {
    const result = validateGrid({ steps: 3, cells: new Int16Array(8) });
    assert.equal(result.ok ? 'ok' : result.error.code, 'bad-length');
  });
});

describe('repairHolds', () => {
  test('a hold at step 0 or after a rest becomes a rest; holds after onsets and holds stay; fixed cells stay', () => {
    const grid = gridOf([
      [HOLD, HOLD, 0, 0],
      [melodyOnset(60), REST, 0, 0],
      [HOLD, HOLD, 0, 0],
      [HOLD, bassOnset(40), 0, 0],
      [REST, HOLD, 0, 0],
      [HOLD, HOLD, 0, 0],
    ]);
    const fixed = new Uint8Array(grid.cells.length);
    fixed[5 * TRACK_COUNT + 0] = 1; // melody step 5 is kept as is
    assert.equal(repairHolds(grid, fixed), 3);
    const melody = [0, 1, 2, 3, 4, 5].map((t) => grid.cells[t * TRACK_COUNT]);
    const bass = [0, 1, 2, 3, 4, 5].map((t) => grid.cells[t * TRACK_COUNT + 1]);
    assert.deepEqual(melody, [REST, melodyOnset(60), HOLD, HOLD, REST, HOLD]);
    assert.deepEqual(bass, [REST, REST, REST, bassOnset(40), HOLD, HOLD]);
  });
});

describe('gridToLeadSheet', () => {
  const grid = gridOf([
    [melodyOnset(60), bassOnset(36), chord(0, 0), 0b101],
    [HOLD, HOLD, chord(0, 0), 0],
    [HOLD, REST, chord(7, 2), 0b10],
    [melodyOnset(64), HOLD, 0, 0],
  ]);

  test('GIVEN C major THEN onsets and holds become notes, chords per step, drums as bitmasks', () => {
    const sheet = gridToLeadSheet(grid, {
      key: { tonic: 0, mode: 'major' },
      tempo: 120,
      timeSignature: FOUR_FOUR,
      stepsPerBar: 16,
    });
    assert.equal(sheet.steps, 4);
    assert.deepEqual(sheet.melody, [
      { pitch: 60, step: 0, steps: 3 },
      { pitch: 64, step: 3, steps: 1 },
    ]);
    assert.deepEqual(sheet.bass, [{ pitch: 36, step: 0, steps: 2 }], 'the hold after a rest reads as silence');
    assert.deepEqual(sheet.chords, [
      { root: 0, quality: 'maj' },
      { root: 0, quality: 'maj' },
      { root: 7, quality: '7' },
      null,
    ]);
    assert.deepEqual(sheet.drums, [0b101, 0, 0b10, 0]);
  });

  test('GIVEN G major THEN everything moves down 5 semitones (nearest transposition) and chord roots to G', () => {
    const sheet = gridToLeadSheet(grid, {
      key: { tonic: 7, mode: 'major' },
      tempo: 90,
      timeSignature: FOUR_FOUR,
      stepsPerBar: 16,
    });
    assert.deepEqual(
      sheet.melody.map((n) => n.pitch),
      [55, 59],
    );
    assert.deepEqual(
      sheet.bass.map((n) => n.pitch),
      [31],
    );
    assert.deepEqual(sheet.chords[0], { root: 7, quality: 'maj' });
    assert.deepEqual(sheet.chords[2], { root: 2, quality: '7' });
  });

  test('transposition is the nearest shift in -6..+5', () => {
    assert.deepEqual([0, 2, 5, 6, 7, 11, 12, -1].map(transpositionFor), [0, 2, 5, -6, -5, -1, 0, -1]);
  });
});

describe('grid storage', () => {
  test('encode then decode gives the same cells; a truncated buffer is refused', () => {
    const grid = gridOf([
      [melodyOnset(70), bassOnset(30), chord(11, 11), 255],
      [HOLD, HOLD, 0, 1],
    ]);
    const bytes = encodeGrid(grid);
    assert.equal(bytes.length, 16);
    const decoded = decodeGrid(bytes);
    assert.ok(decoded.ok);
    assert.deepEqual(Array.from(decoded.value.cells), Array.from(grid.cells));
    assert.equal(decodeGrid(bytes.subarray(0, 6)).ok, false);
  });
});

describe('edit masks', () => {
  const rows: [number, number, number, number][] = [];
  for (let t = 0; t < 64; t++) {
    rows.push([t % 4 === 0 ? melodyOnset(60 + (t % 12)) : HOLD, t % 8 === 0 ? bassOnset(36) : HOLD, chord(0, 0), 1]);
  }
  const old = gridOf(rows);

  test('variation re-masks about strength of the cells, in beat-aligned spans, deterministic per seed', () => {
    const edit = variationEdit(old, { strength: 0.5, seed: 11 });
    const again = variationEdit(old, { strength: 0.5, seed: 11 });
    const other = variationEdit(old, { strength: 0.5, seed: 12 });
    assert.deepEqual(edit.fixed, again.fixed);
    assert.notDeepEqual(edit.fixed, other.fixed);
    const maskedDrums = Array.from({ length: 64 }, (_, t) => edit.fixed[t * TRACK_COUNT + 3]).filter((f) => f === 0);
    assert.equal(maskedDrums.length, 32);
    const maskedHarmony = Array.from({ length: 64 }, (_, t) => edit.fixed[t * TRACK_COUNT + 2]).filter((f) => f === 0);
    assert.equal(maskedHarmony.length, 16, 'harmony varies at half the strength');
    assert.deepEqual(Array.from(edit.initial.cells), Array.from(old.cells));
  });

  test('variation never keeps a hold right after a regenerated cell', () => {
    const edit = variationEdit(old, { strength: 0.3, seed: 5 });
    for (const k of [0, 1]) {
      for (let t = 1; t < 64; t++) {
        const i = t * TRACK_COUNT + k;
        if (edit.fixed[i] === 1 && old.cells[i] === HOLD) assert.equal(edit.fixed[i - TRACK_COUNT], 1, `step ${t}`);
      }
    }
  });

  test('strength 0 keeps everything, strength 1 regenerates everything (harmony at full strength too)', () => {
    assert.ok(variationEdit(old, { strength: 0, seed: 1 }).fixed.every((f) => f === 1));
    const full = variationEdit(old, { strength: 1, seed: 1, trackStrength: { harmony: 1 } });
    assert.ok(full.fixed.every((f) => f === 0));
  });

  test('extension keeps the last bars as fixed context followed by masked new steps', () => {
    const edit = extensionEdit(old, { stepsPerBar: 12, contextBars: 2, newSteps: 40 });
    assert.equal(edit.contextSteps, 24);
    assert.equal(edit.initial.steps, 64);
    assert.equal(edit.barOffset, 40 % 12);
    assert.deepEqual(Array.from(edit.initial.cells.subarray(0, 24 * 4)), Array.from(old.cells.subarray(40 * 4)));
    assert.ok(edit.fixed.subarray(0, 24 * 4).every((f) => f === 1));
    assert.ok(edit.fixed.subarray(24 * 4).every((f) => f === 0));
    const appended = appendExtension(old, edit.initial, edit.contextSteps);
    assert.equal(appended.steps, 104);
  });

  test('regenerating a track frees exactly that track', () => {
    const edit = regenerateTrackEdit(old, 'bass');
    edit.fixed.forEach((flag, i) => {
      assert.equal(flag, i % TRACK_COUNT === 1 ? 0 : 1);
    });
  });
});
