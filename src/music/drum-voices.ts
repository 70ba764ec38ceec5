/**
 * The drum sounds an arrangement can play, by name, and their General MIDI percussion keys. The model's
 * eight DRUM_CLASSES are a subset with the same names; styles substitute voices (hats → ride for jazz,
 * snare → side stick for bossa).
 */
export const DRUM_VOICE_KEYS = {
  kick: 36,
  sideStick: 37,
  snare: 38,
  clap: 39,
  floorTom: 41,
  closedHat: 42,
  pedalHat: 44,
  lowTom: 45,
  openHat: 46,
  midTom: 47,
  crash: 49,
  highTom: 50,
  ride: 51,
  rideBell: 53,
  tambourine: 54,
  cowbell: 56,
  shaker: 70,
  claves: 75,
} as const;

export type DrumVoice = keyof typeof DRUM_VOICE_KEYS;

/** How loud each voice sits relative to the others at the same accent (a drummer's natural balance). */
export const DRUM_VOICE_WEIGHTS: Readonly<Record<DrumVoice, number>> = {
  kick: 1,
  sideStick: 0.85,
  snare: 1,
  clap: 0.95,
  floorTom: 0.9,
  closedHat: 0.72,
  pedalHat: 0.6,
  lowTom: 0.9,
  openHat: 0.8,
  midTom: 0.9,
  crash: 0.95,
  highTom: 0.9,
  ride: 0.78,
  rideBell: 0.8,
  tambourine: 0.6,
  cowbell: 0.7,
  shaker: 0.55,
  claves: 0.75,
};

/** General MIDI drum kits (bank 128 presets) that MuseScore General provides. */
export const DRUM_KITS = { standard: 0, room: 8, power: 16, electronic: 24, tr808: 25, jazz: 32, brush: 40 } as const;
export type DrumKit = (typeof DRUM_KITS)[keyof typeof DRUM_KITS];

export const DRUM_KIT_NAMES: Readonly<Record<DrumKit, string>> = {
  0: 'Standard Kit',
  8: 'Room Kit',
  16: 'Power Kit',
  24: 'Electronic Kit',
  25: 'TR-808 Kit',
  32: 'Jazz Kit',
  40: 'Brush Kit',
};

/** The name of a GM drum kit number (any number; unknown kits get a generic name). */
export function drumKitName(kit: number): string {
  return (DRUM_KIT_NAMES as Readonly<Record<number, string>>)[kit] ?? `Drum Kit ${kit}`;
}
