/**
 * Motif's own reverb: an eight-line feedback delay network (FDN), passed to spessasynth_core as
 * `SynthProcessorOptions.reverbProcessor` in place of its built-in reverb.
 *
 * Signal flow for each sample of the mono reverb send:
 *
 *   send -> pre-low-pass (GS "pre-LPF") -> 30 Hz high-pass -> pre-delay -> 4 series all-pass diffusers
 *        -> added, with alternating signs, to the input of each of the 8 delay lines
 *   line k output -> one-pole low-pass with DC gain g_k (decay + damping) -> y_k
 *   y -> 8x8 Hadamard matrix (orthogonal, so lossless apart from g_k) -> line inputs
 *   left  = y0 - y2 + y4 - y6,   right = y1 - y3 + y5 - y7   (disjoint lines: decorrelated stereo)
 *
 * Line lengths are distinct primes (so mutually prime), spread geometrically over ~29-83 ms and scaled by the
 * character's room size. Each line's loop filter is H_k(z) = g_k (1 - p_k) / (1 - p_k z^-1) with
 * g_k = 10^(-3 n_k / (fs T_low)), which makes every line lose 60 dB in T_low seconds at DC, and p_k chosen so
 * the gain at Nyquist is g_k^(T_low / T_high): 60 dB in T_high seconds there. Since all lines decay at the same
 * rate per second, the tail is a clean exponential without any line ringing on after the others.
 *
 * Parameter mapping (GS ranges, as the `ReverbProcessor` contract gives them):
 * - `character` 0-5 pick Room 1-3, Hall 1-2 and Plate from CHARACTERS (size, base RT60, high-frequency decay
 *   ratio, diffusion, built-in pre-delay, gain). 6 and 7 are GS delay effects, which this reverb does not do:
 *   they fall back to character 0, as the contract allows. `delayFeedback` only matters to those two, so it is
 *   stored and reported but otherwise unused.
 * - `time` 0-127: T_low = baseRt60 * 2^((time - 64) / 24), so 64 gives the character's base RT60 and every 24
 *   steps double or halve it (Hall 2: 0.35 s at 0, 2.2 s at 64, 13.6 s at 127), clamped to 0.1-20 s.
 * - `level` 0-127: output gain, linear in level (0 is silent), times the character's gain.
 * - `preLowpass` 0-7: one-pole low-pass on the send; 0 is off, then 16 kHz halving every step to 250 Hz at 7.
 * - `preDelayTime` 0-127 ms: added to the character's own pre-delay.
 *
 * Silence in gives silence out, and once the send has been silent long enough for the tail to fall below
 * -140 dB the network is cleared and skipped until the send sounds again (which also keeps denormals out).
 *
 * Processing runs in chunks no longer than the shortest line, so inside a chunk no line is read where it is
 * written: send conditioning, the loop filters (four lines per loop) and the feedback matrix each get their
 * own tight loop over the chunk. The arithmetic is the per-sample network's, in the same order, to the bit.
 */

import type { ReverbProcessor, ReverbProcessorSnapshot } from 'spessasynth_core';

/** Delay line lengths in milliseconds for a character of size 1; rounded to distinct primes in samples. */
const LINE_MS = [29.3, 34.1, 39.7, 46.3, 53.9, 62.9, 72.1, 83.3] as const;

/** Input all-pass diffuser lengths in milliseconds (rounded to primes). */
const DIFFUSER_MS = [1.3, 2.3, 3.7, 5.9] as const;

interface Character {
  /** Scales LINE_MS: the room size. */
  readonly size: number;
  /** RT60 at low frequencies, in seconds, at `time` 64. */
  readonly rt60: number;
  /** RT60 at Nyquist divided by RT60 at DC: lower is darker. */
  readonly highRatio: number;
  /** All-pass diffuser coefficient: higher smears the attack more. */
  readonly diffusion: number;
  /** Pre-delay in milliseconds before `preDelayTime` is added. */
  readonly preDelayMs: number;
  /** Output gain relative to the others. */
  readonly gain: number;
}

