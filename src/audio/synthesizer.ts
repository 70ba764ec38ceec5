/**
 * Offline SoundFont rendering of a Score with spessasynth_core: 48 kHz stereo, reverb and chorus on. One
 * Synthesizer parses its SoundFont once and renders many Scores; every render starts from a fresh
 * synthesizer state, so the same Score always renders to the same samples.
 */

import { BasicSoundBank, MIDIControllers, SpessaSynthProcessor } from 'spessasynth_core';

import type { Score } from '../music/score.ts';
import { FdnReverb } from './fdn-reverb.ts';
import { SAMPLE_RATE, type AudioScratch, type StereoAudio } from './stereo-audio.ts';
import { SharedSamples, type SharedSampleBuffers } from './shared-samples.ts';
import { parseSharingCompressedData, parseStreamedSoundBank, parseWhole, shareCompressedData } from './sound-bank.ts';
import type { CompressedSampleIndex } from './soundfont-index.ts';
import { scheduleScore, type SynthSchedule } from './synth-schedule.ts';

/**
 * Frames rendered per synthesizer call, unless an event comes first. Envelopes and LFOs move once per block
 * (interpolated inside it), so this trades timbre detail against per-voice overhead; 256 frames is 5.3 ms.
 */
const BLOCK_FRAMES = 256;

/** How many blocks pass between two looks at the cancel flag (~0.1 s of audio). */
const CANCEL_CHECK_BLOCKS = 16;

export interface SynthesizerRenderOptions {
  /** Polled while rendering; when it returns true the render stops with an `AbortError`. */
  readonly isCancelled?: () => boolean;
  /**
   * Render into these reused buffers (keys `synth.left` and `synth.right`) instead of new arrays: the audio
   * returned is then only valid until the next render with the same scratch.
   */
  readonly scratch?: AudioScratch | undefined;
}

export interface SynthesizerOptions {
  /**
   * Decoded samples shared with other Synthesizers of this process (see shared-samples.ts). Without them this
   * Synthesizer decodes and keeps its own copy of every sample it plays.
   */
  readonly sharedSamples?: SharedSampleBuffers | undefined;
}

/** Renders Scores with one parsed SoundFont. Synchronous and CPU-bound: run it in a worker (see RenderPool). */
export class Synthesizer {
  private readonly soundBank: BasicSoundBank;
  private readonly sharedSamples: SharedSamples | undefined;

  private constructor(soundBank: BasicSoundBank, sharedSamples: SharedSamples | undefined) {
    this.soundBank = soundBank;
    this.sharedSamples = sharedSamples;
  }

  /**
   * Parses a SoundFont 2/3 file. `bytes` may live in a SharedArrayBuffer: it is only read, never written.
   * @throws Error from spessasynth_core when the file is not a usable SoundFont.
   */
  static async load(bytes: Uint8Array, options: SynthesizerOptions = {}): Promise<Synthesizer> {
    await BasicSoundBank.isSF3DecoderReady;
    const { sharedSamples } = options;
    if (sharedSamples === undefined) return new Synthesizer(parseWhole(bytes), undefined);
    // The Vorbis streams are read from `bytes` (shared by the pool) rather than from per-worker copies: parsed
    // without them where the file allows it, else parsed whole and pointed back at `bytes`.
    let soundBank = parseSharingCompressedData(bytes);
    if (soundBank === undefined) {
      soundBank = parseWhole(bytes);
      shareCompressedData(soundBank, bytes);
    }
    return new Synthesizer(soundBank, new SharedSamples(sharedSamples, soundBank));
  }

  /**
   * Parses an indexed SF3 whose sample data stays in its file: `readStream(start, end)` gives the bytes of a
   * sample's stream the first time the sample is decoded (see sound-bank.ts).
   * @throws Error when the index does not parse into the samples it lists, or from spessasynth_core.
   */
  static async loadStreamed(
    index: CompressedSampleIndex,
    readStream: (start: number, end: number) => Uint8Array,
    options: SynthesizerOptions = {},
  ): Promise<Synthesizer> {
    await BasicSoundBank.isSF3DecoderReady;
    const soundBank = parseStreamedSoundBank(index, readStream);
    if (soundBank === undefined) throw new Error('the SoundFont index does not match its parse');
    const { sharedSamples } = options;
    return new Synthesizer(
      soundBank,
      sharedSamples === undefined ? undefined : new SharedSamples(sharedSamples, soundBank),
    );
  }

