import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { applyStyleToScore, arrange } from '../../src/music/arrange.ts';
import { chordPitchClasses, pitchClass, thirdOf, seventhOf } from '../../src/music/chord-tones.ts';
import { DRUM_KITS } from '../../src/music/drum-voices.ts';
import type { ChordSymbol, GridNote, LeadSheet } from '../../src/music/lead-sheet.ts';
import type { Note, Score, Track, TrackRole } from '../../src/music/score.ts';
import { STYLE_NAMES, STYLES } from '../../src/music/styles.ts';
import { voiceChord, voiceMovement } from '../../src/music/voicing.ts';

const BAR = 16;
const C_MAJOR = { tonic: 0, mode: 'major' } as const;

const Dm7: ChordSymbol = { root: 2, quality: 'min7' };
const G7: ChordSymbol = { root: 7, quality: '7' };
const Cmaj7: ChordSymbol = { root: 0, quality: 'maj7' };
const Am7: ChordSymbol = { root: 9, quality: 'min7' };
const Em7: ChordSymbol = { root: 4, quality: 'min7' };
const A7: ChordSymbol = { root: 9, quality: '7' };

interface SheetOptions {
  readonly chords: readonly ChordSymbol[];
  readonly melody: readonly GridNote[];
  readonly bass?: readonly GridNote[];
  readonly drums?: (step: number) => number;
  readonly tempo?: number;
  readonly stepsPerBar?: number;
}

/** One chord per bar. */
function leadSheet(options: SheetOptions): LeadSheet {
  const stepsPerBar = options.stepsPerBar ?? BAR;
  const steps = options.chords.length * stepsPerBar;
  return {
    tempo: options.tempo ?? 120,
    timeSignature: stepsPerBar === BAR ? { numerator: 4, denominator: 4 } : { numerator: 3, denominator: 4 },
    key: C_MAJOR,
    steps,
    stepsPerBar,
    melody: options.melody,
    bass: options.bass ?? [],
    chords: Array.from({ length: steps }, (_, step) => options.chords[Math.floor(step / stepsPerBar)] ?? null),
    drums: Array.from({ length: steps }, (_, step) => options.drums?.(step) ?? 0),
  };
}

/** A 4-bar ii-V-I in C with a melody that has off-beat 8ths (step 6, 22, 30 are "and of 2"/"and of 4"). */
const TWO_FIVE_ONE = leadSheet({
  chords: [Dm7, G7, Cmaj7, Cmaj7],
  melody: [
    { pitch: 77, step: 0, steps: 4 },
    { pitch: 76, step: 4, steps: 2 },
    { pitch: 74, step: 6, steps: 2 },
    { pitch: 72, step: 8, steps: 8 },
    { pitch: 71, step: 16, steps: 6 },
    { pitch: 74, step: 22, steps: 2 },
    { pitch: 77, step: 24, steps: 6 },
    { pitch: 76, step: 30, steps: 2 },
    { pitch: 76, step: 32, steps: 12 },
    { pitch: 72, step: 44, steps: 4 },
    { pitch: 71, step: 48, steps: 16 },
  ],
});

/** 8 bars of turnaround changes with a model bass line and a rock-ish drum pattern in every bar. */
const TURNAROUND = leadSheet({
  chords: [Cmaj7, Am7, Dm7, G7, Em7, A7, Dm7, G7],
  melody: Array.from({ length: 16 }, (_, i) => ({
    pitch: [76, 79, 77, 74, 72, 74, 76, 71][i % 8] ?? 72,
    step: i * 8,
    steps: 6,
  })),
  bass: Array.from({ length: 16 }, (_, i) => ({
    pitch: [36, 43, 33, 40, 38, 45, 43, 38][Math.floor(i / 2)] ?? 36,
    step: i * 8,
    steps: 6,
  })),
  drums: (step) => (step % 8 === 0 ? 0b101 : step % 8 === 4 ? 0b110 : step % 2 === 0 ? 0b100 : 0),
});

function track(score: Score, role: TrackRole): Track {
  const found = score.tracks.find((candidate) => candidate.role === role);
  if (!found) assert.fail(`no ${role} track`);
  return found;
}

