import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { DENSITIES, LEARNED_STYLES, styleVector } from '../../src/music/conditioning.ts';
import { DRUM_KITS, DRUM_VOICE_KEYS } from '../../src/music/drum-voices.ts';
import { applyMood, conditionWithMood, MOOD_NAMES, MOODS, parseMood } from '../../src/music/moods.ts';
import { TRACK_ROLES } from '../../src/music/score.ts';
import {
  BASS_DEGREES,
  BASS_MOVEMENTS,
  DRUM_TREATMENTS,
  EXTENSIONS,
  HARMONY_TEXTURES,
  SWING_GRIDS,
  VOICING_KINDS,
  type StyleRecipe,
} from '../../src/music/style-recipe.ts';
import { parseStyle, STYLE_NAMES, STYLES, type StyleName, type StyleSelection } from '../../src/music/styles.ts';

const vocabulary = JSON.parse(readFileSync(new URL('../../src/music/vocabulary.json', import.meta.url), 'utf8')) as {
  learnedStyles: string[];
  conditions: { mood: string[]; density: string[] };
};

const REQUIRED_STYLES = [
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
];

const KITS: readonly number[] = Object.values(DRUM_KITS);

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function selection(input: string): StyleSelection {
  const result = parseStyle(input);
  if (!result.ok) assert.fail(`parseStyle(${input}) failed: ${result.error.message}`);
  return result.value;
}

function assertMidiByte(value: number, what: string): void {
  assert.ok(Number.isInteger(value) && value >= 0 && value <= 127, `${what} = ${value} is not 0-127`);
}