  /** Renders exactly ceil(lengthBeats * 60 / tempo * 48000) frames of `score`. */
  render(score: Score, options: SynthesizerRenderOptions = {}): StereoAudio {
    const schedule = scheduleScore(score, SAMPLE_RATE);
    const { scratch } = options;
    const left = scratch?.zeroed('synth.left', schedule.frames) ?? new Float32Array(schedule.frames);
    const right = scratch?.zeroed('synth.right', schedule.frames) ?? new Float32Array(schedule.frames);
    const synth = new SpessaSynthProcessor(SAMPLE_RATE, {
      maxBufferSize: BLOCK_FRAMES,
      effectsEnabled: true,
      eventsEnabled: false,
      reverbProcessor: new FdnReverb(SAMPLE_RATE),
    });
    // No destroySynthProcessor() afterwards: it would also destroy the shared sound bank. The processor
    // holds nothing but memory, which the garbage collector takes back.
    synth.soundBankManager.addSoundBank(this.soundBank, 'main');
    setUpChannels(synth, schedule);
    if (this.sharedSamples !== undefined) shareScheduledSamples(synth, schedule, this.sharedSamples);
    play(synth, schedule, left, right, options.isCancelled);
    return { sampleRate: SAMPLE_RATE, left, right };
  }
}

function setUpChannels(synth: SpessaSynthProcessor, schedule: SynthSchedule): void {
  while (synth.midiChannels.length < schedule.channelCount) synth.createMIDIChannel();
  for (const setup of schedule.channels) {
    const { channel } = setup;
    if (setup.drums) synth.midiChannels[channel]?.setDrums(true);
    synth.programChange(channel, setup.program);
    synth.controllerChange(channel, MIDIControllers.mainVolume, setup.volume);
    synth.controllerChange(channel, MIDIControllers.pan, setup.pan);
    synth.controllerChange(channel, MIDIControllers.reverbDepth, setup.reverb);
    synth.controllerChange(channel, MIDIControllers.chorusDepth, setup.chorus);
  }
}

/**
 * Before the first note: points every sample the schedule's notes will play at the shared decoded copy, so that
 * spessasynth_core finds its audio data set and decodes nothing. The voices are the ones its noteOn asks each
 * channel's preset for (same key, same velocity: the channels keep the default velocity sense); a sample missed
 * here would only be decoded privately, never played wrong.
 */
function shareScheduledSamples(synth: SpessaSynthProcessor, schedule: SynthSchedule, shared: SharedSamples): void {
  const seen = new Set<number>();
  for (const event of schedule.events) {
    if (event.kind !== 'noteOn') continue;
    const key = (event.channel * 128 + event.pitch) * 128 + event.velocity;
    if (seen.has(key)) continue;
    seen.add(key);
    const preset = synth.midiChannels[event.channel]?.preset;
    if (preset !== undefined) shared.shareVoices(preset, event.pitch, event.velocity);
  }
}

function play(
  synth: SpessaSynthProcessor,
  schedule: SynthSchedule,
  left: Float32Array,
  right: Float32Array,
  isCancelled: (() => boolean) | undefined,
): void {
  const { events, frames } = schedule;
  let next = 0;
  let blocks = 0;
  for (let frame = 0; frame < frames;) {
    for (let event = events[next]; event !== undefined && event.frame <= frame; event = events[++next]) {
      if (event.kind === 'noteOn') synth.noteOn(event.channel, event.pitch, event.velocity);
      else synth.noteOff(event.channel, event.pitch);
    }
    const end = Math.min(frames, frame + BLOCK_FRAMES, events[next]?.frame ?? frames);
    synth.process(left, right, frame, end - frame);
    frame = end;
    if (isCancelled !== undefined && ++blocks % CANCEL_CHECK_BLOCKS === 0 && isCancelled()) {
      throw new DOMException('The render was cancelled', 'AbortError');
    }
  }
}