/** Notes that start together (within 0.1 beat: humanisation and strums spread them a little). */
function onsetGroups(notes: readonly Note[]): Note[][] {
  const groups: Note[][] = [];
  for (const note of notes) {
    const group = groups[groups.length - 1];
    const first = group?.[0];
    if (group && first && note.start - first.start < 0.1) group.push(note);
    else groups.push([note]);
  }
  return groups;
}

function chordAtBeat(sheet: LeadSheet, beat: number): ChordSymbol {
  const chord = sheet.chords[Math.min(sheet.steps - 1, Math.floor((beat + 0.1) * 4))];
  if (!chord) assert.fail(`no chord at beat ${beat}`);
  return chord;
}

function frac(beats: number): number {
  return beats - Math.floor(beats);
}

function assertScoreRules(score: Score, label: string): void {
  for (const t of score.tracks) {
    t.notes.forEach((note, i) => {
      const where = `${label} ${t.role} note ${i}`;
      assert.ok(Number.isInteger(note.pitch) && note.pitch >= 0 && note.pitch <= 127, `${where}: pitch ${note.pitch}`);
      assert.ok(Number.isInteger(note.velocity) && note.velocity >= 1 && note.velocity <= 127, `${where}: velocity`);
      assert.ok(note.start >= 0 && note.duration > 0, `${where}: start ${note.start} duration ${note.duration}`);
      assert.ok(
        note.start + note.duration <= score.lengthBeats + 1e-9,
        `${where}: ends at ${note.start + note.duration}`,
      );
      const previous = t.notes[i - 1];
      if (previous) {
        assert.ok(
          previous.start < note.start || (previous.start === note.start && previous.pitch < note.pitch),
          `${where}: sorted`,
        );
      }
    });
  }
}

describe('arrange: jazz on a ii-V-I', () => {
  const score = arrange(TWO_FIVE_ONE, STYLES.jazz, { seed: 7 });

  it('GIVEN the jazz recipe THEN the comping plays shell voicings: 3rd and 7th present, at most 4 notes', () => {
    const groups = onsetGroups(track(score, 'harmony').notes);
    assert.ok(groups.length >= 4, `comping hits: ${groups.length}`);
    for (const group of groups) {
      const first = group[0];
      if (!first) continue;
      const chord = chordAtBeat(TWO_FIVE_ONE, first.start);
      const pcs = group.map((note) => pitchClass(note.pitch));
      assert.ok(group.length >= 2 && group.length <= 4, `${group.length} notes at beat ${first.start}`);
      assert.ok(
        pcs.includes(pitchClass(chord.root + thirdOf(chord.quality))),
        `3rd of ${chord.root}${chord.quality} at ${first.start}`,
      );
      assert.ok(pcs.includes(pitchClass(chord.root + (seventhOf(chord.quality) ?? 0))), `7th at ${first.start}`);
      for (const note of group)
        assert.ok(note.pitch >= 48 && note.pitch <= 74, `comping stays in C3-D5: ${note.pitch}`);
    }
  });

  it('GIVEN swing 0.6 on 8ths THEN off-beat 8ths land late (near the triplet) and on-beats stay put', () => {
    const melody = track(score, 'melody').notes;
    const offBeats = [6, 22, 30].map((step) => step / 4);
    for (const written of offBeats) {
      const played = melody.find((note) => Math.abs(note.start - written) < 0.3);
      if (!played) assert.fail(`no melody note near ${written}`);
      const delay = played.start - written;
      assert.ok(delay > 0.09 && delay < 0.22, `off-beat at ${written} delayed by ${delay.toFixed(3)} beats`);
    }
    for (const note of melody.filter((n) => frac(n.start + 0.2) < 0.4)) {
      assert.ok(frac(note.start + 0.1) < 0.2, `on-beat note at ${note.start} not moved by swing`);
    }
    const straight = arrange(TWO_FIVE_ONE, { ...STYLES.jazz, swing: { amount: 0, grid: '8th' } }, { seed: 7 });
    const straightOffBeat = track(straight, 'melody').notes.find((note) => Math.abs(note.start - 1.5) < 0.3);
    assert.ok(
      straightOffBeat && Math.abs(straightOffBeat.start - 1.5) < 0.07,
      'without swing the off-beat stays near 1.5',
    );
  });

  it('GIVEN a walking bass THEN every beat before the final chord has exactly one bass note, in E1-G3', () => {
    const bass = track(score, 'bass').notes;
    for (let beat = 0; beat < 12; beat++) {
      const onBeat = bass.filter((note) => Math.abs(note.start - beat) < 0.1);
      assert.equal(onBeat.length, 1, `beat ${beat}`);
    }
    for (const note of bass) assert.ok(note.pitch >= 28 && note.pitch <= 55, `bass pitch ${note.pitch}`);
    const downbeats = [0, 4, 8].map((beat) => bass.find((note) => Math.abs(note.start - beat) < 0.1));
    assert.deepEqual(
      downbeats.map((note) => (note ? pitchClass(note.pitch) : -1)),
      [2, 7, 0],
      'roots on the downbeats',
    );
    const intervals = bass.slice(1).map((note, i) => Math.abs(note.pitch - (bass[i]?.pitch ?? note.pitch)));
    assert.ok(Math.max(...intervals) <= 12, 'no leap beyond an octave');
  });

  it('GIVEN the last bar THEN the band ends together on the final chord, held to the end', () => {
    const end = score.lengthBeats;
    for (const role of ['harmony', 'bass', 'melody'] as const) {
      const last = track(score, role).notes.reduce((a, b) => (a.start + a.duration > b.start + b.duration ? a : b));
      assert.ok(Math.abs(last.start + last.duration - end) < 1e-6, `${role} holds to the end`);
    }
    const finalChord = track(score, 'harmony').notes.filter((note) => note.start > end - 4.2);
    assert.deepEqual(
      [...new Set(finalChord.map((note) => pitchClass(note.pitch)))].sort((a, b) => a - b),
      [2, 4, 11],
      'Cmaj7 shell: E, B, D',
    );
    const drumsAfterEnding = track(score, 'drums').notes.filter((note) => note.start > end - 4 + 0.1);
    assert.equal(drumsAfterEnding.length, 0, 'drums stop after the final hit');
  });

  it('GIVEN the jazz recipe THEN the drummer rides (no closed hats) on the jazz kit', () => {
    const drums = track(score, 'drums');
    assert.equal(drums.instrument.kit, DRUM_KITS.jazz);
    assert.ok(drums.notes.some((note) => note.pitch === 51));
    assert.ok(!drums.notes.some((note) => note.pitch === 42));
    const ballad = arrange({ ...TWO_FIVE_ONE, tempo: 70 }, STYLES.jazz, { seed: 7 });
    assert.equal(track(ballad, 'drums').instrument.kit, DRUM_KITS.brush);
  });
});

