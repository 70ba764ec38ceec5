import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseMidi, writeMidi, type MidiData, type MidiEvent } from 'midi-file';

import type { Note, Score, Track } from '../../src/music/score.ts';
import { exportMidi, MIDI_PPQ } from '../../src/audio/midi-export.ts';
import { importMidi } from '../../src/audio/midi-import.ts';
import { demoScore } from '../fixtures/demo-score.ts';

interface ParsedNote {
  readonly pitch: number;
  readonly startTick: number;
  readonly durationTicks: number;
  readonly channel: number;
  readonly velocity: number;
}

/** Absolute-time events of one parsed track. */
function timed(track: readonly MidiEvent[]): { tick: number; event: MidiEvent }[] {
  let tick = 0;
  return track.map((event) => {
    tick += event.deltaTime;
    return { tick, event };
  });
}

/** Pairs note on/off events (a note on with velocity 0 counts as a note off). */
function notesOf(track: readonly MidiEvent[]): ParsedNote[] {
  const open = new Map<string, { tick: number; velocity: number }[]>();
  const notes: ParsedNote[] = [];
  for (const { tick, event } of timed(track)) {
    if (event.type !== 'noteOn' && event.type !== 'noteOff') continue;
    const key = `${event.channel}:${event.noteNumber}`;
    if (event.type === 'noteOn' && event.velocity > 0) {
      open.set(key, [...(open.get(key) ?? []), { tick, velocity: event.velocity }]);
      continue;
    }
    const started = open.get(key)?.shift();
    assert.ok(started, `note off without note on at tick ${tick}`);
    notes.push({
      pitch: event.noteNumber,
      startTick: started.tick,
      durationTicks: tick - started.tick,
      channel: event.channel,
      velocity: started.velocity,
    });
  }
  return notes.sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
}

function expectedNotes(track: Track, channel: number): ParsedNote[] {
  return track.notes.map((note) => {
    const startTick = Math.round(note.start * MIDI_PPQ);
    return {
      pitch: note.pitch,
      startTick,
      durationTicks: Math.round((note.start + note.duration) * MIDI_PPQ) - startTick,
      channel,
      velocity: note.velocity,
    };
  });
}

function firstOfType<T extends MidiEvent['type']>(
  track: readonly MidiEvent[],
  type: T,
): Extract<MidiEvent, { type: T }> {
  const found = track.find((event): event is Extract<MidiEvent, { type: T }> => event.type === type);
  assert.ok(found, `no ${type} event`);
  return found;
}

const EXPORTED: Score = { ...demoScore({ bars: 3, tempo: 93 }), title: 'Round Trip', key: { tonic: 4, mode: 'minor' } };

