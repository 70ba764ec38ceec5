/**
 * Turning a Score into what a MIDI synthesizer is told and when: one channel per track with its patch and mix,
 * and note on/off events at exact sample frames. Pure, so the render and its tests share one schedule.
 */

import { scoreDurationSeconds, secondsPerBeat, type Score } from '../music/score.ts';

/** The General MIDI percussion channel (channel 10 counted from 1). */
export const DRUM_CHANNEL = 9;

/** How one track's channel is set up before the first note. */
export interface ChannelSetup {
  /** 0-based channel; 16 and up exist only on synthesizers that add channels. */
  readonly channel: number;
  /** Index of the track in `score.tracks`. */
  readonly track: number;
  readonly drums: boolean;
  /** GM program, or the drum kit (bank 128 preset) on a drum channel. */
  readonly program: number;
  readonly volume: number;
  readonly pan: number;
  readonly reverb: number;
  readonly chorus: number;
}

export interface NoteOnEvent {
  readonly kind: 'noteOn';
  readonly frame: number;
  readonly channel: number;
  readonly pitch: number;
  readonly velocity: number;
}

export interface NoteOffEvent {
  readonly kind: 'noteOff';
  readonly frame: number;
  readonly channel: number;
  readonly pitch: number;
}

export type SynthEvent = NoteOnEvent | NoteOffEvent;

export interface SynthSchedule {
  /** Frames of audio the clip lasts: ceil(lengthBeats * 60 / tempo * sampleRate). */
  readonly frames: number;
  /** Channels the synthesizer needs (at least 16). */
  readonly channelCount: number;
  readonly channels: readonly ChannelSetup[];
  /** Sorted by frame; at one frame, note offs come before note ons so repeated notes retrigger. */
  readonly events: readonly SynthEvent[];
}

/**
 * Schedules `score` at `sampleRate`. The first drum track plays on channel 9, other drum tracks on free
 * channels marked as drums; melodic tracks take channels 0-8, 10-15, then 16 and up. Notes that start at or
 * after the end of the Score are dropped; notes that outlast it are cut by the end of the render.
 */
export function scheduleScore(score: Score, sampleRate: number): SynthSchedule {
  const frames = Math.ceil(scoreDurationSeconds(score) * sampleRate);
  const framesPerBeat = secondsPerBeat(score) * sampleRate;
  const channels = assignChannels(score);
  const events: SynthEvent[] = [];
  for (const setup of channels) {
    const track = score.tracks[setup.track];
    if (track === undefined) continue;
    for (const note of track.notes) {
      if (note.start >= score.lengthBeats || !(note.duration > 0)) continue;
      if (!Number.isInteger(note.pitch) || note.pitch < 0 || note.pitch > 127) continue;
      const on = Math.max(0, Math.round(note.start * framesPerBeat));
      const off = Math.max(on + 1, Math.round((note.start + note.duration) * framesPerBeat));
      const velocity = clampMidi(Math.round(note.velocity), 1);
      events.push({ kind: 'noteOn', frame: on, channel: setup.channel, pitch: note.pitch, velocity });
      events.push({ kind: 'noteOff', frame: off, channel: setup.channel, pitch: note.pitch });
    }
  }
  events.sort((a, b) => a.frame - b.frame || eventOrder(a) - eventOrder(b));
  const highest = channels.reduce((max, setup) => Math.max(max, setup.channel), 15);
  return { frames, channelCount: highest + 1, channels, events };
}

function assignChannels(score: Score): ChannelSetup[] {
  const taken = new Set<number>();
  const nextFree = (): number => {
    let channel = 0;
    while (taken.has(channel) || channel === DRUM_CHANNEL) channel++;
    return channel;
  };
  // Channel 9 is reserved for the first drum track, wherever it is in the list.
  const firstDrums = score.tracks.findIndex((track) => track.role === 'drums');
  return score.tracks.map((track, index) => {
    const drums = track.role === 'drums';
    const channel = index === firstDrums ? DRUM_CHANNEL : nextFree();
    taken.add(channel);
    const program = drums ? (track.instrument.kit ?? 0) : track.instrument.program;
    return {
      channel,
      track: index,
      drums,
      program: clampMidi(program, 0),
      volume: clampMidi(track.mix.volume, 0),
      pan: clampMidi(track.mix.pan, 0),
      reverb: clampMidi(track.mix.reverb, 0),
      chorus: clampMidi(track.mix.chorus, 0),
    };
  });
}

function eventOrder(event: SynthEvent): number {
  return event.kind === 'noteOff' ? 0 : 1;
}

function clampMidi(value: number, min: number): number {
  return Number.isFinite(value) ? Math.min(127, Math.max(min, Math.round(value))) : min;
}