describe('arrange: voicing and voice leading', () => {
  it('GIVEN rock THEN every chord is a power chord: root and fifth (plus octave) over the chord root', () => {
    const score = arrange(TURNAROUND, STYLES.rock, { seed: 3 });
    for (const group of onsetGroups(track(score, 'harmony').notes)) {
      const pitches = group.map((note) => note.pitch).sort((a, b) => a - b);
      const lowest = pitches[0] ?? 0;
      const intervals = pitches.map((pitch) => pitch - lowest);
      assert.ok(
        JSON.stringify(intervals) === '[0,7,12]' || JSON.stringify(intervals) === '[0,7]',
        `power chord ${intervals.join(',')}`,
      );
      const first = group[0];
      if (first) assert.equal(pitchClass(lowest), pitchClass(chordAtBeat(TURNAROUND, first.start).root));
    }
  });

  it('GIVEN consecutive chords THEN the top voice moves little on average (smooth voice leading)', () => {
    for (const style of ['jazz', 'lofi', 'pop', 'ambient'] as const) {
      const recipe = STYLES[style];
      const options = {
        kind: recipe.harmony.voicing,
        extension: recipe.harmony.extension,
        register: recipe.harmony.register,
        key: C_MAJOR,
      };
      const changes = [Cmaj7, Am7, Dm7, G7, Em7, A7, Dm7, G7, Cmaj7];
      let previous: number[] | undefined;
      const tops: number[] = [];
      let movement = 0;
      for (const chord of changes) {
        const voicing = voiceChord(chord, options, { previous });
        if (previous) movement += voiceMovement(previous, voicing);
        const pcs = new Set(chordPitchClasses(chord));
        assert.ok(
          voicing.some((pitch) => pcs.has(pitchClass(pitch))),
          `${style}: voicing uses chord tones`,
        );
        tops.push(voicing[voicing.length - 1] ?? 0);
        previous = voicing;
      }
      const topMoves = tops.slice(1).map((top, i) => Math.abs(top - (tops[i] ?? top)));
      const average = topMoves.reduce((a, b) => a + b, 0) / topMoves.length;
      assert.ok(average <= 3, `${style}: average top-voice movement ${average.toFixed(2)} semitones`);
      assert.ok(movement / (changes.length - 1) <= 3, `${style}: average voice movement`);
    }
  });

  it('GIVEN a melody THEN the comping stays below it', () => {
    const score = arrange(TWO_FIVE_ONE, STYLES.pop, { seed: 5 });
    const melody = track(score, 'melody').notes;
    for (const note of track(score, 'harmony').notes) {
      const over = melody.filter((m) => m.start < note.start + note.duration && m.start + m.duration > note.start);
      for (const m of over)
        assert.ok(note.pitch < m.pitch, `harmony ${note.pitch} under melody ${m.pitch} at ${note.start}`);
    }
  });
});

