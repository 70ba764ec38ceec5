/**
 * Model stage benchmark: a 30 s clip at 120 BPM (T = 240 steps, and a bar of lead-in), 12 diffusion steps with
 * guidance, on models/motif-v1.onnx when present, else the tiny test fixture. Median and p95 over 20 runs after
 * warm-up, alternated with the same clip without the lead-in bar (the baseline of its cost),
 * then 8 requests in one batch against the same 8 one after another, in the same run, for 30 s clips and for the
 * 10 s clips (T = 80) of bench/inference's burst: the batching gain is (8 x batch 1 time) / (batch 8 time).
 * Last, the session in its worker thread (the default) against one on this thread, alternated, for one 30 s clip
 * and for 8 in one batch: the worker's overhead per diffusion step, and the longest event-loop stall of this
 * thread while generating (in process it holds a whole session.run; with the worker only the sampling).
 *
 *   node bench/model.ts [device=cpu] [intraOpThreads=2] [model.onnx]   (a model path compares another model)
 */
import { existsSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  generate,
  generateBatch,
  tempoCondition,
  type GenerateRequest,
  type GenerateResult,
} from '../src/inference/generate.ts';
import { DEVICES, createModelSession, type Device, type ModelSession } from '../src/inference/model-session.ts';
import { DEFAULT_SAMPLING } from '../src/inference/sampler.ts';

const RUNS = 20;
const WARM_UP = 3;
const BATCH = 8;
const BATCH_REPEATS = 5;
/** Model rows of one guided request: conditional and unconditional, for the lead-sheet view and the drum view. */
const ROWS_PER_REQUEST = 4;
/** Alternated runs per session for the worker vs in-process comparison: one clip, then a batch of 8. */
const COMPARE_REPEATS = { single: 20, batch: 8 } as const;

const fullModel = fileURLToPath(new URL('../models/motif-v1.onnx', import.meta.url));
const tinyModel = fileURLToPath(new URL('../test/fixtures/tiny-model.onnx', import.meta.url));
const modelPath = process.argv[4] ?? (existsSync(fullModel) ? fullModel : tinyModel);
const deviceArg = process.argv[2] ?? 'cpu';
const device: Device = DEVICES.find((d) => d === deviceArg) ?? 'cpu';
const threads = Number(process.argv[3] ?? 2);

const session = await createModelSession(modelPath, {
  device,
  intraOpNumThreads: threads,
  log: (line) => {
    console.log(line);
  },
});

const request = (seed: number, steps = 240): GenerateRequest => ({
  steps,
  stepsPerBar: 16,
  styleWeights: session.metadata.styles.map((_, i) => (i === 0 ? 0.6 : i === 1 ? 0.4 : 0)),
  conditions: { mood: 1, tempo: tempoCondition(120), density: 2, mode: 1, meter: 1 },
  seed,
  sampling: DEFAULT_SAMPLING,
});

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

const ms = (value: number): string => value.toFixed(1).padStart(9);

try {
  console.log(
    `model: ${modelPath === fullModel ? 'models/motif-v1.onnx' : modelPath === tinyModel ? 'test/fixtures/tiny-model.onnx (no models/motif-v1.onnx)' : modelPath}` +
      ` (${session.metadata.parameters.toLocaleString('en')} parameters), provider ${session.provider}, ${threads} intra-op threads,` +
      ' session in its worker thread',
  );
  console.log(
    `clip: 30 s at 120 BPM = 240 steps, 12 diffusion steps, guidance ${DEFAULT_SAMPLING.guidance} (${ROWS_PER_REQUEST} rows per request: conditional and unconditional, lead sheet and drums)\n`,
  );

  for (let i = 0; i < WARM_UP; i++) await generate(session, request(1000 + i));
  const total: number[] = [];
  const model: number[] = [];
  const sampling: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { timing } = await generate(session, request(i));
    total.push(timing.totalMs);
    model.push(timing.modelMs);
    sampling.push(timing.samplingMs);
    // Baseline, alternated with the runs above: the same clip without its bar of lead-in (generate.ts).
    bare.push((await generate(session, request(i), { leadInBars: 0 })).timing.totalMs);
  }
  console.log(`single request, ${RUNS} runs      median       p95   (ms)`);
  console.log(`  total (model stage)  ${ms(quantile(total, 0.5))} ${ms(quantile(total, 0.95))}`);
  console.log(`  of which session.run ${ms(quantile(model, 0.5))} ${ms(quantile(model, 0.95))}`);
  console.log(`  of which sampling    ${ms(quantile(sampling, 0.5))} ${ms(quantile(sampling, 0.95))}`);
  console.log(
    `  without the lead-in  ${ms(quantile(bare, 0.5))} ${ms(quantile(bare, 0.95))}` +
      `   (the lead-in bar costs ${(quantile(total, 0.5) / quantile(bare, 0.5)).toFixed(2)}x)\n`,
  );

  const gains: string[] = [];
  for (const steps of [240, 80]) {
    const sequential: number[] = [];
    const batched: number[] = [];
    const batchModel: number[] = [];
    const batchSampling: number[] = [];
    for (let r = 0; r < BATCH_REPEATS; r++) {
      const requests = Array.from({ length: BATCH }, (_, i) => request(100 * r + i, steps));
      let started = performance.now();
      for (const one of requests) await generate(session, one);
      sequential.push(performance.now() - started);
      started = performance.now();
      const [first] = await generateBatch(session, requests);
      batched.push(performance.now() - started);
      batchModel.push(first?.timing.modelMs ?? NaN);
      batchSampling.push(first?.timing.samplingMs ?? NaN);
    }
    const seqMedian = quantile(sequential, 0.5);
    const batchMedian = quantile(batched, 0.5);
    const gain = seqMedian / batchMedian;
    console.log(`${BATCH} requests of ${steps} steps, median of ${BATCH_REPEATS}   total  per clip   (ms)`);
    console.log(`  ${BATCH} x batch 1              ${ms(seqMedian)} ${ms(seqMedian / BATCH)}`);
    console.log(
      `  1 x batch ${BATCH} (${BATCH * ROWS_PER_REQUEST} rows)     ${ms(batchMedian)} ${ms(batchMedian / BATCH)}`,
    );
    console.log(`    of which session.run   ${ms(quantile(batchModel, 0.5))} ${ms(quantile(batchModel, 0.5) / BATCH)}`);
    console.log(
      `    of which sampling      ${ms(quantile(batchSampling, 0.5))} ${ms(quantile(batchSampling, 0.5) / BATCH)}`,
    );
    console.log(`  batching gain (${BATCH} x batch 1) / (batch ${BATCH}): ${gain.toFixed(2)}x\n`);
    gains.push(`${steps} steps ${gain.toFixed(2)}x`);
  }
  console.log(`batching gain of the model stage alone: ${gains.join(', ')}\n`);

  await compareWithInProcess();
} finally {
  await session.dispose();
}

