/**
 * The /compose prompt: free text ("sad slow piano in D minor") read into the same parameters as the options,
 * by keywords. Explicit options win over what the prompt says. What it understands:
 *
 * | words | becomes |
 * |---|---|
 * | a style or its alias: jazz, lo-fi, bossa nova, chiptune, orchestral ... (several make an even mix) | style |
 * | a mood or its alias: sad, happy, dreamy, melancholy, laid-back ... (the first one) | mood |
 * | `in D minor`, `in Bb`, `F# major`, `in c#m` (a bare lower-case letter needs major/minor: "in a minute" is no key) | key |
 * | `90 bpm`; or very slow 60, slow 72, relaxed 88, medium 100, upbeat 124, fast 140, very fast 168 | tempo |
 * | `30s`, `45 seconds`, `1 minute`; short (10 s), long (60 s) | length |
 * | `seed 42` | seed |
 * | an instrument: piano, flute, rhodes, electric piano, sax, strings ... (the first one plays the melody) | instruments |
 *
 * Anything else is ignored and listed in `ignored`, so the reply can say what was not understood.
 */
import { parseProgram } from '../music/general-midi.ts';
import { parseMood } from '../music/moods.ts';
import { parseKey } from '../music/parse-key.ts';
import { MAX_STYLE_PARTS, STYLE_NAMES, resolveStyleName, type StyleName } from '../music/styles.ts';

export const MAX_PROMPT_LENGTH = 200;

export interface PromptReading {
  /** "jazz", or an even mix "jazz,lofi". */
  readonly style?: string;
  readonly mood?: string;
  readonly tempo?: number;
  /** As parseKey reads it ("D minor"). */
  readonly key?: string;
  readonly length?: number;
  readonly seed?: number;
  /** "melody=flute", as parseInstruments reads it. */
  readonly instruments?: string;
  /** Words that meant nothing to the parser (small words like "a", "in", "with" are not listed). */
  readonly ignored: readonly string[];
}

const TEMPO_WORDS: readonly (readonly [RegExp, number])[] = [
  [/\bvery\s+slow(?:ly)?\b/, 60],
  [/\bvery\s+fast\b/, 168],
  [/\bslow(?:ly)?\b/, 72],
  [/\brelaxed\b/, 88],
  [/\b(?:medium|moderate)\b/, 100],
  [/\bup-?beat\b/, 124],
  [/\b(?:fast|quick)\b/, 140],
];

const LENGTH_WORDS: readonly (readonly [RegExp, number])[] = [
  [/\bshort\b/, 10],
  [/\blong\b/, 60],
];

const SMALL_WORDS = new Set([
  'a',
  'an',
  'the',
  'in',
  'with',
  'and',
  'of',
  'on',
  'for',
  'to',
  'some',
  'me',
  'my',
  'please',
  'song',
  'tune',
  'track',
  'piece',
  'music',
  'clip',
  'something',
  'like',
  'style',
  'mood',
  'key',
  'bit',
  'little',
  'make',
  'play',
]);