describe('arrange: every style', () => {
  for (const name of STYLE_NAMES) {
    it(`GIVEN ${name} THEN the Score keeps the rules (inside the length, ranges, sorted) and uses the recipe's band`, () => {
      const recipe = STYLES[name];
      const score = arrange(TURNAROUND, recipe, { seed: 11, styleLabel: name });
      assertScoreRules(score, name);
      assert.equal(score.lengthBeats, TURNAROUND.steps / 4);
      assert.equal(score.style, name);
      assert.equal(track(score, 'melody').instrument.program, recipe.instruments.melody.program);
      assert.equal(track(score, 'harmony').instrument.program, recipe.instruments.harmony.program);
      for (const note of track(score, 'bass').notes)
        assert.ok(note.pitch >= 28 && note.pitch <= 55, `${name} bass ${note.pitch}`);
      for (const note of track(score, 'harmony').notes)
        assert.ok(note.pitch >= 36 && note.pitch <= 96, `${name} harmony ${note.pitch}`);
      const hasDrums = score.tracks.some((t) => t.role === 'drums');
      assert.equal(hasDrums, recipe.drums.treatment !== 'none', `${name} drums`);
      const harmonyEnd = Math.max(...track(score, 'harmony').notes.map((note) => note.start + note.duration));
      assert.ok(Math.abs(harmonyEnd - score.lengthBeats) < 1e-6, `${name}: final chord rings to the end`);
    });
  }

  it('GIVEN a 3/4 sheet THEN every style still arranges inside the bars', () => {
    const waltz = leadSheet({
      chords: [Cmaj7, Am7, Dm7, G7],
      stepsPerBar: 12,
      melody: [0, 12, 24, 36].map((step, i) => ({ pitch: 72 + i, step, steps: 8 })),
    });
    for (const name of STYLE_NAMES) assertScoreRules(arrange(waltz, STYLES[name], { seed: 2 }), `${name} 3/4`);
  });

  it('GIVEN a style that fills empty bars with its groove THEN empty model drums still give a beat; a model-only style stays silent', () => {
    const pop = arrange(TWO_FIVE_ONE, STYLES.pop, { seed: 1 });
    const kicks = track(pop, 'drums').notes.filter((note) => note.pitch === 36);
    assert.ok(kicks.length >= 6, `pop grooves without model drums: ${kicks.length} kicks`);
    const folk = arrange(TWO_FIVE_ONE, STYLES.folk, { seed: 1 });
    assert.equal(
      folk.tracks.some((t) => t.role === 'drums'),
      false,
    );
  });

  it('GIVEN sheet bass notes THEN a sheet-first style plays them (moved into range) and a walking style does not', () => {
    const pop = track(arrange(TURNAROUND, STYLES.pop, { seed: 1 }), 'bass').notes;
    const sheetPcs = TURNAROUND.bass.filter((note) => note.step < 7 * BAR).map((note) => pitchClass(note.pitch));
    const playedPcs = pop.filter((note) => note.start < 27.5).map((note) => pitchClass(note.pitch));
    assert.deepEqual(playedPcs, sheetPcs);
    const jazz = track(arrange(TURNAROUND, STYLES.jazz, { seed: 1 }), 'bass').notes;
    assert.ok(jazz.filter((note) => note.start < 28).length >= 27, 'jazz walks a note per beat');
  });
});