describe('exportMidi', () => {
  const parsed = parseMidi(exportMidi(EXPORTED));

  it('GIVEN a Score THEN the file is format 1 at 480 PPQ with a conductor track and one track per Score track', () => {
    assert.equal(parsed.header.format, 1);
    assert.equal(parsed.header.ticksPerBeat, MIDI_PPQ);
    assert.equal(parsed.tracks.length, EXPORTED.tracks.length + 1);
  });

  it('GIVEN tempo, time and key signature THEN the conductor track carries them at tick 0', () => {
    const conductor = parsed.tracks[0] ?? [];
    assert.equal(firstOfType(conductor, 'setTempo').microsecondsPerBeat, Math.floor(60_000_000 / 93));
    const timeSignature = firstOfType(conductor, 'timeSignature');
    assert.deepEqual([timeSignature.numerator, timeSignature.denominator], [4, 4]);
    const key = firstOfType(conductor, 'keySignature');
    assert.deepEqual([key.key, key.scale], [1, 1], 'E minor: one sharp, minor');
    assert.equal(firstOfType(conductor, 'trackName').text, 'Round Trip');
  });

  it('GIVEN every key THEN the signature has the right sharps or flats and imports back as the same key', () => {
    // Sharps (negative: flats) of the major keys C, Db, D, Eb, E, F, Gb, G, Ab, A, Bb, B.
    const majorSharps = [0, -5, 2, -3, 4, -1, -6, 1, -4, 3, -2, 5];
    for (const mode of ['major', 'minor'] as const) {
      for (let tonic = 0; tonic < 12; tonic++) {
        const score: Score = { ...EXPORTED, key: { tonic, mode } };
        const bytes = exportMidi(score);
        const signature = firstOfType(parseMidi(bytes).tracks[0] ?? [], 'keySignature');
        const expected = majorSharps[mode === 'minor' ? (tonic + 3) % 12 : tonic];
        assert.deepEqual([signature.key, signature.scale], [expected, mode === 'minor' ? 1 : 0], `${tonic} ${mode}`);
        const imported = importMidi(bytes);
        assert.deepEqual(imported.ok ? imported.value.key : undefined, { tonic, mode });
      }
    }
  });

  it('GIVEN four tracks THEN each is named, has its program and mix at tick 0, and drums are on channel 10', () => {
    const channels = [0, 1, 2, 9];
    EXPORTED.tracks.forEach((track, index) => {
      const events = parsed.tracks[index + 1] ?? [];
      const channel = channels[index] ?? -1;
      assert.equal(firstOfType(events, 'trackName').text, track.name);
      const program = firstOfType(events, 'programChange');
      assert.equal(program.channel, channel);
      assert.equal(
        program.programNumber,
        track.role === 'drums' ? (track.instrument.kit ?? 0) : track.instrument.program,
      );
      const controllers = timed(events)
        .filter(({ event }) => event.type === 'controller')
        .map(({ tick, event }) =>
          event.type === 'controller' ? [tick, event.channel, event.controllerType, event.value] : [],
        );
      assert.deepEqual(controllers, [
        [0, channel, 7, track.mix.volume],
        [0, channel, 10, track.mix.pan],
        [0, channel, 91, track.mix.reverb],
        [0, channel, 93, track.mix.chorus],
      ]);
    });
  });

  it('GIVEN notes THEN an independent parser reads back the same pitch, start, length, channel and velocity', () => {
    const channels = [0, 1, 2, 9];
    EXPORTED.tracks.forEach((track, index) => {
      const notes = notesOf(parsed.tracks[index + 1] ?? []);
      assert.equal(notes.length, track.notes.length);
      assert.deepEqual(notes, expectedNotes(track, channels[index] ?? -1));
    });
  });

  it('GIVEN velocities 1 and 127 THEN they survive the 0-1 scaling of @tonejs/midi exactly', () => {
    const melody = EXPORTED.tracks[0];
    assert.ok(melody);
    const extremes: Note[] = [
      { pitch: 60, start: 0, duration: 1, velocity: 1 },
      { pitch: 62, start: 1, duration: 1, velocity: 127 },
      { pitch: 64, start: 2, duration: 1, velocity: 100 },
    ];
    const score: Score = { ...EXPORTED, tracks: [{ ...melody, notes: extremes }] };
    const notes = notesOf(parseMidi(exportMidi(score)).tracks[1] ?? []);
    assert.deepEqual(
      notes.map((note) => note.velocity),
      [1, 127, 100],
    );
  });
});

