/**
 * A StyleRecipe says what a product style means to a musician: tempo and feel, what the model is asked
 * for, who plays which part on which instrument, how chords are voiced and comped, how the bass moves,
 * what the drummer plays, and how it is mixed. The arrangement (arrange.ts) performs a LeadSheet with one.
 * All rhythm patterns are written on the 16th grid (4 steps per beat, 16 steps per 4/4 bar).
 */
import type { ModelConditioning } from './conditioning.ts';
import type { DrumVoice } from './drum-voices.ts';
import type { Instrument, TimeSignature, TrackMix, TrackRole } from './score.ts';
import type { StyleName } from './styles.ts';

/** Which subdivision is swung: 8ths (jazz, blues shuffle) or 16ths (lofi, funk, reggae). */
export const SWING_GRIDS = ['8th', '16th'] as const;
export type SwingGrid = (typeof SWING_GRIDS)[number];

/**
 * Swing: every second note of the grid is delayed by `amount × half a subdivision`, so 0 = straight,
 * 2/3 = exact triplet swing (2:1), 1 = dotted (3:1). Jazz at medium tempo sits around 0.6.
 */
export interface Swing {
  readonly amount: number;
  readonly grid: SwingGrid;
}

export interface TempoRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/** An inclusive MIDI pitch range. */
export interface PitchRange {
  readonly low: number;
  readonly high: number;
}

export interface VelocityRange {
  readonly min: number;
  readonly max: number;
}

/**
 * How chord tones are chosen and stacked:
 * - shell: guide tones (3rd and 7th) plus one colour tone, no root (jazz piano with a bass player)
 * - rootless: four-note A/B-form voicings 3-5-7-9 / 7-9-3-5 (Bill Evans, lofi Rhodes)
 * - triad: the chord's own tones in close position, any inversion (pop, folk, country, arpeggios)
 * - power: root, fifth and octave in parallel (rock, metal)
 * - spread: open drop-2 voicings for pads and strings (ambient, cinematic, electronic)
 */
export const VOICING_KINDS = ['shell', 'rootless', 'triad', 'power', 'spread'] as const;
export type VoicingKind = (typeof VOICING_KINDS)[number];

/**
 * How a chord symbol is coloured before voicing:
 * none = as written; jazz = triads become 6 / m7 (m6 on a minor tonic), 7ths gain 9ths;
 * blues = major triads become dominant 7ths; add9 = triads gain a 9th (pads).
 */
export const EXTENSIONS = ['none', 'jazz', 'blues', 'add9'] as const;
export type Extension = (typeof EXTENSIONS)[number];

/** The texture a listener would name (shown by /styles); the voicing and comping realise it. */
export const HARMONY_TEXTURES = [
  'shell comping',
  'rootless voicings',
  'triads',
  'strummed triads',
  'power chords',
  'arpeggios',
  'pads',
  'skank offbeats',
  'bossa comping',
  'stabs',
] as const;
export type HarmonyTexture = (typeof HARMONY_TEXTURES)[number];

/**
 * Which notes of the voicing a comping hit plays: all, all but the lowest ("upper"), the lowest, or
 * arpeggio indices through a triad frame: 0 bottom, 1 middle, 2 top, 3 bottom an octave up, 4 middle an
 * octave up... (on a 4-note voicing the frame is bottom, second, top).
 */
export type CompVoices = 'all' | 'upper' | 'bottom' | readonly number[];

export interface CompHit {
  /** Onset in steps from the start of the pattern. */
  readonly step: number;
  /** Length in steps (cut at the next chord change). */
  readonly steps: number;
  /** 0-1, scales the role's velocity range. */
  readonly accent: number;
  /** Default 'all'. */
  readonly voices?: CompVoices;
}

export interface CompingPattern {
  readonly name: string;
  /** Pattern length in steps: 4 (a beat, tiled), 16 (a bar), 32 (two bars, e.g. bossa clave). */
  readonly lengthSteps: number;
  readonly hits: readonly CompHit[];
  /** Pads: each hit sustains until the next hit or chord change; bars with an unchanged chord tie over. */
  readonly hold?: boolean;
}

export interface HarmonyRecipe {
  readonly texture: HarmonyTexture;
  readonly voicing: VoicingKind;
  readonly extension: Extension;
  /** Every voiced note stays inside this range. */
  readonly register: PitchRange;
  /** Section A, section B, ... (a section is 8 bars); the arrangement alternates them. */
  readonly comping: readonly CompingPattern[];
  /** Milliseconds between chord notes (a guitar strum or harp roll); 0 = block chords. */
  readonly strumMs: number;
}

/**
 * How the bass moves when the arrangement writes the line itself:
 * walking (a note per beat with chromatic approaches), root-fifth, syncopated (funk), octaves (disco,
 * house), pedal (held roots), eighths (rock pump), chug (metal), bossa, one-drop (reggae), half-notes.
 */