function checkRecipe(recipe: StyleRecipe): void {
  const where = recipe.name;
  assert.ok(recipe.description.length > 20 && !recipe.description.includes('\n'), `${where}: one-line description`);
  const { min, max, default: tempo } = recipe.tempo;
  assert.ok(
    min >= 40 && max <= 240 && min < max && tempo >= min && tempo <= max,
    `${where}: tempo range ${min}-${max} / ${tempo}`,
  );
  assert.ok(recipe.swing.amount >= 0 && recipe.swing.amount <= 1, `${where}: swing amount`);
  assert.ok(SWING_GRIDS.includes(recipe.swing.grid), `${where}: swing grid`);
  assert.ok(
    [2, 3, 4, 6].includes(recipe.meter.numerator) && [4, 8].includes(recipe.meter.denominator),
    `${where}: meter`,
  );

  const weights = Object.entries(recipe.conditioning.styles);
  assert.ok(weights.length > 0, `${where}: conditions the model on at least one learned style`);
  for (const [style, weight] of weights) {
    assert.ok((LEARNED_STYLES as readonly string[]).includes(style), `${where}: ${style} is not a learned style`);
    assert.ok(weight > 0 && weight <= 1, `${where}: weight of ${style}`);
  }
  assert.ok(Math.abs(sum(weights.map(([, w]) => w)) - 1) < 1e-9, `${where}: style weights sum to 1`);
  if (recipe.conditioning.density !== undefined) assert.ok(DENSITIES.includes(recipe.conditioning.density));

  for (const role of TRACK_ROLES) {
    const instrument = recipe.instruments[role];
    assertMidiByte(instrument.program, `${where} ${role} program`);
    assert.ok(instrument.name.length > 0, `${where} ${role} instrument name`);
    const mix = recipe.mix[role];
    for (const field of ['volume', 'pan', 'reverb', 'chorus'] as const)
      assertMidiByte(mix[field], `${where} ${role} ${field}`);
    const velocity = recipe.velocity[role];
    assert.ok(
      velocity.min >= 1 && velocity.min <= velocity.max && velocity.max <= 127,
      `${where} ${role} velocity range`,
    );
  }
  assert.ok(
    recipe.instruments.drums.kit !== undefined && KITS.includes(recipe.instruments.drums.kit),
    `${where}: drum kit`,
  );
  assert.ok(KITS.includes(recipe.drums.kit), `${where}: drums.kit`);

  const ranges = [recipe.melody.register, recipe.harmony.register, recipe.bass.register];
  for (const range of ranges)
    assert.ok(range.low >= 21 && range.high <= 108 && range.high - range.low >= 12, `${where}: register`);
  assert.ok(recipe.bass.register.low >= 28 && recipe.bass.register.high <= 55, `${where}: bass register inside E1-G3`);
  assert.ok(recipe.melody.articulation > 0.5 && recipe.melody.articulation <= 1, `${where}: melody articulation`);
  assert.ok(recipe.bass.articulation > 0.5 && recipe.bass.articulation <= 1, `${where}: bass articulation`);

  assert.ok(VOICING_KINDS.includes(recipe.harmony.voicing), `${where}: voicing kind`);
  assert.ok(EXTENSIONS.includes(recipe.harmony.extension), `${where}: extension`);
  assert.ok(HARMONY_TEXTURES.includes(recipe.harmony.texture), `${where}: texture`);
  assert.ok(recipe.harmony.comping.length > 0, `${where}: has comping`);
  for (const pattern of recipe.harmony.comping) {
    assert.ok(pattern.hits.length > 0 && pattern.lengthSteps > 0, `${where}: comping ${pattern.name}`);
    for (const hit of pattern.hits) {
      assert.ok(hit.step >= 0 && hit.step < pattern.lengthSteps, `${where}: ${pattern.name} hit inside pattern`);
      assert.ok(hit.steps > 0 && hit.accent > 0 && hit.accent <= 1, `${where}: ${pattern.name} hit length/accent`);
    }
  }

  assert.ok(BASS_MOVEMENTS.includes(recipe.bass.movement), `${where}: bass movement`);
  if (recipe.bass.movement !== 'walking') assert.ok(recipe.bass.patterns.length > 0, `${where}: bass patterns`);
  for (const pattern of recipe.bass.patterns) {
    for (const hit of pattern.hits) {
      assert.ok(
        BASS_DEGREES.includes(hit.degree) && hit.step < pattern.lengthSteps && hit.steps > 0,
        `${where}: bass hit`,
      );
    }
  }

  assert.ok(DRUM_TREATMENTS.includes(recipe.drums.treatment), `${where}: drum treatment`);
  if (recipe.drums.treatment === 'groove' || recipe.drums.treatment === 'model-or-groove') {
    assert.ok(recipe.drums.grooves.length > 0, `${where}: a style that fills with its groove has one`);
  }
  const grooves = recipe.drums.fill ? [...recipe.drums.grooves, recipe.drums.fill] : recipe.drums.grooves;
  for (const groove of grooves) {
    for (const [voice, line] of Object.entries(groove.lines)) {
      assert.ok(voice in DRUM_VOICE_KEYS, `${where}: ${groove.name} voice ${voice}`);
      assert.ok(/^[Xxo.]+$/.test(line) && line.length % 16 === 0, `${where}: ${groove.name} ${voice} line "${line}"`);
    }
  }
  for (const [from, to] of Object.entries(recipe.drums.substitute))
    assert.ok(from in DRUM_VOICE_KEYS && to in DRUM_VOICE_KEYS);
  assert.ok(
    recipe.humanize.timingMs >= 0 && recipe.humanize.timingMs <= 30 && recipe.humanize.velocity >= 0,
    `${where}: humanize`,
  );
}