/** Reads a prompt; never fails (what it does not understand is ignored). */
export function parsePrompt(prompt: string): PromptReading {
  let text = ` ${prompt.replace(/[♯]/g, '#').replace(/[♭]/g, 'b').replace(/\s+/g, ' ').trim()} `;
  const reading: { -readonly [K in keyof PromptReading]: PromptReading[K] } = { ignored: [] };
  const take = (pattern: RegExp, use: (match: RegExpExecArray) => boolean): void => {
    const match = pattern.exec(text);
    if (match !== null && use(match))
      text = `${text.slice(0, match.index)} ${text.slice(match.index + match[0].length)}`;
  };

  // Key: "in D minor", "in Bb", "F# major", "in c#m".
  const keyPattern = /(?<=\s)(in\s+)?([A-Ga-g])(#|b|[\s-]?sharp|[\s-]?flat)?\s?(major|minor|maj|min|m)?(?=[\s.,!?])/g;
  for (const match of text.matchAll(keyPattern)) {
    const [whole, inWord, letter = '', accidental, quality] = match;
    const upper = /[A-G]/.test(letter);
    // "in a minute", "I am", "a piano": a lower-case letter is a key only with "in" and major/minor after it.
    const isKey =
      (upper && (inWord !== undefined || quality !== undefined)) ||
      (!upper && inWord !== undefined && quality !== undefined) ||
      (!upper && quality !== undefined && quality !== 'm' && quality !== 'maj');
    if (!isKey) continue;
    const sign = (accidental ?? '').replace(/[\s-]/g, '');
    const shift = sign === '#' || sign.endsWith('sharp') ? '#' : sign === '' ? '' : 'b';
    const mode = quality === undefined || quality.startsWith('maj') ? '' : ' minor';
    const key = `${letter.toUpperCase()}${shift}${mode}`;
    if (!parseKey(key).ok) continue;
    reading.key = key;
    text = `${text.slice(0, match.index)} ${text.slice(match.index + whole.length)}`;
    break;
  }
  text = text.toLowerCase();

  take(/\bseed\s*[:=#]?\s*(\d{1,10})\b/, (m) => {
    const seed = Number(m[1]);
    if (seed > 0xffffffff) return false;
    reading.seed = seed;
    return true;
  });
  take(/\b(\d{2,3})\s*bpm\b/, (m) => {
    reading.tempo = Number(m[1]);
    return true;
  });
  take(/\b(\d+(?:\.\d+)?)\s*(?:m|min|mins|minute|minutes)\b/, (m) => {
    reading.length = Math.round(Number(m[1]) * 60);
    return true;
  });
  take(/\b(\d+(?:\.\d+)?)\s*(?:s|sec|secs|second|seconds)\b/, (m) => {
    reading.length = Number(m[1]);
    return true;
  });
  for (const [pattern, bpm] of TEMPO_WORDS) {
    take(pattern, () => {
      reading.tempo ??= bpm;
      return true;
    });
  }
  for (const [pattern, seconds] of LENGTH_WORDS) {
    take(pattern, () => {
      reading.length ??= seconds;
      return true;
    });
  }

  const words = text.split(/[^a-z0-9#'-]+/).filter((word) => word !== '');
  const styles: StyleName[] = [];
  const ignored: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    const next = words[i + 1];
    // Two words first: "bossa nova", "lo fi", "electric piano", "upright bass", "video game".
    if (next !== undefined) {
      const pair = `${word} ${next}`;
      if (readWord(pair, reading, styles)) {
        i++;
        continue;
      }
    }
    if (readWord(word, reading, styles)) continue;
    if (!SMALL_WORDS.has(word) && !/^\d+$/.test(word)) ignored.push(word);
  }
  if (styles.length > 0) reading.style = styles.slice(0, MAX_STYLE_PARTS).join(',');
  reading.ignored = ignored;
  return reading;
}

/** Reads one word (or pair) into the reading; false when it means nothing. */
function readWord(word: string, reading: { mood?: string; instruments?: string }, styles: StyleName[]): boolean {
  const style = resolveStyleName(word);
  const program = /^\d+$/.test(word) ? undefined : parseProgram(word);
  const isInstrument = program?.ok === true;
  // "piano" is both an alias of classical and an instrument: an alias loses to the instrument.
  const isStyleName = style !== undefined && (STYLE_NAMES as readonly string[]).includes(word.replace(/[\s-]/g, ''));
  if (style !== undefined && (isStyleName || !isInstrument)) {
    if (!styles.includes(style)) styles.push(style);
    return true;
  }
  const mood = parseMood(word);
  if (mood.ok) {
    reading.mood ??= mood.value.name;
    return true;
  }
  if (isInstrument) {
    reading.instruments ??= `melody=${word.replace(/\s+/g, ' ')}`;
    return true;
  }
  return false;
}