/** Room 1-3, Hall 1-2, Plate. */
const CHARACTERS: readonly Character[] = [
  { size: 0.5, rt60: 0.8, highRatio: 0.4, diffusion: 0.62, preDelayMs: 3, gain: 1.1 },
  { size: 0.62, rt60: 1.1, highRatio: 0.6, diffusion: 0.6, preDelayMs: 5, gain: 0.95 },
  { size: 0.72, rt60: 1.3, highRatio: 0.35, diffusion: 0.64, preDelayMs: 8, gain: 1 },
  { size: 1.05, rt60: 1.9, highRatio: 0.45, diffusion: 0.7, preDelayMs: 14, gain: 1 },
  { size: 1.2, rt60: 2.2, highRatio: 0.5, diffusion: 0.7, preDelayMs: 18, gain: 1 },
  { size: 0.6, rt60: 1.5, highRatio: 0.75, diffusion: 0.75, preDelayMs: 1, gain: 0.9 },
];
const MAX_SIZE = Math.max(...CHARACTERS.map((character) => character.size));
const MAX_PRE_DELAY_MS = 127 + Math.max(...CHARACTERS.map((character) => character.preDelayMs));

const LINES = LINE_MS.length;
/** Hadamard normalisation, 1/sqrt(8), folded into the loop filters' input gain. */
const HADAMARD_SCALE = 1 / Math.sqrt(LINES);
/** Overall output gain, chosen so the default setting sits at about the loudness of spessasynth_core's reverb. */
const OUTPUT_SCALE = 0.45;
/** Below this the tail counts as silent (-140 dB). */
const SILENCE = 1e-7;
/** Samples per chunk of processing, at most: the scratch buffers' size. */
const MAX_CHUNK = 512;
/** Ring buffer positions wrap here; every buffer size is a power of two that divides it. */
const POSITION_MASK = 0x3fffffff;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** The smallest prime >= n that is not in `taken`. */
function primeAtLeast(n: number, taken: readonly number[]): number {
  let p = Math.max(2, Math.round(n));
  while (!isPrime(p) || taken.includes(p)) p++;
  return p;
}

function powerOfTwoAtLeast(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(2, n)));
}

/** An original feedback-delay-network reverb implementing spessasynth_core's `ReverbProcessor`. */
export class FdnReverb implements ReverbProcessor {
  private readonly sampleRate: number;

  /** The eight delay lines back to back, `lineSize` samples each. */
  private readonly lines: Float32Array;
  private readonly lineSize: number;
  private readonly lineLength = new Int32Array(LINES);
  /** Loop filter input gain g_k (1 - p_k) / sqrt(8), and pole p_k. */
  private readonly lineGain = new Float64Array(LINES);
  private readonly linePole = new Float64Array(LINES);
  /** Loop filter states y_k. */
  private readonly lineState = new Float64Array(LINES);
  /** The shortest line's length: chunks are never longer, so no line is read where the chunk writes. */
  private shortestLine = 1;
  /** Scratch: each line's filtered output over a chunk, MAX_CHUNK apart, and the diffused send. */
  private readonly filtered = new Float64Array(LINES * MAX_CHUNK);
  private readonly diffused = new Float64Array(MAX_CHUNK);

  private readonly diffusers: Float32Array;
  private readonly diffuserSize: number;
  private readonly diffuserLength = new Int32Array(DIFFUSER_MS.length);
  private readonly preDelayLine: Float32Array;

  private position = 0;
  private preDelaySamples = 0;
  private diffusion = 0.6;
  private lowpassCoefficient = 1;
  private lowpassState = 0;
  private highpassCoefficient: number;
  private highpassIn = 0;
  private highpassOut = 0;
  private outputGain = 0;
  /** True while the network holds only zeros and may be skipped for silent input. */
  private idle = true;
  /** Samples since the send last had a non-zero sample. */
  private silentSamples = 0;