describe('style recipes', () => {
  it('GIVEN the vocabulary THEN LEARNED_STYLES lists its learnedStyles in the same order', () => {
    assert.deepEqual([...LEARNED_STYLES], vocabulary.learnedStyles);
    assert.deepEqual([...DENSITIES], vocabulary.conditions.density.slice(1));
  });

  it('GIVEN the product THEN all 16 styles exist, each recipe named after its key', () => {
    assert.deepEqual([...STYLE_NAMES].sort(), [...REQUIRED_STYLES].sort());
    for (const name of STYLE_NAMES) assert.equal(STYLES[name].name, name);
  });

  for (const name of STYLE_NAMES) {
    it(`GIVEN the ${name} recipe THEN it is complete and valid`, () => {
      checkRecipe(STYLES[name]);
    });
  }

  it('GIVEN the styles the model does not know THEN they are the documented mixes of learned styles', () => {
    assert.deepEqual(STYLES.lofi.conditioning.styles, { hiphop: 0.5, jazz: 0.5 });
    assert.deepEqual(STYLES.metal.conditioning.styles, { rock: 0.55, pop: 0.45 });
    assert.deepEqual(STYLES.cinematic.conditioning.styles, { classical: 0.7, game: 0.3 });
    assert.deepEqual(STYLES.electronic.conditioning.styles, { pop: 0.5, funk: 0.5 });
    assert.deepEqual(STYLES.blues.conditioning.styles, { jazz: 0.5, rock: 0.5 });
    assert.deepEqual(STYLES.country.conditioning.styles, { folk: 0.5, pop: 0.5 });
    assert.deepEqual(STYLES.ambient.conditioning.styles, { classical: 0.5, pop: 0.5 });
    assert.equal(STYLES.ambient.conditioning.density, 'sparse');
  });

  it('GIVEN a style whose data is drums only THEN its recipe blends in a style the model learned melodically', () => {
    const melodic = new Set(['pop', 'folk', 'classical', 'jazz', 'game']);
    for (const name of STYLE_NAMES) {
      const weights = Object.entries(STYLES[name].conditioning.styles);
      const melodicWeight = weights.filter(([style]) => melodic.has(style)).reduce((sum, [, w]) => sum + w, 0);
      assert.ok(melodicWeight >= 0.2, `${name} gives melodic styles ${melodicWeight}`);
    }
  });

  it('GIVEN each style THEN its harmony, bass and drums are the idiomatic ones', () => {
    const voicing = (name: StyleName): string => STYLES[name].harmony.voicing;
    assert.equal(voicing('jazz'), 'shell');
    assert.equal(voicing('lofi'), 'rootless');
    for (const name of ['pop', 'folk', 'country', 'classical', 'game'] as const) assert.equal(voicing(name), 'triad');
    for (const name of ['rock', 'metal'] as const) assert.equal(voicing(name), 'power');
    for (const name of ['ambient', 'cinematic', 'electronic'] as const) assert.equal(voicing(name), 'spread');
    assert.equal(STYLES.reggae.harmony.texture, 'skank offbeats');
    assert.equal(STYLES.latin.harmony.texture, 'bossa comping');
    assert.equal(STYLES.jazz.bass.movement, 'walking');
    assert.equal(STYLES.blues.bass.movement, 'walking');
    assert.equal(STYLES.country.bass.movement, 'root-fifth');
    assert.equal(STYLES.funk.bass.movement, 'syncopated');
    assert.equal(STYLES.electronic.bass.movement, 'octaves');
    assert.equal(STYLES.jazz.drums.substitute.closedHat, 'ride');
    assert.equal(STYLES.jazz.drums.slowKit?.kit, DRUM_KITS.brush);
    assert.equal(STYLES.latin.drums.substitute.snare, 'sideStick');
    assert.equal(STYLES.lofi.drums.kit, DRUM_KITS.tr808);
    assert.equal(STYLES.classical.drums.treatment, 'none');
    assert.ok(STYLES.jazz.swing.amount >= 0.5 && STYLES.jazz.swing.grid === '8th');
    assert.equal(STYLES.electronic.humanize.timingMs, 0);
    assert.equal(STYLES.game.humanize.timingMs, 0);
  });
});

