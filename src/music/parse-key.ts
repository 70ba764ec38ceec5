import type { Key } from './score.ts';

export type KeyResult = { ok: true; value: Key } | { ok: false; error: { code: 'invalid-key'; message: string } };

const LETTERS: Readonly<Record<string, number>> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

/**
 * Reads a key name as people write it: "Bb", "F#", "D minor", "Dm", "c# min", "Eb major", "A-flat minor".
 * A lower-case single letter means minor only when followed by "m"/"min"/"minor"; plain letters are major.
 */
export function parseKey(input: string): KeyResult {
  const text = input
    .trim()
    .toLowerCase()
    .replace(/-?flat/g, 'b')
    .replace(/-?sharp/g, '#')
    .replace(/\s+/g, ' ');
  const match = /^([a-g])\s*([#b♯♭]?)\s*(major|maj|minor|min|m)?$/.exec(text);
  if (!match) {
    return {
      ok: false,
      error: { code: 'invalid-key', message: `"${input}" is not a key: try C, Bb, F# or D minor (Dm)` },
    };
  }
  const [, letter = 'c', accidental = '', quality = ''] = match;
  const base = LETTERS[letter] ?? 0;
  const shift = accidental === '#' || accidental === '♯' ? 1 : accidental === 'b' || accidental === '♭' ? -1 : 0;
  const mode = quality === 'minor' || quality === 'min' || quality === 'm' ? 'minor' : 'major';
  return { ok: true, value: { tonic: (base + shift + 12) % 12, mode } };
}
