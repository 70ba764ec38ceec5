/**
 * The reverb that spessasynth_core uses (a Dattorro plate: khoin's public-domain DattorroReverbNode as adapted
 * by spessasynth_core, Apache-2.0, including its GS character/time/level mapping), rewritten for speed: flat
 * typed arrays, one shared sample counter instead of per-line read/write cursors, no per-sample property
 * lookups. For the reverb characters 0-5 it produces the same samples as the built-in processor (the test
 * compares them); the delay characters 6 and 7 fall back to character 0, which the `ReverbProcessor` contract
 * allows ("if character is not available, it should default to the first one"). Motif never sends the SysEx
 * that would select them.
 */

import type { ReverbProcessor, ReverbProcessorSnapshot } from 'spessasynth_core';

/** Delay line lengths in seconds, in the order the tank uses them (0-3 input diffusers, 4-11 the tank). */
const DELAY_SECONDS = [
  0.004771345, 0.003595309, 0.012734787, 0.009307483, 0.022579886, 0.149625349, 0.060481839, 0.1249958, 0.030509727,
  0.141695508, 0.089244313, 0.106280031,
] as const;

/** Output taps in seconds: seven for the left channel, then seven for the right. */
const TAP_SECONDS = [
  0.008937872, 0.099929438, 0.064278754, 0.067067639, 0.066866033, 0.006283391, 0.035818689, 0.011861161, 0.121870905,
  0.041262054, 0.08981553, 0.070931756, 0.011256342, 0.004065724,
] as const;

interface Character {
  readonly damping: number;
  readonly time: number;
  readonly gain: number;
  readonly lowpass: number;
  readonly decayDiffusion1: number;
  readonly decayDiffusion2: number;
}

/** spessasynth_core's reverb characters (GS Room 1-3, Hall 1-2, Plate). */
const CHARACTERS: readonly Character[] = [
  { damping: 0.85, time: 0.9, gain: 0.9, lowpass: 0.2, decayDiffusion1: 0.7, decayDiffusion2: 0.5 },
  { damping: 0.2, time: 1, gain: 0.7, lowpass: 0.2, decayDiffusion1: 0.6, decayDiffusion2: 0.64 },
  { damping: 0.56, time: 1, gain: 0.75, lowpass: 0.1, decayDiffusion1: 0.6, decayDiffusion2: 0.64 },
  { damping: 0.3, time: 1.3, gain: 1.25, lowpass: 0, decayDiffusion1: 0.66, decayDiffusion2: 0.7 },
  { damping: 0.1, time: 1.2, gain: 1, lowpass: 0.1, decayDiffusion1: 0.67, decayDiffusion2: 0.69 },
  { damping: 0.65, time: 0.5, gain: 0.75, lowpass: 0, decayDiffusion1: 0.7, decayDiffusion2: 0.5 },
];

const INPUT_DIFFUSION_1 = 0.75;
const INPUT_DIFFUSION_2 = 0.625;
const EXCURSION_RATE = 0.5;
const EXCURSION_DEPTH = 0.7;

/** A fast, sample-exact port of spessasynth_core's reverb, to pass as `SynthProcessorOptions.reverbProcessor`. */
export class DattorroReverb implements ReverbProcessor {
  private readonly sampleRate: number;
  /** All twelve delay lines back to back in one buffer; line k starts at `lineStart[k]`. */
  private readonly lines: Float32Array;
  private readonly lineStart: Int32Array;
  private readonly lineMask: Int32Array;
  /** Where line k writes relative to its read cursor: its length in samples minus one. */
  private readonly writeOffset: Int32Array;
  private readonly taps: Int16Array;
  private readonly preDelayLine: Float32Array;
  private preDelayWrite = 0;
  /** Samples processed so far: line k reads at `counter & mask[k]` and writes at `(counter + writeOffset[k]) & mask[k]`. */
  private counter = 0;
  private excursionPhase = 0;
  private lp1 = 0;
  private lp2 = 0;
  private lp3 = 0;

  private characterIndex = 0;
  private timeValue = 0;
  private levelValue = 0;
  private preLowpassValue = 0;
  private preDelayValue = 0;
  private delayFeedbackValue = 0;

