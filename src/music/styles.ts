/**
 * The product styles: what "jazz" or "lofi" means to Motif, as StyleRecipes over the model's learned
 * styles, and the parser for what people type ("bossa", "lo-fi", "jazz:0.6,lofi:0.4").
 *
 * Rock, funk, reggae and hip-hop exist in the training data only as drum performances (Groove), so a recipe
 * that asked the model for "rock" alone would condition its melody, bass and harmony on a style it never heard
 * melodically. Those recipes therefore blend in a style with melodic data (pop, jazz): the drums still hear
 * their own style, the other tracks hear something the model learned.
 */
import { mixStyleWeights, type ModelConditioning } from './conditioning.ts';
import { drumKitName } from './drum-voices.ts';
import { programName } from './general-midi.ts';
import type { Instrument, TrackMix } from './score.ts';
import type {
  BassDegree,
  BassPattern,
  CompingPattern,
  CompVoices,
  DrumGroove,
  StyleRecipe,
  VelocityRange,
} from './style-recipe.ts';

export const STYLE_NAMES = [
  'jazz',
  'blues',
  'rock',
  'pop',
  'classical',
  'folk',
  'lofi',
  'electronic',
  'ambient',
  'funk',
  'latin',
  'country',
  'metal',
  'reggae',
  'game',
  'cinematic',
] as const;
export type StyleName = (typeof STYLE_NAMES)[number];

// ---------------------------------------------------------------------------------------------------
// Small builders that keep the recipes readable.

function gm(program: number): Instrument {
  return { program, name: programName(program) };
}

function drumKit(kit: number): Instrument {
  return { program: 0, kit, name: drumKitName(kit) };
}

function mix(volume: number, pan: number, reverb: number, chorus: number): TrackMix {
  return { volume, pan, reverb, chorus };
}

function vel(min: number, max: number): VelocityRange {
  return { min, max };
}

type CompHitSpec = readonly [step: number, steps: number, accent: number, voices?: CompVoices];

function comp(name: string, lengthSteps: number, hits: readonly CompHitSpec[], hold = false): CompingPattern {
  return {
    name,
    lengthSteps,
    hits: hits.map(([step, steps, accent, voices]) =>
      voices === undefined ? { step, steps, accent } : { step, steps, accent, voices },
    ),
    ...(hold ? { hold } : {}),
  };
}

type BassHitSpec = readonly [step: number, steps: number, degree: BassDegree, accent: number];

function bassLine(name: string, lengthSteps: number, hits: readonly BassHitSpec[], hold = false): BassPattern {
  return {
    name,
    lengthSteps,
    hits: hits.map(([step, steps, degree, accent]) => ({ step, steps, degree, accent })),
    ...(hold ? { hold } : {}),
  };
}

const FOUR_FOUR = { numerator: 4, denominator: 4 } as const;
const STRAIGHT = { amount: 0, grid: '8th' } as const;

// ---------------------------------------------------------------------------------------------------
// Shared patterns.

const HOLD_PAD = comp('held pad', 16, [[0, 16, 0.75]], true);
const PEDAL_BASS = bassLine('held roots', 16, [[0, 16, 'R', 0.8]], true);
const EIGHTHS_BASS = bassLine('root eighths', 4, [
  [0, 1.7, 'R', 1],
  [2, 1.7, 'R', 0.78],
]);
const OCTAVE_BASS = bassLine('disco octaves', 4, [
  [0, 1.5, 'R', 1],
  [2, 1.5, 'O', 0.85],
]);
const BACKBEAT_HATS = 'X.x.x.x.X.x.x.x.';

const ROCK_FILL: DrumGroove = {
  name: 'tom fill',
  lines: {
    kick: 'X.......X.......',
    snare: '....X...XoXo....',
    closedHat: 'x.x.x.x.........',
    highTom: '............Xx..',
    floorTom: '..............XX',
  },
};

// ---------------------------------------------------------------------------------------------------
// The sixteen recipes.

const jazz: StyleRecipe = {
  name: 'jazz',
  description: 'Swinging small combo: tenor sax, piano shells, walking upright bass, ride cymbal (brushes on ballads).',
  tempo: { min: 70, max: 220, default: 132 },
  swing: { amount: 0.6, grid: '8th' },
  meter: FOUR_FOUR,
  // 'sparse': unspecified, the model's jazz lead plays 7.2-7.5 notes a bar against 5.9 in the data (WJazzD solos),
  // 'medium' 6.8-7.0, 'sparse' 5.4-5.5 over three seed sets (npm run eval). The density condition only reaches the
  // lead sheet, never the drums (src/inference/generate.ts, two views).
  conditioning: { styles: { jazz: 1 }, density: 'sparse' },
  instruments: { melody: gm(66), harmony: gm(0), bass: gm(32), drums: drumKit(32) },
  mix: {
    melody: mix(100, 70, 45, 0),
    harmony: mix(82, 52, 40, 0),
    bass: mix(100, 64, 20, 0),
    drums: mix(85, 70, 40, 0),
  },
  velocity: { melody: vel(60, 108), harmony: vel(42, 80), bass: vel(62, 98), drums: vel(28, 100) },
  melody: { articulation: 0.88, register: { low: 46, high: 82 } },
  harmony: {
    texture: 'shell comping',
    voicing: 'shell',
    extension: 'jazz',
    register: { low: 48, high: 74 },
    comping: [
      comp('charleston', 16, [
        [0, 5, 0.9],
        [6, 4, 0.72],
      ]),
      comp('anticipations', 16, [
        [4, 2, 0.7],
        [14, 4, 0.82],
      ]),
      comp('two and four', 16, [
        [4, 2, 0.75],
        [12, 3, 0.8],
      ]),
    ],
    strumMs: 0,
  },
  bass: { movement: 'walking', source: 'style', register: { low: 28, high: 55 }, patterns: [], articulation: 0.92 },
  drums: {
    treatment: 'model-or-groove',
    kit: 32,
    slowKit: { belowBpm: 92, kit: 40 },
    substitute: { closedHat: 'ride' },
    grooves: [
      {
        name: 'spang-a-lang',
        lines: {
          ride: 'x...X.x.x...X.x.',
          pedalHat: '....x.......x...',
          kick: 'o.......o.......',
          snare: '..........o.....',
        },
      },
    ],
    fill: {
      name: 'snare kicks',
      lines: {
        ride: 'x...X.x.x.......',
        pedalHat: '....x.......x...',
        snare: '........o..x..X.',
        kick: '............X...',
      },
    },
    crash: true,
    enterBar: 0,
  },
  humanize: { timingMs: 12, velocity: 7, laidBackMs: { melody: 8 } },
};

