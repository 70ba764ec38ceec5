/**
 * Generates the evaluation set: N grids per product style (default 50), 8 bars each, through the same planning,
 * conditioning and sampler as `npm run compose` (no rendering: the metrics read the grid), as JSONL for
 * `python -m motif.evaluate`.
 *
 *   node bench/generate-eval-set.ts [--per-style 50] [--out .cache/eval/generated.jsonl] [--model models/motif-v1.onnx]
 *     [--diffusion-steps N] [--guidance G] [--rhythm-guidance-scale S] [--noise N] [--temperature T] [--top-p P]
 *     [--pitch-top-p P] (default: the sampler's defaults, as compose uses)
 *     [--styles jazz,lofi] (default: every style)
 *     [--density sparse|medium|dense|none] (default: each recipe's own; none: unspecified)
 *     [--seed-offset N] (added to every clip's seed: another sample of the same set)
 *     [--open-end] (the model is not told that the clip ends at its last bar, as for a radio segment)
 *     [--lead-in-bars N] (bars generated before each clip and dropped; default: generate's own)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { planFrom, styleWeightsFor } from '../src/inference/composition-plan.ts';
import { generateBatch, type GenerateRequest } from '../src/inference/generate.ts';
import { createModelSession } from '../src/inference/model-session.ts';
import type { SamplingParams } from '../src/inference/sampler.ts';
import { STYLE_NAMES, parseStyle } from '../src/music/styles.ts';

const { values } = parseArgs({
  options: {
    'per-style': { type: 'string', default: '50' },
    out: { type: 'string', default: '.cache/eval/generated.jsonl' },
    model: { type: 'string', default: 'models/motif-v1.onnx' },
    bars: { type: 'string', default: '8' },
    batch: { type: 'string', default: '8' },
    guidance: { type: 'string' },
    'rhythm-guidance-scale': { type: 'string' },
    noise: { type: 'string' },
    temperature: { type: 'string' },
    'top-p': { type: 'string' },
    'pitch-top-p': { type: 'string' },
    styles: { type: 'string' },
    density: { type: 'string' },
    'seed-offset': { type: 'string', default: '0' },
    'open-end': { type: 'boolean', default: false },
    'lead-in-bars': { type: 'string' },
    'diffusion-steps': { type: 'string' },
  },
});
const densities = ['sparse', 'medium', 'dense', 'none'] as const;
const density = densities.find((d) => d === values.density);
if (values.density !== undefined && density === undefined) {
  throw new Error(`--density must be one of ${densities.join(', ')}`);
}
const styleNames = values.styles === undefined ? STYLE_NAMES : values.styles.split(',').map((s) => s.trim());
const sampling: Partial<SamplingParams> = {
  ...(values.guidance === undefined ? {} : { guidance: Number(values.guidance) }),
  ...(values['rhythm-guidance-scale'] === undefined
    ? {}
    : { rhythmGuidanceScale: Number(values['rhythm-guidance-scale']) }),
  ...(values.noise === undefined ? {} : { noise: Number(values.noise) }),
  ...(values['diffusion-steps'] === undefined ? {} : { steps: Number(values['diffusion-steps']) }),
  ...(values.temperature === undefined ? {} : { temperature: Number(values.temperature) }),
  ...(values['top-p'] === undefined ? {} : { topP: Number(values['top-p']) }),
  ...(values['pitch-top-p'] === undefined ? {} : { pitchTopP: Number(values['pitch-top-p']) }),
};
const perStyle = Number(values['per-style']);
const seedOffset = Number(values['seed-offset']);
if (!Number.isSafeInteger(seedOffset) || seedOffset < 0) throw new Error('--seed-offset must be a whole number >= 0');
const bars = Number(values.bars);
const batchSize = Number(values.batch);
const leadInBars = values['lead-in-bars'] === undefined ? undefined : Number(values['lead-in-bars']);
if (leadInBars !== undefined && !(Number.isInteger(leadInBars) && leadInBars >= 0)) {
  throw new Error('--lead-in-bars must be a whole number >= 0');
}
const session = await createModelSession(resolve(values.model), { device: 'cpu', intraOpNumThreads: 2 });
const lines: string[] = [];
const started = performance.now();

for (const name of styleNames) {
  const style = parseStyle(name);
  if (!style.ok) throw new Error(style.error.message);
  const recipe = style.value.recipe;
  const conditioning = { ...style.value.conditioning };
  if (density === 'none') delete conditioning.density;
  else if (density !== undefined) conditioning.density = density;
  const beatsPerBar = (recipe.meter.numerator * 4) / recipe.meter.denominator;
  const requests: GenerateRequest[] = [];
  for (let i = 0; i < perStyle; i++) {
    const seed = seedOffset + 1000 * (STYLE_NAMES.indexOf(name as (typeof STYLE_NAMES)[number]) + 1) + i;
    const plan = planFrom({
      recipe,
      styleLabel: style.value.label,
      tempo: recipe.tempo.default,
      key: { tonic: 0, mode: style.value.conditioning.mode ?? 'major' },
      lengthBeats: bars * beatsPerBar,
      conditioning,
    });
    requests.push({
      steps: plan.steps,
      stepsPerBar: plan.stepsPerBar,
      styleWeights: styleWeightsFor(plan.conditioning, session.metadata.styles),
      conditions: plan.conditions,
      seed,
      sampling,
      ends: !values['open-end'],
    });
  }
  for (let i = 0; i < requests.length; i += batchSize) {
    const chunk = requests.slice(i, i + batchSize);
    const results = await generateBatch(session, chunk, leadInBars === undefined ? {} : { leadInBars });
    results.forEach((result, j) => {
      const request = chunk[j];
      if (request === undefined) return;
      lines.push(
        JSON.stringify({
          style: name,
          learnedMix: style.value.conditioning.styles,
          stepsPerBar: request.stepsPerBar,
          steps: result.grid.steps,
          seed: request.seed,
          tokens: Array.from(result.grid.cells),
        }),
      );
    });
  }
  process.stderr.write(`${name}: ${perStyle} clips\n`);
}
await session.dispose();
mkdirSync(dirname(resolve(values.out)), { recursive: true });
writeFileSync(resolve(values.out), `${lines.join('\n')}\n`);
process.stderr.write(
  `wrote ${lines.length} clips to ${values.out} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