interface Measured {
  readonly totalMs: number;
  readonly modelMs: number;
  readonly modelCalls: number;
  /** Longest event-loop delay of this thread during the generation. */
  readonly stallMs: number;
}

async function measure(on: ModelSession, requests: readonly GenerateRequest[]): Promise<Measured> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const results: GenerateResult[] = await generateBatch(on, requests);
  delay.disable();
  const timing = results[0]?.timing;
  return {
    totalMs: timing?.totalMs ?? NaN,
    modelMs: timing?.modelMs ?? NaN,
    modelCalls: timing?.modelCalls ?? NaN,
    stallMs: delay.max / 1e6,
  };
}

/** The default session (worker thread) against one on this thread, alternated so both see the same load. */
async function compareWithInProcess(): Promise<void> {
  const inProcess = await createModelSession(modelPath, { device, intraOpNumThreads: threads, inWorker: false });
  try {
    for (const [label, count, repeats] of [
      [`one 30 s clip (${ROWS_PER_REQUEST} rows)`, 1, COMPARE_REPEATS.single],
      [`${BATCH} x 30 s clips in one batch (${BATCH * ROWS_PER_REQUEST} rows)`, BATCH, COMPARE_REPEATS.batch],
    ] as const) {
      const requests = Array.from({ length: count }, (_, i) => request(7000 + i));
      await measure(session, requests);
      await measure(inProcess, requests);
      const runs: { worker: Measured[]; inProcess: Measured[] } = { worker: [], inProcess: [] };
      for (let r = 0; r < repeats; r++) {
        const order = r % 2 === 0 ? (['worker', 'inProcess'] as const) : (['inProcess', 'worker'] as const);
        for (const mode of order) runs[mode].push(await measure(mode === 'worker' ? session : inProcess, requests));
      }
      const median = (mode: 'worker' | 'inProcess', pick: (m: Measured) => number): number =>
        quantile(runs[mode].map(pick), 0.5);
      const calls = runs.worker[0]?.modelCalls ?? NaN;
      const stepIn = median('inProcess', (m) => m.modelMs) / calls;
      const stepWorker = median('worker', (m) => m.modelMs) / calls;
      const overhead = stepWorker - stepIn;
      const totalIn = median('inProcess', (m) => m.totalMs);
      const totalWorker = median('worker', (m) => m.totalMs);
      console.log(`${label}, median of ${repeats} alternated runs   total  run/step   (ms)`);
      console.log(`  session on this thread (inWorker: false) ${ms(totalIn)} ${ms(stepIn)}`);
      console.log(`  session in its worker thread (default)   ${ms(totalWorker)} ${ms(stepWorker)}`);
      console.log(
        `worker vs in-process model stage, ${label}: ${overhead >= 0 ? '+' : ''}${overhead.toFixed(2)} ms per step ` +
          `(${((overhead / stepIn) * 100).toFixed(1)}% of the step's session.run), ` +
          `model stage ${(((totalWorker - totalIn) / totalIn) * 100).toFixed(1)}%`,
      );
      const worst = (mode: 'worker' | 'inProcess'): number => Math.max(...runs[mode].map((m) => m.stallMs));
      console.log(
        `longest event-loop stall while generating ${label}: ${median('inProcess', (m) => m.stallMs).toFixed(1)} ms ` +
          `in-process, ${median('worker', (m) => m.stallMs).toFixed(1)} ms with the worker ` +
          `(median over runs; worst ${worst('inProcess').toFixed(1)} and ${worst('worker').toFixed(1)} ms)\n`,
      );
    }
  } finally {
    await inProcess.dispose();
  }
}
