/**
 * Score → Standard MIDI File (format 1) for people to open in their DAW: tempo, time and key signature,
 * one named track per Score track with its program (or drum kit on channel 10) and mix controllers.
 */

import tonejs from '@tonejs/midi';

import type { Key, Score, Track } from '../music/score.ts';

const { Midi } = tonejs;

/** Ticks per quarter note in exported files. */
export const MIDI_PPQ = 480;

/** The General MIDI percussion channel (channel 10 counted from 1). */
const DRUM_CHANNEL = 9;

/** Channels for melodic tracks, in the order tracks take them (channel 10 is left to drums). */
const MELODIC_CHANNELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15] as const;

/** Mix controllers written at tick 0, in this order. */
const MIX_CONTROLLERS = [
  { number: 7, field: 'volume' },
  { number: 10, field: 'pan' },
  { number: 91, field: 'reverb' },
  { number: 93, field: 'chorus' },
] as const;

/**
 * Writes `score` as a format 1 MIDI file at 480 PPQ. Drum tracks play on channel 10 with their kit as the
 * program (GS kit numbers); melodic tracks take channels 1-9 and 11-16, shared round-robin past 15 tracks.
 */
export function exportMidi(score: Score): Uint8Array {
  const midi = new Midi();
  midi.header.name = score.title;
  midi.header.tempos.push({ ticks: 0, bpm: score.tempo });
  midi.header.timeSignatures.push({
    ticks: 0,
    timeSignature: [score.timeSignature.numerator, score.timeSignature.denominator],
  });
  midi.header.update();

  let melodic = 0;
  for (const source of score.tracks) {
    const drums = source.role === 'drums';
    const channel = drums ? DRUM_CHANNEL : (MELODIC_CHANNELS[melodic++ % MELODIC_CHANNELS.length] ?? 0);
    writeTrack(midi.addTrack(), source, channel, drums);
  }
  return withKeySignature(midi.toArray(), score.key);
}

type ToneTrack = ReturnType<InstanceType<typeof Midi>['addTrack']>;

function writeTrack(track: ToneTrack, source: Track, channel: number, drums: boolean): void {
  track.name = source.name;
  track.channel = channel;
  track.instrument.number = toMidiByte(drums ? (source.instrument.kit ?? 0) : source.instrument.program);
  for (const { number, field } of MIX_CONTROLLERS) {
    track.addCC({ number, ticks: 0, value: toUnit(source.mix[field]) });
  }
  for (const note of source.notes) {
    const startTick = Math.max(0, Math.round(note.start * MIDI_PPQ));
    const endTick = Math.max(startTick + 1, Math.round((note.start + note.duration) * MIDI_PPQ));
    track.addNote({
      midi: toMidiByte(note.pitch),
      ticks: startTick,
      durationTicks: endTick - startTick,
      velocity: toUnit(Math.max(1, note.velocity)),
    });
  }
}

/**
 * Inserts the key signature meta event (FF 59 02 sf mi) at tick 0 of the conductor track. @tonejs/midi 2.0.28
 * encodes key signatures as index + 7 instead of the signed count of sharps (Tonejs/Midi#173, fixed upstream
 * but not released), which DAWs read as 8-14 sharps, so the event is written here instead.
 */
function withKeySignature(file: Uint8Array, key: Key): Uint8Array {
  const conductor = 14; // the header chunk is always 'MThd', length 6, then 6 bytes
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (String.fromCharCode(...file.subarray(conductor, conductor + 4)) !== 'MTrk') {
    throw new Error('@tonejs/midi wrote an unexpected file layout');
  }
  const event = Uint8Array.of(0x00, 0xff, 0x59, 0x02, sharps(key) & 0xff, key.mode === 'minor' ? 1 : 0);
  const body = conductor + 8;
  const out = new Uint8Array(file.length + event.length);
  out.set(file.subarray(0, body));
  out.set(event, body);
  out.set(file.subarray(body), body + event.length);
  new DataView(out.buffer).setUint32(conductor + 4, view.getUint32(conductor + 4) + event.length);
  return out;
}

/** Sharps (positive) or flats (negative) of a key's signature, -6 (Gb major, Eb minor) to 5 (B major). */
function sharps(key: Key): number {
  const majorTonic = key.mode === 'minor' ? key.tonic + 3 : key.tonic;
  const fifths = (((majorTonic * 7) % 12) + 12) % 12;
  return fifths > 5 ? fifths - 12 : fifths;
}

/** A 0-127 value as the unit fraction that @tonejs/midi (writing floor(unit * 127)) turns back into it. */
function toUnit(value: number): number {
  return (toMidiByte(value) + 0.5) / 127;
}

function toMidiByte(value: number): number {
  return Math.min(127, Math.max(0, Math.round(value)));
}