const blues: StyleRecipe = {
  name: 'blues',
  description: 'Slow-to-medium shuffle: overdriven guitar lead, Hammond organ, walking bass, shuffle drums.',
  tempo: { min: 60, max: 140, default: 88 },
  swing: { amount: 0.66, grid: '8th' },
  meter: FOUR_FOUR,
  // 'sparse', as jazz: 5.3-5.7 lead notes a bar over three seed sets (the data 5.8); unspecified 8.0, 'medium' 7.5-7.6.
  conditioning: { styles: { jazz: 0.5, rock: 0.5 }, density: 'sparse' },
  instruments: { melody: gm(29), harmony: gm(16), bass: gm(33), drums: drumKit(8) },
  mix: {
    melody: mix(98, 76, 45, 10),
    harmony: mix(78, 50, 35, 20),
    bass: mix(100, 64, 15, 0),
    drums: mix(90, 64, 35, 0),
  },
  velocity: { melody: vel(64, 112), harmony: vel(45, 82), bass: vel(64, 100), drums: vel(30, 110) },
  melody: { articulation: 0.9, register: { low: 52, high: 86 } },
  harmony: {
    texture: 'shell comping',
    voicing: 'shell',
    extension: 'blues',
    register: { low: 50, high: 74 },
    comping: [
      comp('shuffle stabs', 16, [
        [0, 5, 0.9],
        [6, 2, 0.62],
        [8, 5, 0.85],
        [14, 2, 0.62],
      ]),
      comp('two and four', 16, [
        [4, 3, 0.8],
        [12, 3, 0.8],
        [14, 2, 0.6],
      ]),
    ],
    strumMs: 0,
  },
  bass: { movement: 'walking', source: 'style', register: { low: 28, high: 55 }, patterns: [], articulation: 0.9 },
  drums: {
    treatment: 'groove',
    kit: 8,
    substitute: {},
    grooves: [
      {
        name: 'shuffle',
        lines: { kick: 'X.......X.......', snare: '....X.......X...', closedHat: 'X.x.X.x.X.x.X.x.' },
      },
      {
        name: 'ride shuffle',
        lines: {
          kick: 'X.......X.....o.',
          snare: '....X.......X...',
          ride: 'X.x.X.x.X.x.X.x.',
          pedalHat: '....x.......x...',
        },
      },
    ],
    fill: {
      name: 'shuffle fill',
      lines: {
        kick: 'X.......X.......',
        snare: '....X...X.xoX.x.',
        closedHat: 'X.x.X.x.........',
        floorTom: '..............X.',
      },
    },
    crash: true,
    enterBar: 0,
  },
  humanize: { timingMs: 12, velocity: 8, laidBackMs: { melody: 10 } },
};

