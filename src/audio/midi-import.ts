/**
 * Standard MIDI File → Score, for rendering someone's own MIDI file: keeps the first tempo, time and key
 * signature and every note, and gives each track a role (melody, harmony, bass, drums) so the caller can
 * apply a style's instruments afterwards.
 */

import tonejs from '@tonejs/midi';

import type { Instrument, Key, Note, Score, TimeSignature, Track, TrackMix, TrackRole } from '../music/score.ts';

const { Midi } = tonejs;

type ToneMidi = InstanceType<typeof Midi>;
type ToneTrack = ToneMidi['tracks'][number];

export interface MidiImportOptions {
  /** Title of the Score; default the file's own name, else "Imported MIDI". */
  readonly title?: string | undefined;
  /** Style label of the Score; default "imported". */
  readonly style?: string | undefined;
}

export interface MidiImportError {
  /** `unreadable`: not a MIDI file (or a corrupt one); `empty`: a MIDI file without notes. */
  readonly code: 'unreadable' | 'empty';
  readonly message: string;
}

export type MidiImportResult =
  { readonly ok: true; readonly value: Score } | { readonly ok: false; readonly error: MidiImportError };

/** The General MIDI percussion channel (channel 10 counted from 1). */
const DRUM_CHANNEL = 9;
/** A track whose median pitch is below this (G3) and that plays one note at a time is a bass. */
const BASS_MEDIAN_BELOW = 55;
/** At most this share of a "mostly monophonic" track's notes may overlap another note. */
const MAX_OVERLAPPING_SHARE = 0.2;
/** Overlaps shorter than this many beats (legato smear) do not count. */
const OVERLAP_TOLERANCE_BEATS = 1 / 16;
const DEFAULT_MIX: TrackMix = { volume: 100, pan: 64, reverb: 40, chorus: 0 };

/** Reads a MIDI file into a Score whose length is the end of its last note rounded up to a whole bar. */
export function importMidi(bytes: Uint8Array, options: MidiImportOptions = {}): MidiImportResult {
  let midi: ToneMidi;
  try {
    midi = new Midi(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, error: { code: 'unreadable', message: `This is not a readable MIDI file (${reason}).` } };
  }
  const ppq = midi.header.ppq;
  if (!(ppq > 0)) {
    return { ok: false, error: { code: 'unreadable', message: 'This MIDI file has no valid time division.' } };
  }
  const sources = midi.tracks.filter((track) => track.notes.length > 0);
  if (sources.length === 0) {
    return { ok: false, error: { code: 'empty', message: 'This MIDI file has no notes to play.' } };
  }

  const timeSignature = readTimeSignature(midi);
  const drafts = sources.map((track) => draftTrack(track, ppq));
  const roles = assignRoles(drafts);
  const tracks: Track[] = drafts.map((draft, index) => {
    const role = roles[index] ?? 'harmony';
    return {
      name: draft.name || `${capitalize(role)} ${index + 1}`,
      role,
      instrument: draft.instrument,
      mix: draft.mix,
      notes: draft.notes,
    };
  });

  const end = Math.max(...drafts.flatMap((draft) => draft.notes.map((note) => note.start + note.duration)));
  const barBeats = (timeSignature.numerator * 4) / timeSignature.denominator;
  const bars = Math.max(1, Math.ceil(end / barBeats - 1e-9));
  const title = options.title ?? (midi.header.name.trim() || 'Imported MIDI');
  return {
    ok: true,
    value: {
      title,
      tempo: midi.header.tempos[0]?.bpm ?? 120,
      timeSignature,
      key: readKey(midi),
      style: options.style ?? 'imported',
      seed: 0,
      lengthBeats: bars * barBeats,
      tracks,
    },
  };
}

interface TrackDraft {
  readonly name: string;
  readonly drums: boolean;
  readonly instrument: Instrument;
  readonly mix: TrackMix;
  readonly notes: readonly Note[];
}

function draftTrack(track: ToneTrack, ppq: number): TrackDraft {
  const drums = track.channel === DRUM_CHANNEL || track.instrument.percussion;
  const program = track.instrument.number;
  const instrumentName = titleCase(track.instrument.name) || (drums ? 'Drum Kit' : `Program ${program + 1}`);
  const notes = track.notes
    .map((note): Note => ({
      pitch: note.midi,
      start: note.ticks / ppq,
      duration: Math.max(1, note.durationTicks) / ppq,
      velocity: Math.min(127, Math.max(1, Math.round(note.velocity * 127))),
    }))
    .sort((a, b) => a.start - b.start || a.pitch - b.pitch);
  return {
    name: track.name.trim(),
    drums,
    instrument: drums ? { program: 0, kit: program, name: instrumentName } : { program, name: instrumentName },
    mix: {
      volume: firstController(track, 7) ?? DEFAULT_MIX.volume,
      pan: firstController(track, 10) ?? DEFAULT_MIX.pan,
      reverb: firstController(track, 91) ?? DEFAULT_MIX.reverb,
      chorus: firstController(track, 93) ?? DEFAULT_MIX.chorus,
    },
    notes,
  };
}

