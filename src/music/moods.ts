/**
 * Product moods: what "sad" or "epic" asks of the model (its coarse mood/mode/density conditions) and how
 * it nudges a style's performance (tempo, dynamics, space, phrasing).
 */
import type { Density, ModelConditioning, Mode, MoodCondition } from './conditioning.ts';
import type { TrackRole } from './score.ts';
import type { StyleRecipe } from './style-recipe.ts';

export const MOOD_NAMES = [
  'happy',
  'sad',
  'calm',
  'energetic',
  'dark',
  'dreamy',
  'tense',
  'romantic',
  'epic',
  'playful',
  'melancholic',
  'chill',
] as const;
export type MoodName = (typeof MOOD_NAMES)[number];

export interface Mood {
  readonly name: MoodName;
  readonly description: string;
  /** The model's mood condition. */
  readonly condition: MoodCondition;
  /** Absent = the model chooses. */
  readonly mode?: Mode;
  /** Used when the style does not fix a density itself. */
  readonly density?: Density;
  /** Multiplies the style's default tempo (the result stays inside the style's range). */
  readonly tempoFactor: number;
  /** Multiplies every velocity range (0.85 softer ... 1.1 harder). */
  readonly velocityScale: number;
  /** Added to every reverb send (space). */
  readonly reverbBoost: number;
  /** Added to every chorus send (shimmer). */
  readonly chorusBoost: number;
  /** Multiplies melody articulation (< 1 more detached, > 1 more legato; capped at 1). */
  readonly articulationFactor: number;
}

export const MOODS: Readonly<Record<MoodName, Mood>> = {
  happy: mood('happy', 'Bright and bouncy.', 'bright-energetic', 'major', 'medium', 1.08, 1.02, 0, 0, 0.95),
  sad: mood('sad', 'Slow, soft and minor.', 'dark-calm', 'minor', 'sparse', 0.85, 0.88, 12, 0, 1.05),
  calm: mood('calm', 'Gentle and unhurried.', 'bright-calm', 'major', 'sparse', 0.88, 0.86, 8, 0, 1.05),
  energetic: mood('energetic', 'Fast, busy and loud.', 'bright-energetic', undefined, 'dense', 1.15, 1.1, -8, 0, 0.92),
  dark: mood('dark', 'Low, minor and brooding.', 'dark-calm', 'minor', 'medium', 0.95, 0.95, 10, 0, 1),
  dreamy: mood(
    'dreamy',
    'Floating, wide and washed in reverb.',
    'bright-calm',
    'major',
    'sparse',
    0.9,
    0.85,
    25,
    15,
    1.05,
  ),
  tense: mood('tense', 'Restless, minor and driving.', 'dark-energetic', 'minor', 'dense', 1.05, 1.05, 0, 0, 0.9),
  romantic: mood('romantic', 'Warm, tender and legato.', 'bright-calm', 'major', 'medium', 0.9, 0.92, 12, 5, 1.05),
  epic: mood('epic', 'Big, minor and triumphant.', 'dark-energetic', 'minor', 'dense', 1, 1.1, 15, 0, 1),
  playful: mood(
    'playful',
    'Light, skipping and detached.',
    'bright-energetic',
    'major',
    'medium',
    1.1,
    0.98,
    0,
    0,
    0.82,
  ),
  melancholic: mood(
    'melancholic',
    'Bittersweet and reflective.',
    'dark-calm',
    'minor',
    'medium',
    0.9,
    0.9,
    10,
    0,
    1.02,
  ),
  chill: mood('chill', 'Relaxed and easy.', 'bright-calm', undefined, 'sparse', 0.92, 0.9, 5, 5, 1),
};

function mood(
  name: MoodName,
  description: string,
  condition: MoodCondition,
  mode: Mode | undefined,
  density: Density | undefined,
  tempoFactor: number,
  velocityScale: number,
  reverbBoost: number,
  chorusBoost: number,
  articulationFactor: number,
): Mood {
  return {
    name,
    description,
    condition,
    ...(mode === undefined ? {} : { mode }),
    ...(density === undefined ? {} : { density }),
    tempoFactor,
    velocityScale,
    reverbBoost,
    chorusBoost,
    articulationFactor,
  };
}

