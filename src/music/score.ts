/**
 * The one canonical music type. Everything downstream of composition (arrangement output, MIDI export,
 * piano roll, SoundFont render) takes a Score. Times are in beats (quarter notes) so a Score stays
 * valid when its tempo changes; `secondsPerBeat` converts.
 */

export const TRACK_ROLES = ['melody', 'harmony', 'bass', 'drums'] as const;
export type TrackRole = (typeof TRACK_ROLES)[number];

export interface Note {
  /** MIDI pitch 0-127; on a drum track, the General MIDI percussion key. */
  readonly pitch: number;
  /** Onset in beats from the start of the Score (may be fractional: swing, humanisation). */
  readonly start: number;
  /** Length in beats, > 0. */
  readonly duration: number;
  /** MIDI velocity 1-127. */
  readonly velocity: number;
}

export interface Instrument {
  /** General MIDI program 0-127 (ignored on drum tracks). */
  readonly program: number;
  /** GM drum kit (bank 128 preset) on drum tracks: 0 standard, 8 room, 16 power, 24 electronic, 25 TR-808, 32 jazz, 40 brush. */
  readonly kit?: number;
  /** Human name shown in MIDI track names and the piano roll ("Electric Piano"). */
  readonly name: string;
}

export interface TrackMix {
  /** 0-127 channel volume (CC7). */
  readonly volume: number;
  /** 0-127 pan (CC10), 64 = centre. */
  readonly pan: number;
  /** 0-127 reverb send (CC91). */
  readonly reverb: number;
  /** 0-127 chorus send (CC93). */
  readonly chorus: number;
}

export interface Track {
  readonly name: string;
  readonly role: TrackRole;
  readonly instrument: Instrument;
  readonly mix: TrackMix;
  /** Sorted by start, then pitch. */
  readonly notes: readonly Note[];
}

export interface TimeSignature {
  readonly numerator: number;
  readonly denominator: number;
}

export const PITCH_CLASS_NAMES = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'Gb', 'G', 'Ab', 'A', 'Bb', 'B'] as const;

export interface Key {
  /** Pitch class of the tonic, 0 = C. */
  readonly tonic: number;
  readonly mode: 'major' | 'minor';
}

export interface Score {
  readonly title: string;
  /** Beats per minute (quarter notes). */
  readonly tempo: number;
  readonly timeSignature: TimeSignature;
  readonly key: Key;
  /** Product style name ("jazz") or a mix label ("jazz:0.6,lofi:0.4"). */
  readonly style: string;
  readonly seed: number;
  /** Length in beats; the clip lasts exactly lengthBeats * 60 / tempo seconds (plus release tail, trimmed by mastering). */
  readonly lengthBeats: number;
  readonly tracks: readonly Track[];
}

export function secondsPerBeat(score: Pick<Score, 'tempo'>): number {
  return 60 / score.tempo;
}

export function scoreDurationSeconds(score: Pick<Score, 'tempo' | 'lengthBeats'>): number {
  return score.lengthBeats * secondsPerBeat(score);
}

export function keyName(key: Key): string {
  const tonic = PITCH_CLASS_NAMES[((key.tonic % 12) + 12) % 12] ?? 'C';
  return key.mode === 'minor' ? `${tonic} minor` : `${tonic} major`;
}

export function noteCount(score: Score): number {
  return score.tracks.reduce((sum, track) => sum + track.notes.length, 0);
}