/** Track names that say what the track is, as MIDI files from notation programs and data sets write them. */
const MELODY_NAME = /\b(melody|lead|vocals?|voice|solo|soprano|tune)\b/i;
const BASS_NAME = /\bbass\b/i;

/**
 * Drums are the percussion-channel tracks. A track named like a melody ("MELODY", "Lead", "Vocal") or a bass is
 * taken at its word; otherwise bass is every low mostly-monophonic track, melody the highest of the other
 * mostly-monophonic tracks, and harmony the rest.
 */
function assignRoles(drafts: readonly TrackDraft[]): TrackRole[] {
  const roles: TrackRole[] = drafts.map((draft) => (draft.drums ? 'drums' : 'harmony'));
  const named = drafts.findIndex((draft) => !draft.drums && MELODY_NAME.test(draft.name));
  drafts.forEach((draft, index) => {
    if (!draft.drums && BASS_NAME.test(draft.name)) roles[index] = 'bass';
  });
  if (named !== -1) {
    roles[named] = 'melody';
    return roles;
  }
  let melody: { index: number; median: number } | undefined;
  drafts.forEach((draft, index) => {
    if (draft.drums || roles[index] === 'bass' || !isMostlyMonophonic(draft.notes)) return;
    const median = medianPitch(draft.notes);
    if (median < BASS_MEDIAN_BELOW) roles[index] = 'bass';
    else if (melody === undefined || median > melody.median) melody = { index, median };
  });
  if (melody !== undefined) roles[melody.index] = 'melody';
  return roles;
}

function isMostlyMonophonic(notes: readonly Note[]): boolean {
  const overlapping = new Set<number>();
  // Notes are sorted by start: each note only needs checking against the ones that start before it ends.
  notes.forEach((note, i) => {
    const end = note.start + note.duration - OVERLAP_TOLERANCE_BEATS;
    for (let j = i + 1; j < notes.length; j++) {
      const other = notes[j];
      if (other === undefined || other.start >= end) break;
      overlapping.add(i).add(j);
    }
  });
  return overlapping.size <= MAX_OVERLAPPING_SHARE * notes.length;
}

function medianPitch(notes: readonly Note[]): number {
  const pitches = notes.map((note) => note.pitch).sort((a, b) => a - b);
  return pitches[Math.floor(pitches.length / 2)] ?? 60;
}

function firstController(track: ToneTrack, controller: number): number | undefined {
  const first = track.controlChanges[controller]?.[0];
  return first === undefined ? undefined : Math.min(127, Math.max(0, Math.round(first.value * 127)));
}

function readTimeSignature(midi: ToneMidi): TimeSignature {
  const [numerator, denominator] = midi.header.timeSignatures[0]?.timeSignature ?? [4, 4];
  return numerator !== undefined && numerator > 0 && denominator !== undefined && denominator > 0
    ? { numerator, denominator }
    : { numerator: 4, denominator: 4 };
}

/** Pitch class of each major key name @tonejs/midi reads (a minor key is named by its relative major). */
const MAJOR_TONICS: Readonly<Record<string, number>> = {
  Cb: 11,
  Gb: 6,
  Db: 1,
  Ab: 8,
  Eb: 3,
  Bb: 10,
  F: 5,
  C: 0,
  G: 7,
  D: 2,
  A: 9,
  E: 4,
  B: 11,
  'F#': 6,
  'C#': 1,
};

function readKey(midi: ToneMidi): Key {
  const signature = midi.header.keySignatures[0];
  const major = signature === undefined ? undefined : MAJOR_TONICS[signature.key];
  if (signature === undefined || major === undefined) return { tonic: 0, mode: 'major' };
  return signature.scale === 'minor' ? { tonic: (major + 9) % 12, mode: 'minor' } : { tonic: major, mode: 'major' };
}

function titleCase(text: string): string {
  return text.trim().replace(/\b\w/g, (letter) => letter.toUpperCase());
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
