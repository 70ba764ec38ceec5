import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { planFrom, styleWeightsFor } from '../../src/inference/composition-plan.ts';
import { generateBatch, type GenerateRequest } from '../../src/inference/generate.ts';
import { FIRST_PITCH, TRACK_COUNT, TRACK_INDEX } from '../../src/inference/grid.ts';
import { createModelSession, type ModelSession } from '../../src/inference/model-session.ts';
import { parseStyle } from '../../src/music/styles.ts';
import { MODEL_FOR_TESTS, SHIPPED_MODEL } from '../fixtures/model-path.ts';

/** Whether anything starts in the first beat (4 steps): a melody or bass note, or a chord. */
function soundsInFirstBeat(cells: Int16Array): boolean {
  for (let t = 0; t < 4; t++) {
    const at = (k: number): number => cells[t * TRACK_COUNT + k] ?? 0;
    if (at(TRACK_INDEX.melody) >= FIRST_PITCH || at(TRACK_INDEX.bass) >= FIRST_PITCH || at(TRACK_INDEX.harmony) > 0) {
      return true;
    }
  }
  return false;
}

describe('the shipped model', { skip: MODEL_FOR_TESTS !== SHIPPED_MODEL && 'models/motif-v1.onnx is absent' }, () => {
  let session: ModelSession;
  before(async () => {
    session = await createModelSession(SHIPPED_MODEL, { device: 'cpu', intraOpNumThreads: 2 });
  });
  after(async () => {
    await session.dispose();
  });

  function requests(style: string, seeds: readonly number[]): GenerateRequest[] {
    const parsed = parseStyle(style);
    assert.ok(parsed.ok);
    const { recipe } = parsed.value;
    const plan = planFrom({
      recipe,
      styleLabel: parsed.value.label,
      tempo: recipe.tempo.default,
      key: { tonic: 0, mode: parsed.value.conditioning.mode ?? 'major' },
      lengthBeats: 8 * 4,
      conditioning: parsed.value.conditioning,
    });
    return seeds.map((seed) => ({
      steps: plan.steps,
      stepsPerBar: plan.stepsPerBar,
      styleWeights: styleWeightsFor(plan.conditioning, session.metadata.styles),
      conditions: plan.conditions,
      seed,
    }));
  }

  test('GIVEN classical (chorales open with three silent beats and a pickup) THEN every clip starts with sound', async () => {
    const seeds = [1, 2, 3, 4, 5, 6];
    const results = await generateBatch(session, requests('classical', seeds));
    results.forEach((result, i) => {
      assert.ok(soundsInFirstBeat(result.grid.cells), `seed ${seeds[i]}`);
    });
    // Without the lead-in bar, the model writes the chorales' opening silence into most of them.
    const bare = await generateBatch(session, requests('classical', seeds), { leadInBars: 0 });
    assert.ok(bare.filter((result) => !soundsInFirstBeat(result.grid.cells)).length >= 3);
  });
});
