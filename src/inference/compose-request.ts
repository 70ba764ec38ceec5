/**
 * A compose request as every front end (the CLI, the bot's /compose, radio, "for me") hands it to the composer:
 * validated, every value inside its range. `parseComposeRequest` turns what a person typed into one, or into a
 * message that says what to change.
 */
import { DRUM_KITS } from '../music/drum-voices.ts';
import { parseProgram } from '../music/general-midi.ts';
import { parseMood, type Mood } from '../music/moods.ts';
import { parseKey } from '../music/parse-key.ts';
import type { Key, TrackRole } from '../music/score.ts';
import type { InstrumentOverrides } from '../music/style-instruments.ts';
import { parseStyle, type StyleSelection } from '../music/styles.ts';

export const MIN_LENGTH_SECONDS = 4;
export const MAX_LENGTH_SECONDS = 120;
export const DEFAULT_LENGTH_SECONDS = 20;
export const MIN_TEMPO = 40;
export const MAX_TEMPO = 240;

export interface ComposeRequest {
  readonly style: StyleSelection;
  readonly mood: Mood | undefined;
  /** Beats per minute asked for; undefined = the style's (and mood's) choice. */
  readonly tempo: number | undefined;
  /** undefined = chosen from the seed (mode from the mood or style). */
  readonly key: Key | undefined;
  readonly lengthSeconds: number;
  /** 0 .. 2^32-1. */
  readonly seed: number;
  readonly instruments: InstrumentOverrides;
}

/** What a person typed, as strings (CLI flags) or numbers (slash-command options). */
export interface ComposeInput {
  readonly style?: string | undefined;
  readonly mood?: string | undefined;
  readonly tempo?: string | number | undefined;
  readonly key?: string | undefined;
  readonly length?: string | number | undefined;
  readonly seed?: string | number | undefined;
  readonly instruments?: string | undefined;
}

export type ComposeRequestErrorCode =
  'bad-style' | 'bad-mood' | 'bad-tempo' | 'bad-key' | 'bad-length' | 'bad-seed' | 'bad-instruments';

export interface ComposeRequestError {
  readonly code: ComposeRequestErrorCode;
  readonly message: string;
}

export type ComposeRequestResult = { ok: true; value: ComposeRequest } | { ok: false; error: ComposeRequestError };

export interface ComposeDefaults {
  /** The style when none is given (the bot passes the user's "for me" blend). */
  readonly style: string;
  /** A fresh seed when none is given. */
  readonly seed: () => number;
}

/** Validates every field; the first problem found is the answer, and nothing is half-applied. */
export function parseComposeRequest(input: ComposeInput, defaults: ComposeDefaults): ComposeRequestResult {
  const style = parseStyle(blank(input.style) ? defaults.style : String(input.style));
  if (!style.ok) return fail('bad-style', style.error.message);

  let mood: Mood | undefined;
  if (!blank(input.mood)) {
    const parsed = parseMood(String(input.mood));
    if (!parsed.ok) return fail('bad-mood', parsed.error.message);
    mood = parsed.value;
  }

  let tempo: number | undefined;
  if (!blank(input.tempo)) {
    tempo = toNumber(input.tempo);
    if (tempo === undefined || tempo < MIN_TEMPO || tempo > MAX_TEMPO) {
      return fail('bad-tempo', `tempo must be a number of beats per minute from ${MIN_TEMPO} to ${MAX_TEMPO}`);
    }
  }

  let key: Key | undefined;
  if (!blank(input.key)) {
    const parsed = parseKey(String(input.key));
    if (!parsed.ok) return fail('bad-key', parsed.error.message);
    key = parsed.value;
  }

  let lengthSeconds = DEFAULT_LENGTH_SECONDS;
  if (!blank(input.length)) {
    const parsed = toNumber(input.length);
    if (parsed === undefined || parsed < MIN_LENGTH_SECONDS || parsed > MAX_LENGTH_SECONDS) {
      return fail(
        'bad-length',
        `length must be a number of seconds from ${MIN_LENGTH_SECONDS} to ${MAX_LENGTH_SECONDS}`,
      );
    }
    lengthSeconds = parsed;
  }

  let seed: number;
  if (blank(input.seed)) {
    seed = defaults.seed() >>> 0;
  } else {
    const parsed = toNumber(input.seed);
    if (parsed === undefined || !Number.isInteger(parsed) || parsed < 0 || parsed > 0xffffffff) {
      return fail('bad-seed', 'seed must be a whole number from 0 to 4294967295');
    }
    seed = parsed;
  }

  const instruments = blank(input.instruments)
    ? { ok: true as const, value: {} }
    : parseInstruments(String(input.instruments));
  if (!instruments.ok) return instruments;

  return {
    ok: true,
    value: { style: style.value, mood, tempo, key, lengthSeconds, seed, instruments: instruments.value },
  };
}

const ROLE_ALIASES: Readonly<Record<string, TrackRole>> = {
  melody: 'melody',
  lead: 'melody',
  tune: 'melody',
  harmony: 'harmony',
  chords: 'harmony',
  comp: 'harmony',
  keys: 'harmony',
  bass: 'bass',
  drums: 'drums',
  kit: 'drums',
};

/**
 * "melody=flute,harmony=rhodes,bass=upright,drums=brush": each part names a role and an instrument (a GM name,
 * an everyday name or a program number; for drums a kit: standard, room, power, electronic, tr808, jazz, brush).
 * A bare instrument name ("flute") sets the melody.
 */
export function parseInstruments(
  text: string,
): { ok: true; value: InstrumentOverrides } | { ok: false; error: ComposeRequestError } {
  const overrides: Partial<Record<TrackRole, number>> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [left = '', right] = part.split(/[=:]/, 2).map((p) => p.trim());
    const roleName = right === undefined ? 'melody' : left.toLowerCase();
    const instrument = right ?? left;
    const role = ROLE_ALIASES[roleName];
    if (role === undefined) {
      return fail('bad-instruments', `"${left}" is not a part: use melody, harmony, bass or drums (e.g. melody=flute)`);
    }
    if (role === 'drums') {
      const kit = drumKit(instrument);
      if (kit === undefined) {
        return fail(
          'bad-instruments',
          `"${instrument}" is not a drum kit: use one of ${Object.keys(DRUM_KITS).join(', ')}`,
        );
      }
      overrides.drums = kit;
      continue;
    }
    const program = parseProgram(instrument);
    if (!program.ok) return fail('bad-instruments', program.error.message);
    overrides[role] = program.value;
  }
  return { ok: true, value: overrides };
}

function drumKit(name: string): number | undefined {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const kits: Readonly<Record<string, number>> = { ...DRUM_KITS, '808': DRUM_KITS.tr808, brushes: DRUM_KITS.brush };
  return kits[key];
}

function blank(value: string | number | undefined): boolean {
  return value === undefined || (typeof value === 'string' && value.trim() === '');
}

function toNumber(value: string | number | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value === undefined || !/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

function fail(code: ComposeRequestErrorCode, message: string): { ok: false; error: ComposeRequestError } {
  return { ok: false, error: { code, message } };
}