const MOOD_ALIASES: Readonly<Record<string, MoodName>> = {
  joyful: 'happy',
  cheerful: 'happy',
  uplifting: 'happy',
  upbeat: 'energetic',
  hype: 'energetic',
  intense: 'energetic',
  relaxed: 'calm',
  peaceful: 'calm',
  serene: 'calm',
  gloomy: 'dark',
  ominous: 'dark',
  spooky: 'dark',
  ethereal: 'dreamy',
  suspense: 'tense',
  suspenseful: 'tense',
  anxious: 'tense',
  love: 'romantic',
  tender: 'romantic',
  heroic: 'epic',
  triumphant: 'epic',
  fun: 'playful',
  quirky: 'playful',
  melancholy: 'melancholic',
  nostalgic: 'melancholic',
  bittersweet: 'melancholic',
  chilled: 'chill',
  mellow: 'chill',
  laidback: 'chill',
};

export type MoodResult =
  | { readonly ok: true; readonly value: Mood }
  | { readonly ok: false; readonly error: { readonly code: 'unknown-mood'; readonly message: string } };

/** Parses a mood name or alias, case-insensitive ("Melancholy" → melancholic, "laid-back" → chill). */
export function parseMood(input: string): MoodResult {
  const key = input.toLowerCase().replace(/[\s\-_]+/g, '');
  const name = MOOD_NAMES.find((candidate) => candidate === key) ?? MOOD_ALIASES[key];
  if (name === undefined) {
    return {
      ok: false,
      error: {
        code: 'unknown-mood',
        message: `Unknown mood "${input.trim()}". Valid moods: ${MOOD_NAMES.join(', ')}.`,
      },
    };
  }
  return { ok: true, value: MOODS[name] };
}

/**
 * The model conditions for a style with a mood: the mood sets the mood condition and mode (when it has
 * one); density stays the style's when the style fixes one (ambient stays sparse), else the mood's.
 */
export function conditionWithMood(conditioning: ModelConditioning, mood: Mood): ModelConditioning {
  const density = conditioning.density ?? mood.density;
  const mode = mood.mode ?? conditioning.mode;
  return {
    ...conditioning,
    mood: mood.condition,
    ...(density === undefined ? {} : { density }),
    ...(mode === undefined ? {} : { mode }),
  };
}

const clamp = (value: number, low: number, high: number): number => Math.min(high, Math.max(low, value));

/** The style's recipe nudged by a mood: default tempo, dynamics, reverb/chorus and melody phrasing. */
export function applyMood(recipe: StyleRecipe, mood: Mood): StyleRecipe {
  const roles = Object.keys(recipe.mix) as TrackRole[];
  const mix = Object.fromEntries(
    roles.map((role) => {
      const m = recipe.mix[role];
      return [
        role,
        {
          ...m,
          reverb: clamp(Math.round(m.reverb + mood.reverbBoost), 0, 127),
          chorus: clamp(Math.round(m.chorus + mood.chorusBoost), 0, 127),
        },
      ];
    }),
  ) as StyleRecipe['mix'];
  const velocity = Object.fromEntries(
    roles.map((role) => {
      const v = recipe.velocity[role];
      const min = clamp(Math.round(v.min * mood.velocityScale), 1, 127);
      const max = clamp(Math.round(v.max * mood.velocityScale), min, 127);
      return [role, { min, max }];
    }),
  ) as StyleRecipe['velocity'];
  const tempo = clamp(Math.round(recipe.tempo.default * mood.tempoFactor), recipe.tempo.min, recipe.tempo.max);
  return {
    ...recipe,
    tempo: { ...recipe.tempo, default: tempo },
    mix,
    velocity,
    melody: { ...recipe.melody, articulation: Math.min(1, recipe.melody.articulation * mood.articulationFactor) },
    conditioning: conditionWithMood(recipe.conditioning, mood),
  };
}