const rock: StyleRecipe = {
  name: 'rock',
  description: 'Driving band: overdriven lead guitar, distorted power chords, picked bass, big backbeat.',
  tempo: { min: 96, max: 170, default: 124 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  // 'medium': rock has no melody data, so the lead comes from the pop half; 'medium' gives 4.1-4.5 notes a bar over
  // three seed sets (pop and rock's reference data 4.3), 'dense' 5.2-5.3, 'sparse' 2.9-3.0 (npm run eval).
  conditioning: { styles: { rock: 0.5, pop: 0.5 }, density: 'medium' },
  instruments: { melody: gm(29), harmony: gm(30), bass: gm(34), drums: drumKit(8) },
  mix: {
    melody: mix(96, 80, 35, 0),
    harmony: mix(82, 44, 25, 0),
    bass: mix(102, 64, 10, 0),
    drums: mix(100, 64, 30, 0),
  },
  velocity: { melody: vel(72, 116), harmony: vel(70, 110), bass: vel(76, 112), drums: vel(40, 124) },
  melody: { articulation: 0.92, register: { low: 52, high: 86 } },
  harmony: {
    texture: 'power chords',
    voicing: 'power',
    extension: 'none',
    register: { low: 40, high: 67 },
    comping: [
      comp('eighth chug', 2, [[0, 1.6, 0.82]]),
      comp('push', 16, [
        [0, 6, 1],
        [6, 10, 0.9],
      ]),
    ],
    strumMs: 4,
  },
  bass: {
    movement: 'eighths',
    source: 'sheet-first',
    register: { low: 28, high: 52 },
    patterns: [EIGHTHS_BASS],
    articulation: 0.9,
  },
  drums: {
    treatment: 'model-or-groove',
    kit: 8,
    substitute: {},
    grooves: [
      { name: 'backbeat', lines: { kick: 'X.......X.x.....', snare: '....X.......X...', closedHat: BACKBEAT_HATS } },
      { name: 'ride backbeat', lines: { kick: 'X.....x.X.x.....', snare: '....X.......X...', ride: BACKBEAT_HATS } },
    ],
    fill: ROCK_FILL,
    crash: true,
    enterBar: 0,
  },
  humanize: { timingMs: 8, velocity: 8, laidBackMs: {} },
};

const pop: StyleRecipe = {
  name: 'pop',
  description: 'Bright radio pop: clean electric guitar lead over piano, electric bass and a steady kit.',
  tempo: { min: 88, max: 132, default: 108 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  conditioning: { styles: { pop: 1 } },
  instruments: { melody: gm(27), harmony: gm(0), bass: gm(33), drums: drumKit(0) },
  mix: {
    melody: mix(100, 70, 40, 30),
    harmony: mix(80, 56, 40, 0),
    bass: mix(98, 64, 12, 0),
    drums: mix(92, 64, 30, 0),
  },
  velocity: { melody: vel(66, 110), harmony: vel(48, 88), bass: vel(68, 104), drums: vel(36, 118) },
  melody: { articulation: 0.9, register: { low: 55, high: 88 } },
  harmony: {
    texture: 'triads',
    voicing: 'triad',
    extension: 'none',
    register: { low: 52, high: 76 },
    comping: [
      comp('quarter pulse', 16, [
        [0, 3.5, 0.95],
        [4, 3.5, 0.72],
        [8, 3.5, 0.86],
        [12, 3.5, 0.72],
      ]),
      comp('3-3-2', 16, [
        [0, 6, 1],
        [6, 6, 0.85],
        [12, 4, 0.85],
      ]),
    ],
    strumMs: 0,
  },
  bass: {
    movement: 'eighths',
    source: 'sheet-first',
    register: { low: 28, high: 55 },
    patterns: [EIGHTHS_BASS],
    articulation: 0.88,
  },
  drums: {
    treatment: 'model-or-groove',
    kit: 0,
    substitute: {},
    grooves: [
      { name: 'pop beat', lines: { kick: 'X.....x.X.......', snare: '....X.......X...', closedHat: BACKBEAT_HATS } },
      {
        name: 'pop chorus',
        lines: {
          kick: 'X.....x.X.x.....',
          snare: '....X.......X...',
          clap: '....x.......x...',
          closedHat: 'XxxxXxxxXxxxXxxx',
        },
      },
    ],
    fill: ROCK_FILL,
    crash: true,
    enterBar: 0,
  },
  humanize: { timingMs: 6, velocity: 6, laidBackMs: {} },
};

const classical: StyleRecipe = {
  name: 'classical',
  description: 'Chamber trio: violin melody, piano broken chords (Alberti), cello bass; no drums.',
  tempo: { min: 56, max: 144, default: 96 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  conditioning: { styles: { classical: 1 } },
  instruments: { melody: gm(40), harmony: gm(0), bass: gm(42), drums: drumKit(0) },
  mix: { melody: mix(100, 72, 62, 0), harmony: mix(84, 56, 58, 0), bass: mix(92, 60, 55, 0), drums: mix(0, 64, 0, 0) },
  velocity: { melody: vel(52, 104), harmony: vel(38, 78), bass: vel(50, 92), drums: vel(1, 1) },
  melody: { articulation: 0.96, register: { low: 55, high: 93 } },
  harmony: {
    texture: 'arpeggios',
    voicing: 'triad',
    extension: 'none',
    register: { low: 48, high: 72 },
    comping: [
      comp('alberti', 8, [
        [0, 2, 0.85, [0]],
        [2, 2, 0.6, [2]],
        [4, 2, 0.7, [1]],
        [6, 2, 0.6, [2]],
      ]),
      comp('rising arpeggio', 16, [
        [0, 2, 0.85, [0]],
        [2, 2, 0.65, [1]],
        [4, 2, 0.7, [2]],
        [6, 2, 0.65, [3]],
        [8, 2, 0.8, [4]],
        [10, 2, 0.65, [3]],
        [12, 2, 0.7, [2]],
        [14, 2, 0.6, [1]],
      ]),
    ],
    strumMs: 0,
  },
  bass: {
    movement: 'half-notes',
    source: 'sheet-first',
    register: { low: 36, high: 55 },
    patterns: [
      bassLine('half notes', 16, [
        [0, 8, 'R', 0.9],
        [8, 8, '5', 0.78],
      ]),
    ],
    articulation: 0.96,
  },
  drums: { treatment: 'none', kit: 0, substitute: {}, grooves: [], crash: false, enterBar: 0 },
  humanize: { timingMs: 14, velocity: 8, laidBackMs: {} },
};

const folk: StyleRecipe = {
  name: 'folk',
  description: 'Acoustic and warm: flute over fingerpicked steel guitar, upright bass on root and fifth.',
  tempo: { min: 76, max: 132, default: 100 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  conditioning: { styles: { folk: 1 } },
  instruments: { melody: gm(73), harmony: gm(25), bass: gm(32), drums: drumKit(40) },
  mix: {
    melody: mix(96, 74, 48, 0),
    harmony: mix(88, 50, 40, 10),
    bass: mix(94, 64, 25, 0),
    drums: mix(72, 64, 35, 0),
  },
  velocity: { melody: vel(58, 104), harmony: vel(44, 86), bass: vel(60, 96), drums: vel(28, 96) },
  melody: { articulation: 0.92, register: { low: 60, high: 96 } },
  harmony: {
    texture: 'arpeggios',
    voicing: 'triad',
    extension: 'none',
    register: { low: 50, high: 72 },
    comping: [
      comp('fingerpicking', 16, [
        [0, 8, 0.9, [0]],
        [2, 4, 0.68, [2]],
        [4, 6, 0.75, [1]],
        [6, 4, 0.64, [2]],
        [8, 8, 0.85, [0]],
        [10, 4, 0.68, [2]],
        [12, 4, 0.74, [1]],
        [14, 2, 0.62, [3]],
      ]),
      comp('strum', 16, [
        [0, 4, 0.9],
        [4, 2, 0.62],
        [6, 4, 0.76],
        [10, 2, 0.6],
        [12, 4, 0.8],
      ]),
    ],
    strumMs: 12,
  },
  bass: {
    movement: 'root-fifth',
    source: 'style',
    register: { low: 31, high: 55 },
    patterns: [
      bassLine('root fifth', 16, [
        [0, 6, 'R', 1],
        [8, 6, '5', 0.85],
      ]),
    ],
    articulation: 0.9,
  },
  drums: { treatment: 'model', kit: 40, substitute: {}, grooves: [], crash: false, enterBar: 0 },
  humanize: { timingMs: 14, velocity: 8, laidBackMs: {} },
};

const lofi: StyleRecipe = {
  name: 'lofi',
  description: 'Lo-fi hip hop: lazy swung 16ths, Rhodes rootless chords, soft vibes, 808 boom-bap laid back.',
  tempo: { min: 68, max: 96, default: 82 },
  swing: { amount: 0.4, grid: '16th' },
  meter: FOUR_FOUR,
  // 'medium': 6.0-6.2 lead notes a bar over three seed sets (the data 5.7); unspecified, the jazz in the mix ran to
  // 7.4-7.5 once top-p stopped trimming onsets (src/inference/sampler.ts, topP).
  conditioning: { styles: { hiphop: 0.5, jazz: 0.5 }, density: 'medium' },
  instruments: { melody: gm(11), harmony: gm(4), bass: gm(33), drums: drumKit(25) },
  mix: {
    melody: mix(92, 76, 55, 20),
    harmony: mix(86, 52, 50, 45),
    bass: mix(100, 64, 12, 0),
    drums: mix(92, 64, 25, 0),
  },
  velocity: { melody: vel(50, 96), harmony: vel(40, 78), bass: vel(64, 100), drums: vel(34, 108) },
  melody: { articulation: 0.9, register: { low: 58, high: 88 } },
  harmony: {
    texture: 'rootless voicings',
    voicing: 'rootless',
    extension: 'jazz',
    register: { low: 50, high: 76 },
    comping: [
      comp('lazy', 16, [
        [0, 7, 0.85],
        [7, 9, 0.7],
      ]),
      comp('whole', 16, [[0, 15, 0.8]]),
      comp('syncopated', 16, [
        [0, 3, 0.85],
        [3, 5, 0.68],
        [10, 6, 0.74],
      ]),
    ],
    strumMs: 6,
  },
  bass: {
    movement: 'syncopated',
    source: 'sheet-first',
    register: { low: 28, high: 52 },
    patterns: [
      bassLine('lazy root', 16, [
        [0, 6, 'R', 1],
        [7, 3, '5', 0.7],
        [10, 5, 'R', 0.8],
      ]),
    ],
    articulation: 0.9,
  },
  drums: {
    treatment: 'model-or-groove',
    kit: 25,
    substitute: {},
    grooves: [
      {
        name: 'boom bap',
        lines: { kick: 'X......x..X.....', snare: '....X.......X...', closedHat: 'x.o.x.o.x.o.x.ox' },
      },
    ],
    crash: false,
    enterBar: 0,
  },
  humanize: { timingMs: 14, velocity: 9, laidBackMs: { harmony: 14, drums: 6, melody: 10 } },
};

const electronic: StyleRecipe = {
  name: 'electronic',
  description: 'Four-on-the-floor house: saw lead, polysynth pads and stabs, octave synth bass, drum machine.',
  tempo: { min: 110, max: 140, default: 124 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  // 'medium': 3.6-3.9 lead notes a bar over three seed sets (the data 4.4), 'dense' 5.2-5.3, unspecified 3.4-3.7,
  // since top-p no longer trims onsets (src/inference/sampler.ts, topP).
  conditioning: { styles: { pop: 0.5, funk: 0.5 }, density: 'medium' },
  instruments: { melody: gm(81), harmony: gm(90), bass: gm(38), drums: drumKit(24) },
  mix: {
    melody: mix(92, 72, 45, 40),
    harmony: mix(80, 56, 60, 60),
    bass: mix(104, 64, 5, 0),
    drums: mix(100, 64, 15, 0),
  },
  velocity: { melody: vel(84, 108), harmony: vel(62, 92), bass: vel(88, 110), drums: vel(50, 120) },
  melody: { articulation: 0.85, register: { low: 60, high: 91 } },
  harmony: {
    texture: 'pads',
    voicing: 'spread',
    extension: 'add9',
    register: { low: 50, high: 79 },
    comping: [HOLD_PAD, comp('offbeat stabs', 4, [[2, 1, 0.85]])],
    strumMs: 0,
  },
  bass: {
    movement: 'octaves',
    source: 'style',
    register: { low: 28, high: 55 },
    patterns: [OCTAVE_BASS],
    articulation: 0.85,
  },
  drums: {
    treatment: 'groove',
    kit: 24,
    substitute: {},
    grooves: [
      {
        name: 'four on the floor',
        lines: {
          kick: 'X...X...X...X...',
          clap: '....X.......X...',
          openHat: '..X...X...X...X.',
          closedHat: 'oo.ooo.ooo.ooo.o',
        },
      },
      {
        name: 'driving',
        lines: {
          kick: 'X...X...X...X...',
          clap: '....X.......X...',
          openHat: '..X...X...X...X.',
          closedHat: 'xx.xxx.xxx.xxx.x',
          shaker: 'oxoxoxoxoxoxoxox',
        },
      },
    ],
    fill: {
      name: 'snare build',
      lines: { kick: 'X...X...X...X...', snare: '........xxxxXXXX', openHat: '..X...X.........' },
    },
    crash: true,
    enterBar: 0,
  },
  humanize: { timingMs: 0, velocity: 0, laidBackMs: {} },
};

const ambient: StyleRecipe = {
  name: 'ambient',
  description: 'Slow, spacious washes: bell pad melody over warm pads and held low strings; no drums.',
  tempo: { min: 56, max: 92, default: 70 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  conditioning: { styles: { classical: 0.5, pop: 0.5 }, density: 'sparse' },
  instruments: { melody: gm(88), harmony: gm(89), bass: gm(50), drums: drumKit(0) },
  mix: {
    melody: mix(94, 74, 100, 40),
    harmony: mix(78, 54, 100, 60),
    bass: mix(82, 64, 80, 20),
    drums: mix(0, 64, 0, 0),
  },
  velocity: { melody: vel(48, 92), harmony: vel(36, 70), bass: vel(44, 80), drums: vel(1, 1) },
  melody: { articulation: 1, register: { low: 60, high: 91 } },
  harmony: {
    texture: 'pads',
    voicing: 'spread',
    extension: 'add9',
    register: { low: 46, high: 79 },
    comping: [HOLD_PAD],
    strumMs: 0,
  },
  bass: {
    movement: 'pedal',
    source: 'style',
    register: { low: 31, high: 55 },
    patterns: [PEDAL_BASS],
    articulation: 1,
  },
  drums: { treatment: 'none', kit: 0, substitute: {}, grooves: [], crash: false, enterBar: 0 },
  humanize: { timingMs: 10, velocity: 5, laidBackMs: {} },
};

const funk: StyleRecipe = {
  name: 'funk',
  description: 'Tight 16th-note funk: alto sax, clavinet chops, slap bass, ghost-note drums.',
  tempo: { min: 88, max: 124, default: 104 },
  swing: { amount: 0.2, grid: '16th' },
  meter: FOUR_FOUR,
  conditioning: { styles: { funk: 0.6, jazz: 0.2, pop: 0.2 }, density: 'medium' },
  instruments: { melody: gm(65), harmony: gm(7), bass: gm(36), drums: drumKit(0) },
  mix: {
    melody: mix(96, 74, 35, 0),
    harmony: mix(80, 44, 20, 15),
    bass: mix(104, 64, 8, 0),
    drums: mix(98, 64, 22, 0),
  },
  velocity: { melody: vel(68, 112), harmony: vel(50, 96), bass: vel(64, 112), drums: vel(30, 120) },
  melody: { articulation: 0.78, register: { low: 54, high: 86 } },
  harmony: {
    texture: 'stabs',
    voicing: 'shell',
    extension: 'jazz',
    register: { low: 55, high: 79 },
    comping: [
      comp('clav', 16, [
        [0, 1, 1],
        [3, 1, 0.55],
        [6, 1, 0.85],
        [7, 1, 0.5],
        [10, 1, 0.9],
        [12, 1, 0.55],
        [14, 1, 0.8],
      ]),
      comp('chops', 16, [
        [0, 1, 0.9],
        [4, 1, 0.5],
        [6, 1, 0.85],
        [10, 1, 0.85],
        [13, 1, 0.6],
        [14, 1, 0.8],
      ]),
    ],
    strumMs: 3,
  },
  bass: {
    movement: 'syncopated',
    source: 'sheet-first',
    register: { low: 28, high: 55 },
    patterns: [
      bassLine('one-and-pop', 16, [
        [0, 2, 'R', 1],
        [3, 1, 'R', 0.5],
        [6, 1, 'O', 0.85],
        [10, 1, 'R', 0.8],
        [11, 1, '5u', 0.6],
        [14, 1, 'O', 0.8],
        [15, 1, 'A', 0.65],
      ]),
    ],
    articulation: 0.75,
  },
  drums: {
    treatment: 'model-or-groove',
    kit: 0,
    substitute: {},
    grooves: [
      {
        name: 'ghost-note funk',
        lines: {
          kick: 'X.........X..x..',
          snare: '....X..o.o..X..o',
          closedHat: 'XoxoXoxoXoxoXo.o',
          openHat: '..............x.',
        },
      },
    ],
    fill: {
      name: 'funk fill',
      lines: { kick: 'X.........X.....', snare: '....X..o.oXoXoXX', closedHat: 'XoxoXoxoXo......' },
    },
    crash: true,
    enterBar: 0,
  },
  humanize: { timingMs: 6, velocity: 9, laidBackMs: {} },
};

const latin: StyleRecipe = {
  name: 'latin',
  description: 'Bossa nova: flute melody, nylon guitar comping on the clave, upright bass, side stick.',
  tempo: { min: 110, max: 150, default: 128 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  // 'medium': 6.4-7.2 lead notes a bar over three seed sets (the data 5.8); unspecified 7.7-8.0, 'sparse' 3.5.
  conditioning: { styles: { latin: 0.7, jazz: 0.3 }, density: 'medium' },
  instruments: { melody: gm(73), harmony: gm(24), bass: gm(32), drums: drumKit(32) },
  mix: { melody: mix(96, 76, 50, 0), harmony: mix(90, 48, 40, 0), bass: mix(96, 64, 20, 0), drums: mix(80, 64, 35, 0) },
  velocity: { melody: vel(56, 100), harmony: vel(46, 84), bass: vel(60, 94), drums: vel(28, 96) },
  melody: { articulation: 0.92, register: { low: 60, high: 96 } },
  harmony: {
    texture: 'bossa comping',
    voicing: 'rootless',
    extension: 'jazz',
    register: { low: 50, high: 74 },
    comping: [
      comp('bossa clave', 32, [
        [0, 3, 0.9],
        [6, 3, 0.78],
        [12, 3, 0.8],
        [20, 3, 0.8],
        [26, 3, 0.8],
      ]),
      comp('bossa variation', 32, [
        [0, 3, 0.9],
        [6, 3, 0.76],
        [10, 3, 0.72],
        [16, 3, 0.85],
        [22, 3, 0.76],
        [28, 3, 0.78],
      ]),
    ],
    strumMs: 8,
  },
  bass: {
    movement: 'bossa',
    source: 'style',
    register: { low: 28, high: 55 },
    patterns: [
      bassLine('bossa', 16, [
        [0, 5.5, 'R', 1],
        [6, 2, '5', 0.7],
        [8, 5.5, '5', 0.9],
        [14, 2, 'R', 0.7],
      ]),
    ],
    articulation: 0.95,
  },
  drums: {
    treatment: 'groove',
    kit: 32,
    substitute: { snare: 'sideStick' },
    grooves: [
      {
        name: 'bossa',
        lines: {
          kick: 'X.....x.X.....x.',
          sideStick: 'x.....x.....x.......x.....x.....',
          closedHat: 'xoxoxoxoxoxoxoxo',
        },
      },
    ],
    crash: false,
    enterBar: 0,
  },
  humanize: { timingMs: 10, velocity: 7, laidBackMs: {} },
};

const country: StyleRecipe = {
  name: 'country',
  description: 'Boom-chuck country: fiddle lead, strummed steel-string guitar, root-fifth bass, side-stick beat.',
  tempo: { min: 88, max: 150, default: 112 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  conditioning: { styles: { folk: 0.5, pop: 0.5 }, density: 'medium' },
  instruments: { melody: gm(110), harmony: gm(25), bass: gm(33), drums: drumKit(8) },
  mix: {
    melody: mix(96, 78, 40, 0),
    harmony: mix(88, 46, 30, 10),
    bass: mix(98, 64, 12, 0),
    drums: mix(86, 64, 28, 0),
  },
  velocity: { melody: vel(62, 106), harmony: vel(46, 92), bass: vel(66, 102), drums: vel(32, 110) },
  melody: { articulation: 0.9, register: { low: 55, high: 91 } },
  harmony: {
    texture: 'strummed triads',
    voicing: 'triad',
    extension: 'none',
    register: { low: 52, high: 74 },
    comping: [
      comp('boom-chuck', 16, [
        [0, 3, 0.6],
        [4, 2, 0.95],
        [6, 2, 0.58],
        [8, 3, 0.6],
        [12, 2, 0.95],
        [14, 2, 0.58],
      ]),
      comp('full strum', 16, [
        [0, 4, 0.9],
        [4, 2, 0.8],
        [6, 2, 0.6],
        [8, 2, 0.8],
        [10, 2, 0.6],
        [12, 2, 0.85],
        [14, 2, 0.6],
      ]),
    ],
    strumMs: 12,
  },
  bass: {
    movement: 'root-fifth',
    source: 'style',
    register: { low: 28, high: 55 },
    patterns: [
      bassLine('root fifth', 16, [
        [0, 3.5, 'R', 1],
        [8, 3.5, '5', 0.88],
      ]),
      bassLine('root fifth walk-up', 16, [
        [0, 3.5, 'R', 1],
        [8, 3.5, '5', 0.88],
        [12, 3.5, 'A', 0.8],
      ]),
    ],
    articulation: 0.85,
  },
  drums: {
    treatment: 'groove',
    kit: 8,
    substitute: {},
    grooves: [
      {
        name: 'train beat',
        lines: { kick: 'X.......X.......', sideStick: '....X.......X...', closedHat: 'x.x.x.x.x.x.x.x.' },
      },
      {
        name: 'chorus beat',
        lines: { kick: 'X.......X.x.....', snare: '....X.......X...', closedHat: 'X.x.X.x.X.x.X.x.' },
      },
    ],
    fill: ROCK_FILL,
    crash: true,
    enterBar: 0,
  },
  humanize: { timingMs: 9, velocity: 7, laidBackMs: {} },
};

const metal: StyleRecipe = {
  name: 'metal',
  description: 'Heavy and fast: distorted lead, galloping low power chords, bass locked to the riff, double kick.',
  tempo: { min: 100, max: 200, default: 152 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  // 'dense' as rock: 4.8-4.9 lead notes a bar over three seed sets (the reference data has 4.4); unspecified, about 3.
  conditioning: { styles: { rock: 0.55, pop: 0.45 }, density: 'dense', mode: 'minor' },
  instruments: { melody: gm(30), harmony: gm(30), bass: gm(34), drums: drumKit(16) },
  mix: {
    melody: mix(94, 84, 35, 0),
    harmony: mix(86, 40, 20, 0),
    bass: mix(100, 64, 8, 0),
    drums: mix(104, 64, 25, 0),
  },
  velocity: { melody: vel(80, 118), harmony: vel(80, 118), bass: vel(84, 116), drums: vel(56, 127) },
  melody: { articulation: 0.95, register: { low: 52, high: 88 } },
  harmony: {
    texture: 'power chords',
    voicing: 'power',
    extension: 'none',
    register: { low: 38, high: 64 },
    comping: [
      comp('gallop', 4, [
        [0, 1.6, 1],
        [2, 0.8, 0.78],
        [3, 0.8, 0.8],
      ]),
      comp('sustain', 16, [
        [0, 8, 1],
        [8, 8, 0.95],
      ]),
      comp('sixteenth chug', 4, [
        [0, 0.8, 1],
        [1, 0.8, 0.7],
        [2, 0.8, 0.85],
        [3, 0.8, 0.7],
      ]),
    ],
    strumMs: 3,
  },
  bass: {
    movement: 'chug',
    source: 'style',
    register: { low: 28, high: 50 },
    patterns: [
      bassLine('gallop', 4, [
        [0, 1.6, 'R', 1],
        [2, 0.8, 'R', 0.8],
        [3, 0.8, 'R', 0.8],
      ]),
    ],
    articulation: 0.9,
  },
  drums: {
    treatment: 'groove',
    kit: 16,
    substitute: {},
    grooves: [
      {
        name: 'double kick eighths',
        lines: { kick: 'X.x.X.x.X.x.X.x.', snare: '....X.......X...', closedHat: 'X.x.X.x.X.x.X.x.' },
      },
      {
        name: 'double kick sixteenths',
        lines: { kick: 'XxxxXxxxXxxxXxxx', snare: '....X.......X...', ride: 'X.x.X.x.X.x.X.x.' },
      },
    ],
    fill: {
      name: 'tom run',
      lines: {
        kick: 'X.x.X.x.X.......',
        snare: '....X...XxXx....',
        highTom: '............XX..',
        floorTom: '..............XX',
      },
    },
    crash: true,
    enterBar: 0,
  },
  humanize: { timingMs: 5, velocity: 5, laidBackMs: {} },
};

const reggae: StyleRecipe = {
  name: 'reggae',
  description: 'One-drop reggae: harmonica melody, guitar skank on the offbeats, deep melodic bass, rimshot on three.',
  tempo: { min: 60, max: 96, default: 76 },
  swing: { amount: 0.25, grid: '16th' },
  meter: FOUR_FOUR,
  conditioning: { styles: { reggae: 0.5, pop: 0.5 } },
  instruments: { melody: gm(22), harmony: gm(27), bass: gm(33), drums: drumKit(0) },
  mix: {
    melody: mix(92, 76, 45, 0),
    harmony: mix(80, 40, 45, 20),
    bass: mix(106, 64, 10, 0),
    drums: mix(90, 64, 35, 0),
  },
  velocity: { melody: vel(60, 104), harmony: vel(56, 92), bass: vel(70, 108), drums: vel(36, 112) },
  melody: { articulation: 0.9, register: { low: 60, high: 91 } },
  harmony: {
    texture: 'skank offbeats',
    voicing: 'triad',
    extension: 'none',
    register: { low: 60, high: 79 },
    comping: [
      comp('skank', 16, [
        [4, 1.5, 0.9],
        [12, 1.5, 0.9],
      ]),
      comp('double skank', 8, [
        [4, 1, 0.88],
        [5, 1, 0.6],
      ]),
    ],
    strumMs: 5,
  },
  bass: {
    movement: 'one-drop',
    source: 'sheet-first',
    register: { low: 28, high: 52 },
    patterns: [
      bassLine('one drop', 16, [
        [0, 5, 'R', 1],
        [6, 2, '5', 0.75],
        [8, 3, 'O', 0.8],
        [12, 2, '3', 0.7],
        [14, 2, '5', 0.7],
      ]),
    ],
    articulation: 0.9,
  },
  drums: {
    treatment: 'model-or-groove',
    kit: 0,
    substitute: {},
    grooves: [
      {
        name: 'one drop',
        lines: { kick: '........X.......', sideStick: '........X.......', closedHat: 'x.x.x.x.x.x.x.x.' },
      },
      {
        name: 'steppers',
        lines: { kick: 'X...X...X...X...', sideStick: '........X.......', closedHat: 'x.x.x.x.x.x.x.xo' },
      },
    ],
    crash: false,
    enterBar: 0,
  },
  humanize: { timingMs: 10, velocity: 7, laidBackMs: { harmony: 6, melody: 8 } },
};

const game: StyleRecipe = {
  name: 'game',
  description: 'Chiptune: square-wave lead and fast arpeggios, synth bass, drum machine, tight and quantised.',
  tempo: { min: 100, max: 180, default: 140 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  // No density: 5.3-5.5 lead notes a bar over three seed sets (the data 5.6); 'medium' 4.8.
  conditioning: { styles: { game: 1 } },
  instruments: { melody: gm(80), harmony: gm(80), bass: gm(38), drums: drumKit(24) },
  mix: { melody: mix(90, 70, 12, 0), harmony: mix(66, 54, 10, 0), bass: mix(96, 64, 5, 0), drums: mix(86, 64, 8, 0) },
  velocity: { melody: vel(92, 104), harmony: vel(78, 92), bass: vel(90, 104), drums: vel(70, 112) },
  melody: { articulation: 0.82, register: { low: 60, high: 96 } },
  harmony: {
    texture: 'arpeggios',
    voicing: 'triad',
    extension: 'none',
    register: { low: 52, high: 76 },
    comping: [
      comp('sixteenth arpeggio', 4, [
        [0, 1, 0.9, [0]],
        [1, 1, 0.75, [1]],
        [2, 1, 0.8, [2]],
        [3, 1, 0.75, [3]],
      ]),
      comp('eighth arpeggio', 8, [
        [0, 2, 0.9, [0]],
        [2, 2, 0.75, [1]],
        [4, 2, 0.8, [2]],
        [6, 2, 0.75, [1]],
      ]),
    ],
    strumMs: 0,
  },
  bass: {
    movement: 'octaves',
    source: 'sheet-first',
    register: { low: 28, high: 55 },
    patterns: [OCTAVE_BASS],
    articulation: 0.8,
  },
  drums: {
    treatment: 'model-or-groove',
    kit: 24,
    substitute: {},
    grooves: [
      {
        name: 'chip beat',
        lines: { kick: 'X.......X.x.....', snare: '....X.......X...', closedHat: 'x.x.x.x.x.x.x.x.' },
      },
    ],
    fill: { name: 'chip fill', lines: { kick: 'X.......X.......', snare: '....X...XxXxXXXX' } },
    crash: true,
    enterBar: 0,
  },
  humanize: { timingMs: 0, velocity: 0, laidBackMs: {} },
};

const cinematic: StyleRecipe = {
  name: 'cinematic',
  description: 'Film score: French horn theme over string pads that turn into ostinatos, low strings, big toms.',
  tempo: { min: 60, max: 120, default: 84 },
  swing: STRAIGHT,
  meter: FOUR_FOUR,
  conditioning: { styles: { classical: 0.7, game: 0.3 } },
  instruments: { melody: gm(60), harmony: gm(48), bass: gm(43), drums: drumKit(8) },
  mix: { melody: mix(98, 70, 80, 0), harmony: mix(86, 56, 85, 0), bass: mix(92, 62, 70, 0), drums: mix(88, 64, 70, 0) },
  velocity: { melody: vel(58, 112), harmony: vel(44, 96), bass: vel(52, 100), drums: vel(40, 122) },
  melody: { articulation: 1, register: { low: 50, high: 82 } },
  harmony: {
    texture: 'pads',
    voicing: 'spread',
    extension: 'none',
    register: { low: 43, high: 79 },
    comping: [
      HOLD_PAD,
      comp('string ostinato', 4, [
        [0, 1.8, 0.88],
        [2, 1.8, 0.7],
      ]),
    ],
    strumMs: 0,
  },
  bass: {
    movement: 'pedal',
    source: 'style',
    register: { low: 28, high: 52 },
    patterns: [PEDAL_BASS],
    articulation: 1,
  },
  drums: {
    treatment: 'groove',
    kit: 8,
    substitute: {},
    grooves: [
      {
        name: 'war drums',
        lines: { kick: 'X.......X.....x.', floorTom: '....X..x....X.xx', lowTom: '......x.........' },
      },
    ],
    fill: {
      name: 'snare roll',
      lines: { kick: 'X...............', snare: '....ooooxxxxXXXX', floorTom: 'X...............' },
    },
    crash: true,
    enterBar: 4,
  },
  humanize: { timingMs: 10, velocity: 7, laidBackMs: {} },
};

/** Every product style's recipe, by name. */
export const STYLES: Readonly<Record<StyleName, StyleRecipe>> = {
  jazz,
  blues,
  rock,
  pop,
  classical,
  folk,
  lofi,
  electronic,
  ambient,
  funk,
  latin,
  country,
  metal,
  reggae,
  game,
  cinematic,
};

/** The recipe of a product style. */
export function getStyle(name: StyleName): StyleRecipe {
  return STYLES[name];
}

// ---------------------------------------------------------------------------------------------------
// Parsing what people type.

/** Other names people use, normalised (lower case, no spaces, dashes or underscores). */
const STYLE_ALIASES: Readonly<Record<string, StyleName>> = {
  swing: 'jazz',
  bebop: 'jazz',
  bop: 'jazz',
  shuffle: 'blues',
  punk: 'rock',
  hardrock: 'rock',
  classic: 'classical',
  baroque: 'classical',
  piano: 'classical',
  acoustic: 'folk',
  lofihiphop: 'lofi',
  chillhop: 'lofi',
  edm: 'electronic',
  house: 'electronic',
  techno: 'electronic',
  synth: 'electronic',
  dance: 'electronic',
  disco: 'electronic',
  atmospheric: 'ambient',
  funky: 'funk',
  bossa: 'latin',
  bossanova: 'latin',
  samba: 'latin',
  bluegrass: 'country',
  western: 'country',
  heavymetal: 'metal',
  ska: 'reggae',
  dub: 'reggae',
  chiptune: 'game',
  chip: 'game',
  '8bit': 'game',
  videogame: 'game',
  retro: 'game',
  film: 'cinematic',
  movie: 'cinematic',
  soundtrack: 'cinematic',
  orchestral: 'cinematic',
  score: 'cinematic',
};

/** One part of a style mix, weight in (0, 1]. */
export interface StylePart {
  readonly style: StyleName;
  readonly weight: number;
}

/** A parsed style: one product style or a weighted mix of several. */
export interface StyleSelection {
  /** "jazz" or "jazz:0.6,lofi:0.4" (heaviest first, weights rounded to 2 decimals). */
  readonly label: string;
  /** Heaviest first; weights sum to 1. */
  readonly parts: readonly StylePart[];
  /** How the mix is performed: the heaviest part's recipe. */
  readonly recipe: StyleRecipe;
  /** What the model is asked for: the weighted mix of the parts' style weights; other conditions from the heaviest part. */
  readonly conditioning: ModelConditioning;
}

export type StyleErrorCode = 'empty-style' | 'unknown-style' | 'bad-weight' | 'too-many-styles';

export type StyleResult =
  | { readonly ok: true; readonly value: StyleSelection }
  | { readonly ok: false; readonly error: { readonly code: StyleErrorCode; readonly message: string } };

/** At most this many styles in one mix. */
export const MAX_STYLE_PARTS = 4;

function normaliseName(text: string): string {
  return text.toLowerCase().replace(/[\s\-_.']+/g, '');
}

/** Resolves one style name or alias (case-insensitive, "lo-fi" = "lofi"); undefined if unknown. */
export function resolveStyleName(text: string): StyleName | undefined {
  const key = normaliseName(text);
  const direct = STYLE_NAMES.find((name) => name === key);
  return direct ?? STYLE_ALIASES[key];
}

function failure(code: StyleErrorCode, message: string): StyleResult {
  return { ok: false, error: { code, message } };
}

const VALID_STYLES_HINT = `Valid styles: ${STYLE_NAMES.join(', ')} (or a mix like jazz:0.6,lofi:0.4).`;

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(text: string): string {
  const key = normaliseName(text);
  const candidates = [...STYLE_NAMES, ...Object.keys(STYLE_ALIASES)];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  if (best === undefined || bestDistance > Math.max(1, Math.floor(key.length / 3))) return '';
  const name = resolveStyleName(best) ?? best;
  return ` Did you mean ${name}?`;
}

function parseWeight(text: string): number | undefined {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const body = percent ? trimmed.slice(0, -1).trim() : trimmed;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(body)) return undefined;
  const value = Number(body) / (percent ? 100 : 1);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Builds the selection for parts whose weights are already positive (they are normalised here). */
export function selectStyles(parts: readonly StylePart[]): StyleSelection {
  const merged = new Map<StyleName, number>();
  for (const part of parts) merged.set(part.style, (merged.get(part.style) ?? 0) + part.weight);
  const total = [...merged.values()].reduce((a, b) => a + b, 0);
  const normalised: StylePart[] = [...merged.entries()]
    .map(([style, weight]) => ({ style, weight: total > 0 ? weight / total : 1 / merged.size }))
    .sort((a, b) => b.weight - a.weight);
  const heaviest = normalised[0] ?? { style: 'pop', weight: 1 };
  const recipe = STYLES[heaviest.style];
  const label =
    normalised.length === 1
      ? heaviest.style
      : normalised.map((part) => `${part.style}:${String(Math.round(part.weight * 100) / 100)}`).join(',');
  const styles = mixStyleWeights(
    normalised.map((part) => ({ weights: STYLES[part.style].conditioning.styles, weight: part.weight })),
  );
  return { label, parts: normalised, recipe, conditioning: { ...recipe.conditioning, styles } };
}

/**
 * Parses a style as typed: a name or alias ("Jazz", "bossa", "lo-fi", "chiptune") or a mix
 * ("jazz:0.6,lofi:0.4", "jazz:60%,lofi:40%", "jazz=2;lofi=1"). A part without a weight counts 1; weights
 * are normalised; a style named twice has its weights added.
 */
export function parseStyle(input: string): StyleResult {
  const text = input.trim();
  if (text === '') return failure('empty-style', `No style given. ${VALID_STYLES_HINT}`);
  const pieces = text.split(/[,;+]/).map((piece) => piece.trim());
  if (pieces.length > MAX_STYLE_PARTS) {
    return failure('too-many-styles', `A mix can have at most ${MAX_STYLE_PARTS} styles; got ${pieces.length}.`);
  }
  const parts: StylePart[] = [];
  for (const piece of pieces) {
    if (piece === '') return failure('empty-style', `"${input}" has an empty part. ${VALID_STYLES_HINT}`);
    const separator = piece.search(/[:=]/);
    const namePart = separator >= 0 ? piece.slice(0, separator) : piece;
    const style = resolveStyleName(namePart);
    if (style === undefined) {
      return failure(
        'unknown-style',
        `Unknown style "${namePart.trim()}".${suggestion(namePart)} ${VALID_STYLES_HINT}`,
      );
    }
    let weight = 1;
    if (separator >= 0) {
      const parsed = parseWeight(piece.slice(separator + 1));
      if (parsed === undefined) {
        return failure(
          'bad-weight',
          `"${piece}" has a bad weight: use a positive number like ${style}:0.6 or ${style}:60%.`,
        );
      }
      weight = parsed;
    }
    parts.push({ style, weight });
  }
  return { ok: true, value: selectStyles(parts) };
}