export const BASS_MOVEMENTS = [
  'walking',
  'root-fifth',
  'syncopated',
  'octaves',
  'pedal',
  'eighths',
  'chug',
  'bossa',
  'one-drop',
  'half-notes',
] as const;
export type BassMovement = (typeof BASS_MOVEMENTS)[number];

/**
 * A bass pattern degree, relative to the chord: R root, 5 fifth (below when it fits), 5u fifth above,
 * O octave above, 3 third, 7 seventh (6th on plain major triads), A chromatic approach to the next chord's
 * root, T the key's tonic.
 */
export const BASS_DEGREES = ['R', '5', '5u', 'O', '3', '7', 'A', 'T'] as const;
export type BassDegree = (typeof BASS_DEGREES)[number];

export interface BassHit {
  readonly step: number;
  readonly steps: number;
  readonly degree: BassDegree;
  readonly accent: number;
}

export interface BassPattern {
  readonly name: string;
  readonly lengthSteps: number;
  readonly hits: readonly BassHit[];
  /** Each note sustains until the next note or chord change (pedal tones). */
  readonly hold?: boolean;
}

/** sheet-first: play the model's bass line where a bar has one, else the style's; style: always the style's. */
export const BASS_SOURCES = ['sheet-first', 'style'] as const;
export type BassSource = (typeof BASS_SOURCES)[number];

export interface BassRecipe {
  readonly movement: BassMovement;
  readonly source: BassSource;
  readonly register: PitchRange;
  /** Patterns for every movement except walking (which is written note by note). */
  readonly patterns: readonly BassPattern[];
  /** Fraction of the written length actually held (0.5 staccato ... 1 legato). */
  readonly articulation: number;
}

/**
 * model: play the model's drums as written; model-or-groove: the model's, but a bar with (almost) no drums
 * gets the style's groove; groove: always the style's groove; none: no drummer.
 */
export const DRUM_TREATMENTS = ['model', 'model-or-groove', 'groove', 'none'] as const;
export type DrumTreatment = (typeof DRUM_TREATMENTS)[number];

/**
 * A drum groove as one line per voice, one character per 16th step: X accent, x normal, o ghost, . rest.
 * A line may span several bars (its length a multiple of the bar); the arrangement reads it bar by bar.
 */
export interface DrumGroove {
  readonly name: string;
  readonly lines: Readonly<Partial<Record<DrumVoice, string>>>;
}

export interface DrumsRecipe {
  readonly treatment: DrumTreatment;
  /** GM kit: 0 standard, 8 room, 16 power, 24 electronic, 25 TR-808, 32 jazz, 40 brush. */
  readonly kit: number;
  /** Ballads: below this tempo, use another kit (jazz → brushes). */
  readonly slowKit?: { readonly belowBpm: number; readonly kit: number };
  /** Voice substitutions applied to everything played (jazz: closedHat → ride; bossa: snare → sideStick). */
  readonly substitute: Readonly<Partial<Record<DrumVoice, DrumVoice>>>;
  /** Section A, section B, ... grooves in 4/4; other meters use a generic groove with the same voices. */
  readonly grooves: readonly DrumGroove[];
  /** Played in the last bar of each 8-bar section when the groove is in use. */
  readonly fill?: DrumGroove;
  /** A crash on the first downbeat and at each section start. */
  readonly crash: boolean;
  /** The drummer comes in at this bar (0 = from the start; cinematic builds). */
  readonly enterBar: number;
}

export interface MelodyRecipe {
  /** Fraction of the written length held for notes followed directly by another (0.75 detached ... 1 legato). */
  readonly articulation: number;
  /** The lead instrument's comfortable range; the melody is moved by octaves to sit in it. */
  readonly register: PitchRange;
}

export interface HumanizeRecipe {
  /** Standard deviation of timing jitter in milliseconds (0 = quantised: electronic, chiptune). */
  readonly timingMs: number;
  /** Standard deviation of velocity variation. */
  readonly velocity: number;
  /** A constant push (< 0) or lay-back (> 0) in milliseconds per role (lofi: lazy snare and keys). */
  readonly laidBackMs: Readonly<Partial<Record<TrackRole, number>>>;
}

export interface StyleRecipe {
  readonly name: StyleName;
  /** One line for /styles. */
  readonly description: string;
  readonly tempo: TempoRange;
  readonly swing: Swing;
  readonly meter: TimeSignature;
  /** What the model is asked for: a mix over learned styles plus default density/mode. */
  readonly conditioning: ModelConditioning;
  readonly instruments: Readonly<Record<TrackRole, Instrument>>;
  readonly mix: Readonly<Record<TrackRole, TrackMix>>;
  readonly velocity: Readonly<Record<TrackRole, VelocityRange>>;
  readonly melody: MelodyRecipe;
  readonly harmony: HarmonyRecipe;
  readonly bass: BassRecipe;
  readonly drums: DrumsRecipe;
  readonly humanize: HumanizeRecipe;
}