describe('arrange: determinism and options', () => {
  it('GIVEN the same seed THEN the Score is identical; another seed differs', () => {
    for (const name of ['jazz', 'lofi', 'rock'] as const) {
      const a = arrange(TURNAROUND, STYLES[name], { seed: 42 });
      const b = arrange(TURNAROUND, STYLES[name], { seed: 42 });
      const c = arrange(TURNAROUND, STYLES[name], { seed: 43 });
      assert.deepEqual(a, b);
      assert.notDeepEqual(a.tracks, c.tracks);
    }
  });

  it('GIVEN instrument overrides and a title THEN they are used', () => {
    const score = arrange(TWO_FIVE_ONE, STYLES.jazz, {
      seed: 1,
      title: 'Blue Seven',
      instruments: { melody: 73, drums: DRUM_KITS.brush },
    });
    assert.equal(score.title, 'Blue Seven');
    assert.deepEqual(track(score, 'melody').instrument, { program: 73, name: 'Flute' });
    assert.equal(track(score, 'drums').instrument.kit, DRUM_KITS.brush);
    assert.equal(arrange(TWO_FIVE_ONE, STYLES.jazz, { seed: 1 }).title, 'Jazz in C major');
  });

  it('GIVEN a quantised electronic style THEN notes sit exactly on the grid', () => {
    const score = arrange(TURNAROUND, STYLES.electronic, { seed: 9 });
    for (const t of score.tracks) {
      for (const note of t.notes)
        assert.ok(Math.abs(note.start * 4 - Math.round(note.start * 4)) < 1e-6, `${t.role} at ${note.start}`);
    }
  });
});

describe('applyStyleToScore', () => {
  const straight: Score = {
    title: 'Imported',
    tempo: 120,
    timeSignature: { numerator: 4, denominator: 4 },
    key: C_MAJOR,
    style: 'imported',
    seed: 0,
    lengthBeats: 4,
    tracks: [
      {
        name: 'Lead',
        role: 'melody',
        instrument: { program: 0, name: 'Acoustic Grand Piano' },
        mix: { volume: 100, pan: 64, reverb: 0, chorus: 0 },
        notes: [0, 0.5, 1, 1.5, 1.75, 2, 2.5, 3].map((start, i) => ({
          pitch: 60 + i,
          start,
          duration: 0.25,
          velocity: 90,
        })),
      },
      {
        name: 'Kit',
        role: 'drums',
        instrument: { program: 0, kit: 0, name: 'Standard Kit' },
        mix: { volume: 100, pan: 64, reverb: 0, chorus: 0 },
        notes: [0, 1, 2, 3].map((start) => ({ pitch: 36, start, duration: 0.25, velocity: 100 })),
      },
    ],
  };

  it('GIVEN a straight imported Score and jazz THEN it keeps the notes, swings off-beats and takes the band and mix', () => {
    const styled = applyStyleToScore(straight, STYLES.jazz, 5);
    assertScoreRules(styled, 'restyled');
    const lead = track(styled, 'melody');
    assert.deepEqual(
      lead.notes.map((note) => note.pitch),
      straight.tracks[0]?.notes.map((note) => note.pitch),
    );
    assert.equal(lead.instrument.program, STYLES.jazz.instruments.melody.program);
    assert.deepEqual(lead.mix, STYLES.jazz.mix.melody);
    assert.equal(track(styled, 'drums').instrument.kit, DRUM_KITS.jazz);
    const at = (pitch: number): number => lead.notes.find((note) => note.pitch === pitch)?.start ?? -1;
    assert.ok(at(61) > 0.6 && at(61) < 0.7, `off-beat 0.5 swung to ${at(61)}`);
    assert.ok(Math.abs(at(64) - 1.75) < 0.03, `a 16th is not on the 8th grid and stays: ${at(64)}`);
    assert.ok(Math.abs(at(62) - 1) < 0.03, 'on-beat stays');
    assert.equal(styled.style, 'jazz');
    assert.deepEqual(applyStyleToScore(straight, STYLES.jazz, 5), styled);
  });
});