describe('importMidi', () => {
  it('GIVEN an exported Score THEN it reads back the tempo, signatures, tracks, roles, instruments, mix and notes', () => {
    const result = importMidi(exportMidi(EXPORTED), { style: 'lofi' });
    assert.ok(result.ok);
    const score = result.value;
    assert.equal(score.title, 'Round Trip');
    assert.equal(score.style, 'lofi');
    assert.ok(Math.abs(score.tempo - 93) < 0.01, `tempo ${score.tempo}`);
    assert.deepEqual(score.timeSignature, { numerator: 4, denominator: 4 });
    assert.deepEqual(score.key, { tonic: 4, mode: 'minor' });
    assert.equal(score.lengthBeats, EXPORTED.lengthBeats);
    assert.deepEqual(
      score.tracks.map((track) => [track.name, track.role, track.instrument.program, track.instrument.kit]),
      [
        ['Melody', 'melody', 0, undefined],
        ['Bass', 'bass', 33, undefined],
        ['Chords', 'harmony', 48, undefined],
        ['Drums', 'drums', 0, 0],
      ],
    );
    score.tracks.forEach((track, index) => {
      const source = EXPORTED.tracks[index];
      assert.ok(source);
      assert.deepEqual(track.mix, source.mix);
      assert.deepEqual(track.notes, source.notes);
    });
    assert.match(score.tracks[0]?.instrument.name ?? '', /Piano/);
  });

  it('GIVEN a format 0 file mixing a melody and drums on one track THEN it splits them and finds the drums', () => {
    const data: MidiData = {
      header: { format: 0, numTracks: 1, ticksPerBeat: 96 },
      tracks: [
        [
          { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: 400_000 },
          {
            deltaTime: 0,
            meta: true,
            type: 'timeSignature',
            numerator: 3,
            denominator: 4,
            metronome: 24,
            thirtyseconds: 8,
          },
          { deltaTime: 0, type: 'programChange', channel: 0, programNumber: 73 },
          { deltaTime: 0, type: 'noteOn', channel: 0, noteNumber: 72, velocity: 90 },
          { deltaTime: 0, type: 'noteOn', channel: 9, noteNumber: 36, velocity: 100 },
          { deltaTime: 48, type: 'noteOff', channel: 9, noteNumber: 36, velocity: 0 },
          { deltaTime: 48, type: 'noteOff', channel: 0, noteNumber: 72, velocity: 0 },
          { deltaTime: 0, type: 'noteOn', channel: 0, noteNumber: 74, velocity: 90 },
          { deltaTime: 336, type: 'noteOff', channel: 0, noteNumber: 74, velocity: 0 },
          { deltaTime: 0, meta: true, type: 'endOfTrack' },
        ],
      ],
    };
    const result = importMidi(Uint8Array.from(writeMidi(data)));
    assert.ok(result.ok);
    const score = result.value;
    assert.equal(score.tempo, 150);
    assert.deepEqual(score.timeSignature, { numerator: 3, denominator: 4 });
    assert.deepEqual(score.tracks.map((track) => track.role).sort(), ['drums', 'melody']);
    const melody = score.tracks.find((track) => track.role === 'melody');
    assert.ok(melody);
    assert.equal(melody.instrument.program, 73);
    assert.deepEqual(
      melody.notes.map((note) => [note.pitch, note.start, note.duration]),
      [
        [72, 0, 1],
        [74, 1, 3.5],
      ],
    );
    // The last note ends at beat 4.5: two bars of 3/4.
    assert.equal(score.lengthBeats, 6);
  });

  it('GIVEN tracks of every kind THEN low monophonic is bass, the highest monophonic is melody, the rest harmony', () => {
    const line = (pitch: number): Note[] =>
      Array.from({ length: 8 }, (_, i) => ({ pitch: pitch + (i % 3), start: i, duration: 1, velocity: 80 }));
    const chords: Note[] = [0, 2, 4, 6].flatMap((start) =>
      [60, 64, 67].map((pitch) => ({ pitch, start, duration: 2, velocity: 70 })),
    );
    const base = demoScore({ bars: 1 });
    const drums = base.tracks[3];
    assert.ok(drums);
    const track = (name: string, notes: Note[]): Track => ({
      name,
      role: 'harmony',
      instrument: { program: 0, name: 'Piano' },
      mix: { volume: 100, pan: 64, reverb: 40, chorus: 0 },
      notes,
    });
    const score: Score = {
      ...base,
      lengthBeats: 7.5,
      tracks: [track('Low', line(36)), track('Middle', line(62)), track('High', line(76)), track('Pad', chords), drums],
    };
    const result = importMidi(exportMidi(score));
    assert.ok(result.ok);
    assert.deepEqual(
      result.value.tracks.map((t) => [t.name, t.role]),
      [
        ['Low', 'bass'],
        ['Middle', 'harmony'],
        ['High', 'melody'],
        ['Pad', 'harmony'],
        ['Drums', 'drums'],
      ],
    );
    // Notes end at beat 8: exactly two bars, not three.
    assert.equal(result.value.lengthBeats, 8);
  });

  it('GIVEN bytes that are not MIDI THEN it fails with code unreadable', () => {
    const result = importMidi(new TextEncoder().encode('RIFF....WAVE definitely not a MIDI file'));
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'unreadable');
    const nothing = importMidi(new Uint8Array());
    assert.ok(!nothing.ok);
    assert.equal(nothing.error.code, 'unreadable');
  });

  it('GIVEN a MIDI file without notes THEN it fails with code empty', () => {
    const silent: Score = { ...EXPORTED, tracks: EXPORTED.tracks.map((track) => ({ ...track, notes: [] })) };
    const result = importMidi(exportMidi(silent));
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'empty');
    assert.match(result.error.message, /no notes/);
  });
});