describe('parseStyle', () => {
  it('GIVEN names in any case, with spaces THEN they resolve', () => {
    assert.equal(selection('Jazz').recipe.name, 'jazz');
    assert.equal(selection('  METAL ').label, 'metal');
  });

  it('GIVEN aliases THEN they resolve to product styles', () => {
    const cases: Record<string, StyleName> = {
      bossa: 'latin',
      'Bossa Nova': 'latin',
      chiptune: 'game',
      '8-bit': 'game',
      'lo-fi': 'lofi',
      'lo fi': 'lofi',
      soundtrack: 'cinematic',
      edm: 'electronic',
    };
    for (const [input, expected] of Object.entries(cases)) assert.equal(selection(input).recipe.name, expected, input);
  });

  it('GIVEN one style THEN its conditioning is the recipe conditioning and its weight is 1', () => {
    const lofi = selection('lofi');
    assert.deepEqual(lofi.parts, [{ style: 'lofi', weight: 1 }]);
    assert.deepEqual(lofi.conditioning, STYLES.lofi.conditioning);
  });

  it('GIVEN a mix THEN weights are normalised, the heaviest part performs and the model gets the weighted mix', () => {
    const mix = selection('lofi:0.4, jazz:0.6');
    assert.equal(mix.label, 'jazz:0.6,lofi:0.4');
    assert.equal(mix.recipe.name, 'jazz');
    assert.deepEqual(
      mix.parts.map((part) => part.style),
      ['jazz', 'lofi'],
    );
    const vector = styleVector(mix.conditioning.styles);
    assert.ok(Math.abs(sum(vector) - 1) < 1e-9);
    assert.ok(Math.abs((mix.conditioning.styles.jazz ?? 0) - 0.8) < 1e-9, 'jazz 0.6 + lofi 0.4 × jazz 0.5');
    assert.ok(Math.abs((mix.conditioning.styles.hiphop ?? 0) - 0.2) < 1e-9);
  });

  it('GIVEN unnormalised weights, percentages or repeated styles THEN they are normalised and merged', () => {
    const weighted = selection('rock:3,metal:1');
    assert.deepEqual(weighted.parts, [
      { style: 'rock', weight: 0.75 },
      { style: 'metal', weight: 0.25 },
    ]);
    assert.equal(selection('funk:30%,electronic:70%').recipe.name, 'electronic');
    assert.deepEqual(selection('jazz:1,jazz:2').parts, [{ style: 'jazz', weight: 1 }]);
    assert.deepEqual(
      selection('pop,folk').parts.map((part) => part.weight),
      [0.5, 0.5],
    );
  });

  it('GIVEN an unknown style THEN it fails with unknown-style, a suggestion and the valid styles', () => {
    const result = parseStyle('jazzz');
    if (result.ok) assert.fail('"jazzz" should not parse');
    assert.equal(result.error.code, 'unknown-style');
    assert.match(result.error.message, /jazzz/);
    assert.match(result.error.message, /Did you mean jazz\?/);
    for (const name of STYLE_NAMES) assert.ok(result.error.message.includes(name), `lists ${name}`);
  });

  it('GIVEN bad weights or empty input THEN it fails with the matching code', () => {
    const codes: Record<string, string> = {
      'jazz:abc': 'bad-weight',
      'jazz:0': 'bad-weight',
      'jazz:-1': 'bad-weight',
      'jazz:': 'bad-weight',
      'jazz:1,lofi:NaN': 'bad-weight',
      '': 'empty-style',
      '   ': 'empty-style',
      'jazz,': 'empty-style',
      'jazz,rock,pop,folk,lofi': 'too-many-styles',
      'jazz:0.5,polka:0.5': 'unknown-style',
    };
    for (const [input, code] of Object.entries(codes)) {
      const result = parseStyle(input);
      if (result.ok) assert.fail(`"${input}" should not parse`);
      assert.equal(result.error.code, code, input);
    }
  });
});

describe('moods', () => {
  it('GIVEN every mood THEN it maps to a model mood condition', () => {
    for (const name of MOOD_NAMES) assert.ok(vocabulary.conditions.mood.includes(MOODS[name].condition), name);
    assert.equal(MOOD_NAMES.length, 12);
  });

  it('GIVEN names and aliases THEN parseMood resolves them; unknown moods fail listing valid moods', () => {
    const sad = parseMood('SAD');
    assert.ok(sad.ok && sad.value.mode === 'minor' && sad.value.condition === 'dark-calm');
    const melancholy = parseMood('melancholy');
    assert.ok(melancholy.ok && melancholy.value.name === 'melancholic');
    const unknown = parseMood('grumpy');
    if (unknown.ok) assert.fail('"grumpy" is not a mood');
    assert.equal(unknown.error.code, 'unknown-mood');
    assert.match(unknown.error.message, /happy/);
  });

  it('GIVEN a mood applied to a style THEN tempo stays in range, reverb grows and the style keeps its density', () => {
    const dreamyAmbient = applyMood(STYLES.ambient, MOODS.dreamy);
    assert.ok(
      dreamyAmbient.mix.harmony.reverb > STYLES.ambient.mix.harmony.reverb || STYLES.ambient.mix.harmony.reverb === 127,
    );
    for (const name of STYLE_NAMES) {
      const fast = applyMood(STYLES[name], MOODS.energetic);
      assert.ok(fast.tempo.default >= STYLES[name].tempo.default && fast.tempo.default <= STYLES[name].tempo.max, name);
      const slow = applyMood(STYLES[name], MOODS.sad);
      assert.ok(slow.tempo.default <= STYLES[name].tempo.default && slow.tempo.default >= STYLES[name].tempo.min, name);
    }
    const energeticAmbient = conditionWithMood(STYLES.ambient.conditioning, MOODS.energetic);
    assert.equal(energeticAmbient.density, 'sparse');
    assert.equal(energeticAmbient.mood, 'bright-energetic');
    assert.equal(conditionWithMood(STYLES.jazz.conditioning, MOODS.sad).mode, 'minor');
  });
});