  /** GS defaults: Hall 2, time 64, level 64 (spessasynth_core sets the same on reset). */
  private characterValue = 4;
  private timeValue = 64;
  private levelValue = 64;
  private preLowpassValue = 0;
  private preDelayTimeValue = 0;
  private delayFeedbackValue = 0;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    const longestLine = ((Math.max(...LINE_MS) * MAX_SIZE) / 1000) * sampleRate + 64;
    this.lineSize = powerOfTwoAtLeast(longestLine);
    this.lines = new Float32Array(LINES * this.lineSize);
    const taken: number[] = [];
    for (const [k, ms] of DIFFUSER_MS.entries()) {
      const length = primeAtLeast((ms / 1000) * sampleRate, taken);
      taken.push(length);
      this.diffuserLength[k] = length;
    }
    this.diffuserSize = powerOfTwoAtLeast(Math.max(...taken) + 1);
    this.diffusers = new Float32Array(DIFFUSER_MS.length * this.diffuserSize);
    this.preDelayLine = new Float32Array(powerOfTwoAtLeast((MAX_PRE_DELAY_MS / 1000) * sampleRate + 1));
    this.highpassCoefficient = Math.exp((-2 * Math.PI * 30) / sampleRate);
    this.update();
  }

  get character(): number {
    return this.characterValue;
  }
  set character(value: number) {
    this.characterValue = value;
    this.update();
  }

  get time(): number {
    return this.timeValue;
  }
  set time(value: number) {
    this.timeValue = value;
    this.update();
  }

  get level(): number {
    return this.levelValue;
  }
  set level(value: number) {
    this.levelValue = value;
    this.update();
  }

  get preLowpass(): number {
    return this.preLowpassValue;
  }
  set preLowpass(value: number) {
    this.preLowpassValue = value;
    this.update();
  }

  get preDelayTime(): number {
    return this.preDelayTimeValue;
  }
  set preDelayTime(value: number) {
    this.preDelayTimeValue = value;
    this.update();
  }

  get delayFeedback(): number {
    return this.delayFeedbackValue;
  }
  set delayFeedback(value: number) {
    this.delayFeedbackValue = value;
  }

  getSnapshot(): ReverbProcessorSnapshot {
    return {
      character: this.characterValue,
      time: this.timeValue,
      level: this.levelValue,
      preLowpass: this.preLowpassValue,
      preDelayTime: this.preDelayTimeValue,
      delayFeedback: this.delayFeedbackValue,
    };
  }

  /** The low-frequency RT60 in seconds that the current character and time give. */
  get rt60(): number {
    const character = CHARACTERS[this.characterValue] ?? CHARACTERS[0];
    const base = character?.rt60 ?? 1;
    return Math.min(20, Math.max(0.1, base * 2 ** ((this.timeValue - 64) / 24)));
  }

  /** Recomputes the derived coefficients; called by every setter, never while processing. */
  private update(): void {
    const character = CHARACTERS[this.characterValue] ?? CHARACTERS[0];
    if (character === undefined) return;
    const fs = this.sampleRate;
    const lowRt60 = this.rt60;
    const highRt60 = lowRt60 * character.highRatio;
    const taken: number[] = [];
    for (const [k, ms] of LINE_MS.entries()) {
      const length = primeAtLeast(((ms * character.size) / 1000) * fs, taken);
      taken.push(length);
      this.lineLength[k] = length;
      const dcGain = 10 ** ((-3 * length) / (fs * lowRt60));
      const nyquistGain = 10 ** ((-3 * length) / (fs * highRt60));
      // (1 - p) / (1 + p) = nyquistGain / dcGain
      const ratio = nyquistGain / dcGain;
      const pole = Math.min(0.95, Math.max(0, (1 - ratio) / (1 + ratio)));
      this.linePole[k] = pole;
      this.lineGain[k] = dcGain * (1 - pole) * HADAMARD_SCALE;
    }
    this.shortestLine = Math.min(...taken);
    this.diffusion = character.diffusion;
    const preDelayMs = character.preDelayMs + Math.min(127, Math.max(0, this.preDelayTimeValue));
    this.preDelaySamples = Math.round((preDelayMs / 1000) * fs);
    const preLowpass = Math.min(7, Math.max(0, Math.round(this.preLowpassValue)));
    this.lowpassCoefficient =
      preLowpass === 0 ? 1 : 1 - Math.exp((-2 * Math.PI * Math.min(16000 / 2 ** (preLowpass - 1), fs * 0.45)) / fs);
    // Undo the Hadamard scale folded into the loop gains; four lines per side, so 1/2 keeps the power.
    const level = Math.min(127, Math.max(0, this.levelValue)) / 127;
    this.outputGain = (OUTPUT_SCALE * level * character.gain * 0.5) / HADAMARD_SCALE;
  }

  process(
    input: Float32Array,
    outputLeft: Float32Array,
    outputRight: Float32Array,
    startIndex: number,
    sampleCount: number,
  ): void {
    let silentSamples = this.silentSamples;
    if (this.idle) {
      let sounding = false;
      for (let i = 0; i < sampleCount; i++) {
        if (input[i] !== 0) {
          sounding = true;
          break;
        }
      }
      if (!sounding) return;
      this.idle = false;
      silentSamples = 0;
    }

    // Every delay line is longer than a chunk, so within one chunk the lines are only read where earlier chunks
    // wrote them: the loop filters can run line by line over the chunk, and the feedback matrix after them.
    const chunk = Math.min(MAX_CHUNK, this.shortestLine);
    for (let done = 0; done < sampleCount; done += chunk) {
      const count = Math.min(chunk, sampleCount - done);
      silentSamples = this.diffuse(input, done, count, silentSamples);
      this.filterLines(count);
      this.mix(outputLeft, outputRight, startIndex + done, count);
      this.position = (this.position + count) & POSITION_MASK;
    }
    const { lineLength, lineState } = this;
    const [n7 = 1] = lineLength.subarray(7);
    const [m0 = 1, m1 = 1, m2 = 1, m3 = 1] = this.diffuserLength;
    const preDelay = this.preDelaySamples;
    const gain = this.outputGain;
    this.silentSamples = silentSamples;

    // Long after the send fell silent, a tail below -140 dB is cleared and the network skipped until it sounds.
    const drained = preDelay + m0 + m1 + m2 + m3 + n7;
    if (silentSamples > drained) {
      let loudest = 0;
      for (let k = 0; k < LINES; k++) loudest = Math.max(loudest, Math.abs(lineState[k] ?? 0));
      if (loudest * gain < SILENCE) this.clear();
    }
  }

  /**
   * Send conditioning and diffusion of `count` send samples from input[offset]: GS pre-LPF, a 30 Hz high-pass
   * so the tail never holds DC or rumble, pre-delay, then four Schroeder all-passes (z^-m - g) / (1 - g z^-m).
   * Leaves the diffused send in `diffused` and returns the updated count of silent send samples.
   */
  private diffuse(input: Float32Array, offset: number, count: number, silentSamples: number): number {
    const { diffusers, preDelayLine, diffused } = this;
    const diffuserMask = this.diffuserSize - 1;
    const d1 = this.diffuserSize;
    const d2 = 2 * d1;
    const d3 = 3 * d1;
    const [m0 = 1, m1 = 1, m2 = 1, m3 = 1] = this.diffuserLength;
    const g = this.diffusion;
    const preMask = preDelayLine.length - 1;
    const preDelay = this.preDelaySamples;
    const lowpass = this.lowpassCoefficient;
    const highpass = this.highpassCoefficient;
    let lowpassState = this.lowpassState;
    let highpassIn = this.highpassIn;
    let highpassOut = this.highpassOut;
    let silent = silentSamples;
    const start = this.position;
    for (let i = 0; i < count; i++) {
      const pos = start + i;
      const send = input[offset + i] ?? 0;
      if (send !== 0) silent = 0;
      else silent++;
      lowpassState += lowpass * (send - lowpassState);
      highpassOut = lowpassState - highpassIn + highpass * highpassOut;
      highpassIn = lowpassState;
      preDelayLine[pos & preMask] = highpassOut;
      let x = preDelayLine[(pos - preDelay) & preMask] ?? 0;
      const dw = pos & diffuserMask;
      let z = diffusers[(pos - m0) & diffuserMask] ?? 0;
      let w = x + g * z;
      diffusers[dw] = w;
      x = z - g * w;
      z = diffusers[d1 + ((pos - m1) & diffuserMask)] ?? 0;
      w = x + g * z;
      diffusers[d1 + dw] = w;
      x = z - g * w;
      z = diffusers[d2 + ((pos - m2) & diffuserMask)] ?? 0;
      w = x + g * z;
      diffusers[d2 + dw] = w;
      x = z - g * w;
      z = diffusers[d3 + ((pos - m3) & diffuserMask)] ?? 0;
      w = x + g * z;
      diffusers[d3 + dw] = w;
      x = z - g * w;
      diffused[i] = x;
    }
    this.lowpassState = lowpassState;
    this.highpassIn = highpassIn;
    this.highpassOut = highpassOut;
    return silent;
  }

  /**
   * Reads `count` samples of every line's output through its decay/damping low-pass into `filtered` (line k
   * from k * MAX_CHUNK). Four lines per loop: four independent recursions keep the multipliers busy.
   */
  private filterLines(count: number): void {
    const { lines, lineLength, lineGain, linePole, lineState, filtered } = this;
    const mask = this.lineSize - 1;
    const pos = this.position;
    for (let first = 0; first < LINES; first += 4) {
      const [n0 = 1, n1 = 1, n2 = 1, n3 = 1] = lineLength.subarray(first, first + 4);
      const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = lineGain.subarray(first, first + 4);
      const [p0 = 0, p1 = 0, p2 = 0, p3 = 0] = linePole.subarray(first, first + 4);
      let [y0 = 0, y1 = 0, y2 = 0, y3 = 0] = lineState.subarray(first, first + 4);
      const l0 = first * this.lineSize;
      const l1 = l0 + this.lineSize;
      const l2 = l1 + this.lineSize;
      const l3 = l2 + this.lineSize;
      const f0 = first * MAX_CHUNK;
      const f1 = f0 + MAX_CHUNK;
      const f2 = f1 + MAX_CHUNK;
      const f3 = f2 + MAX_CHUNK;
      for (let i = 0; i < count; i++) {
        const at = pos + i;
        y0 = b0 * (lines[l0 + ((at - n0) & mask)] ?? 0) + p0 * y0;
        y1 = b1 * (lines[l1 + ((at - n1) & mask)] ?? 0) + p1 * y1;
        y2 = b2 * (lines[l2 + ((at - n2) & mask)] ?? 0) + p2 * y2;
        y3 = b3 * (lines[l3 + ((at - n3) & mask)] ?? 0) + p3 * y3;
        filtered[f0 + i] = y0;
        filtered[f1 + i] = y1;
        filtered[f2 + i] = y2;
        filtered[f3 + i] = y3;
      }
      lineState[first] = y0;
      lineState[first + 1] = y1;
      lineState[first + 2] = y2;
      lineState[first + 3] = y3;
    }
  }

  /**
   * Adds the stereo output to the output buffers from `out` on, and feeds the lines: the filtered outputs
   * through a fast Walsh-Hadamard transform (its 1/sqrt(8) is already in the loop gains), plus the diffused
   * send with alternating signs.
   */
  private mix(outputLeft: Float32Array, outputRight: Float32Array, out: number, count: number): void {
    const { lines, filtered, diffused } = this;
    const mask = this.lineSize - 1;
    const l1 = this.lineSize;
    const l2 = 2 * l1;
    const l3 = 3 * l1;
    const l4 = 4 * l1;
    const l5 = 5 * l1;
    const l6 = 6 * l1;
    const l7 = 7 * l1;
    const gain = this.outputGain;
    const pos = this.position;
    for (let i = 0; i < count; i++) {
      const y0 = filtered[i] ?? 0;
      const y1 = filtered[MAX_CHUNK + i] ?? 0;
      const y2 = filtered[2 * MAX_CHUNK + i] ?? 0;
      const y3 = filtered[3 * MAX_CHUNK + i] ?? 0;
      const y4 = filtered[4 * MAX_CHUNK + i] ?? 0;
      const y5 = filtered[5 * MAX_CHUNK + i] ?? 0;
      const y6 = filtered[6 * MAX_CHUNK + i] ?? 0;
      const y7 = filtered[7 * MAX_CHUNK + i] ?? 0;
      const x = diffused[i] ?? 0;
      const o = out + i;
      outputLeft[o] = (outputLeft[o] ?? 0) + gain * (y0 - y2 + y4 - y6);
      outputRight[o] = (outputRight[o] ?? 0) + gain * (y1 - y3 + y5 - y7);
      const a0 = y0 + y1;
      const a1 = y0 - y1;
      const a2 = y2 + y3;
      const a3 = y2 - y3;
      const a4 = y4 + y5;
      const a5 = y4 - y5;
      const a6 = y6 + y7;
      const a7 = y6 - y7;
      const c0 = a0 + a2;
      const c1 = a1 + a3;
      const c2 = a0 - a2;
      const c3 = a1 - a3;
      const c4 = a4 + a6;
      const c5 = a5 + a7;
      const c6 = a4 - a6;
      const c7 = a5 - a7;
      const lw = (pos + i) & mask;
      lines[lw] = c0 + c4 + x;
      lines[l1 + lw] = c1 + c5 - x;
      lines[l2 + lw] = c2 + c6 + x;
      lines[l3 + lw] = c3 + c7 - x;
      lines[l4 + lw] = c0 - c4 + x;
      lines[l5 + lw] = c1 - c5 - x;
      lines[l6 + lw] = c2 - c6 + x;
      lines[l7 + lw] = c3 - c7 - x;
    }
  }

  /** Zeroes every buffer and state and marks the network idle. */
  private clear(): void {
    this.lines.fill(0);
    this.diffusers.fill(0);
    this.preDelayLine.fill(0);
    this.lineState.fill(0);
    this.lowpassState = 0;
    this.highpassIn = 0;
    this.highpassOut = 0;
    this.idle = true;
  }
}