  private preDelaySamples = 0;
  private preLpf = 0.5;
  private decay = 0.5;
  private damping = 0.005;
  private decayDiffusion1 = 0.7;
  private decayDiffusion2 = 0.5;
  private outputGain = 1;
  private characterTime = 1;
  private characterGain = 1;
  private characterLowpass = 0;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    this.preDelayLine = new Float32Array(sampleRate);
    this.lineStart = new Int32Array(DELAY_SECONDS.length);
    this.lineMask = new Int32Array(DELAY_SECONDS.length);
    this.writeOffset = new Int32Array(DELAY_SECONDS.length);
    let total = 0;
    DELAY_SECONDS.forEach((seconds, k) => {
      const length = Math.round(seconds * sampleRate);
      const size = 2 ** Math.ceil(Math.log2(length));
      this.lineStart[k] = total;
      this.lineMask[k] = size - 1;
      this.writeOffset[k] = length - 1;
      total += size;
    });
    this.lines = new Float32Array(total);
    this.taps = Int16Array.from(TAP_SECONDS, (seconds) => Math.round(seconds * sampleRate));
    this.character = 0;
  }

  get character(): number {
    return this.characterIndex;
  }
  set character(value: number) {
    this.characterIndex = value;
    const character = CHARACTERS[value] ?? CHARACTERS[0];
    if (character !== undefined) {
      this.damping = character.damping;
      this.characterTime = character.time;
      this.characterGain = character.gain;
      this.characterLowpass = character.lowpass;
      this.decayDiffusion1 = character.decayDiffusion1;
      this.decayDiffusion2 = character.decayDiffusion2;
    }
    this.updateTime();
    this.updateGain();
    this.updateLowpass();
  }

  get time(): number {
    return this.timeValue;
  }
  set time(value: number) {
    this.timeValue = value;
    this.updateTime();
  }

  get level(): number {
    return this.levelValue;
  }
  set level(value: number) {
    this.levelValue = value;
    this.updateGain();
  }

  get preLowpass(): number {
    return this.preLowpassValue;
  }
  set preLowpass(value: number) {
    this.preLowpassValue = value;
    this.updateLowpass();
  }

  get preDelayTime(): number {
    return this.preDelayValue;
  }
  set preDelayTime(value: number) {
    this.preDelayValue = value;
    this.preDelaySamples = (value / 1000) * this.sampleRate;
  }

  /** Stored for snapshots only: it drives the delay characters, which this processor does not have. */
  get delayFeedback(): number {
    return this.delayFeedbackValue;
  }
  set delayFeedback(value: number) {
    this.delayFeedbackValue = value;
  }

  getSnapshot(): ReverbProcessorSnapshot {
    return {
      level: this.levelValue,
      preLowpass: this.preLowpassValue,
      character: this.characterIndex,
      time: this.timeValue,
      delayFeedback: this.delayFeedbackValue,
      preDelayTime: this.preDelayValue,
    };
  }

  /** Adds the reverb of `input[0, sampleCount)` to the outputs at `[startIndex, startIndex + sampleCount)`. */
  process(
    input: Float32Array,
    outputLeft: Float32Array,
    outputRight: Float32Array,
    startIndex: number,
    sampleCount: number,
  ): void {
    const { lines, preDelayLine } = this;
    const preDelayLength = preDelayLine.length;
    const preDelay = this.preDelaySamples | 0;
    const fi = INPUT_DIFFUSION_1;
    const si = INPUT_DIFFUSION_2;
    const dc = this.decay;
    const ft = this.decayDiffusion1;
    const st = this.decayDiffusion2;
    const dp = 1 - this.damping;
    const preLpf = this.preLpf;
    const excursionStep = EXCURSION_RATE / this.sampleRate;
    const excursionDepth = (EXCURSION_DEPTH * this.sampleRate) / 1000;
    const gain = this.outputGain;

    const blockStart = this.preDelayWrite;
    for (let j = 0; j < sampleCount; j++) preDelayLine[(blockStart + j) % preDelayLength] = input[j] ?? 0;

    // Per-line constants hoisted out of the sample loop (the defaults only satisfy the type checker).
    const [s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0, s8 = 0, s9 = 0, s10 = 0, s11 = 0] =
      this.lineStart;
    const [m0 = 0, m1 = 0, m2 = 0, m3 = 0, m4 = 0, m5 = 0, m6 = 0, m7 = 0, m8 = 0, m9 = 0, m10 = 0, m11 = 0] =
      this.lineMask;
    const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0, w8 = 0, w9 = 0, w10 = 0, w11 = 0] =
      this.writeOffset;
    const [
      t0 = 0,
      t1 = 0,
      t2 = 0,
      t3 = 0,
      t4 = 0,
      t5 = 0,
      t6 = 0,
      t7 = 0,
      t8 = 0,
      t9 = 0,
      t10 = 0,
      t11 = 0,
      t12 = 0,
      t13 = 0,
    ] = this.taps;

    /** Cubic (Catmull-Rom) read of a line at a fractional offset from its read cursor. */
    const readCubic = (start: number, mask: number, read: number, offset: number): number => {
      const whole = ~~offset;
      const frac = offset - whole;
      let at = whole + read - 1;
      const x0 = lines[start + (at++ & mask)] ?? 0;
      const x1 = lines[start + (at++ & mask)] ?? 0;
      const x2 = lines[start + (at++ & mask)] ?? 0;
      const x3 = lines[start + (at & mask)] ?? 0;
      const a = (3 * (x1 - x2) - x0 + x3) / 2;
      const b = 2 * x2 + x0 - (5 * x1 + x3) / 2;
      const c = (x2 - x0) / 2;
      return ((a * frac + b) * frac + c) * frac + x1;
    };

    let n = this.counter;
    let lp1 = this.lp1;
    let lp2 = this.lp2;
    let lp3 = this.lp3;
    let phase = this.excursionPhase;
    for (let i = 0; i < sampleCount; i++, n++) {
      const r0 = n & m0,
        r1 = n & m1,
        r2 = n & m2,
        r3 = n & m3,
        r4 = n & m4,
        r5 = n & m5;
      const r6 = n & m6,
        r7 = n & m7,
        r8 = n & m8,
        r9 = n & m9,
        r10 = n & m10,
        r11 = n & m11;

      lp1 += preLpf * ((preDelayLine[(preDelayLength + blockStart - preDelay + i) % preDelayLength] ?? 0) - lp1);
      let pre = lp1 - fi * (lines[s0 + r0] ?? 0);
      lines[s0 + ((n + w0) & m0)] = pre;
      pre = fi * (pre - (lines[s1 + r1] ?? 0)) + (lines[s0 + r0] ?? 0);
      lines[s1 + ((n + w1) & m1)] = pre;
      pre = fi * pre + (lines[s1 + r1] ?? 0) - si * (lines[s2 + r2] ?? 0);
      lines[s2 + ((n + w2) & m2)] = pre;
      pre = si * (pre - (lines[s3 + r3] ?? 0)) + (lines[s2 + r2] ?? 0);
      lines[s3 + ((n + w3) & m3)] = pre;
      const split = si * pre + (lines[s3 + r3] ?? 0);

      const exc = excursionDepth * (1 + Math.cos(phase * 6.28));
      const exc2 = excursionDepth * (1 + Math.sin(phase * 6.2847));

      let temp = split + dc * (lines[s11 + r11] ?? 0) + ft * readCubic(s4, m4, r4, exc);
      lines[s4 + ((n + w4) & m4)] = temp;
      lines[s5 + ((n + w5) & m5)] = readCubic(s4, m4, r4, exc) - ft * temp;
      lp2 += dp * ((lines[s5 + r5] ?? 0) - lp2);
      temp = dc * lp2 - st * (lines[s6 + r6] ?? 0);
      lines[s6 + ((n + w6) & m6)] = temp;
      lines[s7 + ((n + w7) & m7)] = (lines[s6 + r6] ?? 0) + st * temp;

      temp = split + dc * (lines[s7 + r7] ?? 0) + ft * readCubic(s8, m8, r8, exc2);
      lines[s8 + ((n + w8) & m8)] = temp;
      lines[s9 + ((n + w9) & m9)] = readCubic(s8, m8, r8, exc2) - ft * temp;
      lp3 += dp * ((lines[s9 + r9] ?? 0) - lp3);
      temp = dc * lp3 - st * (lines[s10 + r10] ?? 0);
      lines[s10 + ((n + w10) & m10)] = temp;
      lines[s11 + ((n + w11) & m11)] = (lines[s10 + r10] ?? 0) + st * temp;

      const left =
        (lines[s9 + ((r9 + t0) & m9)] ?? 0) +
        (lines[s9 + ((r9 + t1) & m9)] ?? 0) -
        (lines[s10 + ((r10 + t2) & m10)] ?? 0) +
        (lines[s11 + ((r11 + t3) & m11)] ?? 0) -
        (lines[s5 + ((r5 + t4) & m5)] ?? 0) -
        (lines[s6 + ((r6 + t5) & m6)] ?? 0) -
        (lines[s7 + ((r7 + t6) & m7)] ?? 0);
      const right =
        (lines[s5 + ((r5 + t7) & m5)] ?? 0) +
        (lines[s5 + ((r5 + t8) & m5)] ?? 0) -
        (lines[s6 + ((r6 + t9) & m6)] ?? 0) +
        (lines[s7 + ((r7 + t10) & m7)] ?? 0) -
        (lines[s9 + ((r9 + t11) & m9)] ?? 0) -
        (lines[s10 + ((r10 + t12) & m10)] ?? 0) -
        (lines[s11 + ((r11 + t13) & m11)] ?? 0);
      const out = i + startIndex;
      outputLeft[out] = (outputLeft[out] ?? 0) + left * gain;
      outputRight[out] = (outputRight[out] ?? 0) + right * gain;
      phase += excursionStep;
    }
    this.counter = n;
    this.lp1 = lp1;
    this.lp2 = lp2;
    this.lp3 = lp3;
    this.excursionPhase = phase;
    this.preDelayWrite = (blockStart + sampleCount) % preDelayLength;
  }

  private updateTime(): void {
    this.decay = this.characterTime * (0.05 + 0.65 * (this.timeValue / 127));
  }

  private updateGain(): void {
    this.outputGain = (this.levelValue / 345) * this.characterGain;
  }

  private updateLowpass(): void {
    this.preLpf = Math.min(1, 0.1 + (7 - this.preLowpassValue) / 14 + this.characterLowpass);
  }
}
