/**
 * Who plays each part in a style: the recipe's General MIDI program (or drum kit, brushes on slow
 * ballads), unless the person asked for another instrument.
 */
import { drumKitName } from './drum-voices.ts';
import { programName } from './general-midi.ts';
import type { Instrument, TrackRole } from './score.ts';
import type { StyleRecipe } from './style-recipe.ts';

/** Per-role GM program overrides; for drums the number is a GM kit. */
export type InstrumentOverrides = Readonly<Partial<Record<TrackRole, number>>>;

/** Track names by role, as shown in MIDI files and the piano roll. */
export const TRACK_NAMES: Readonly<Record<TrackRole, string>> = {
  melody: 'Melody',
  harmony: 'Harmony',
  bass: 'Bass',
  drums: 'Drums',
};

function validProgram(value: number | undefined): number | undefined {
  return value !== undefined && Number.isInteger(value) && value >= 0 && value <= 127 ? value : undefined;
}

/** The instrument for a role at a tempo, honouring an override (ignored if not an integer 0-127). */
export function instrumentFor(
  recipe: StyleRecipe,
  role: TrackRole,
  tempo: number,
  overrides: InstrumentOverrides = {},
): Instrument {
  const override = validProgram(overrides[role]);
  if (role === 'drums') {
    const slow = recipe.drums.slowKit;
    const kit = override ?? (slow && tempo < slow.belowBpm ? slow.kit : recipe.drums.kit);
    return { program: 0, kit, name: drumKitName(kit) };
  }
  if (override === undefined) return recipe.instruments[role];
  return { program: override, name: programName(override) };
}
