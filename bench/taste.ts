/**
 * Taste benchmark: simulated people with hidden preferences, in a few guilds, over many rounds (one round a
 * day). Each round every person is proposed 3 ideas (style, mood, tempo band) and likes, dislikes or skips each
 * according to their hidden taste plus noise; their answers become feedback events. The hit rate (share of
 * proposals liked) of Motif's recommender is measured against a popularity baseline (the 3 ideas most liked in
 * the guild so far, time-decayed like Motif's profile) and a random baseline, on the same population with the
 * same seed, in the same run.
 *
 * Hidden taste: 2 styles, 3 moods and 2 neighbouring tempo bands; each guild has a culture (3 styles, 4 moods)
 * that most of its members' styles and moods come from, so what others like is informative but not the same.
 * Utility = 2·[style liked] + [mood liked] + [band liked] + noise N(0, 0.6); like at ≥ 3, dislike under 1,
 * skip between.
 *
 *   node bench/taste.ts [seed=1] [rounds=40] [guilds=4] [peoplePerGuild=15]
 */
import type { FeedbackKind } from '../src/db/feedback-event.ts';
import { MOOD_NAMES, type MoodName } from '../src/music/moods.ts';
import { createRandom, type Random } from '../src/music/random.ts';
import { STYLE_NAMES, type StyleName } from '../src/music/styles.ts';
import { decay, DEFAULT_HALF_LIFE_DAYS, DAY_MS } from '../src/taste/event-weights.ts';
import { recommend } from '../src/taste/recommend.ts';
import type { TasteEvent } from '../src/taste/taste-profile.ts';
import { TEMPO_BAND_RANGES, TEMPO_BANDS, tempoBand, type TempoBand } from '../src/taste/tempo-band.ts';

const seed = Number(process.argv[2] ?? 1);
const ROUNDS = Number(process.argv[3] ?? 40);
const GUILDS = Number(process.argv[4] ?? 4);
const PEOPLE_PER_GUILD = Number(process.argv[5] ?? 15);
const PROPOSALS = 3;
const NOISE = 0.6;
const START = 1_800_000_000_000;

interface Idea {
  readonly style: StyleName;
  readonly mood: MoodName | undefined;
  readonly band: TempoBand;
}

interface Person {
  readonly id: string;
  readonly guild: number;
  readonly styles: ReadonlySet<StyleName>;
  readonly moods: ReadonlySet<MoodName>;
  readonly bands: ReadonlySet<TempoBand>;
}

type Recommender = (person: Person, round: number, now: number, world: World) => Idea[];

interface World {
  readonly byPerson: Map<string, TasteEvent[]>;
  readonly byGuild: Map<number, TasteEvent[]>;
}

function pick<T>(random: Random, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) out.push(...pool.splice(random.int(pool.length), 1));
  return out;
}

function population(random: Random): Person[] {
  const people: Person[] = [];
  for (let g = 0; g < GUILDS; g++) {
    const cultureStyles = pick(random, STYLE_NAMES, 3);
    const cultureMoods = pick(random, MOOD_NAMES, 4);
    for (let p = 0; p < PEOPLE_PER_GUILD; p++) {
      const styles = new Set<StyleName>();
      while (styles.size < 2) {
        styles.add((random.next() < 0.7 ? pick(random, cultureStyles, 1) : pick(random, STYLE_NAMES, 1))[0] ?? 'pop');
      }
      const moods = new Set<MoodName>();
      while (moods.size < 3) {
        moods.add((random.next() < 0.7 ? pick(random, cultureMoods, 1) : pick(random, MOOD_NAMES, 1))[0] ?? 'calm');
      }
      const first = random.int(TEMPO_BANDS.length - 1);
      const bands = new Set<TempoBand>([TEMPO_BANDS[first] ?? 'slow', TEMPO_BANDS[first + 1] ?? 'medium']);
      people.push({ id: `g${g}-p${p}`, guild: g, styles, moods, bands });
    }
  }
  return people;
}

function answer(person: Person, idea: Idea, random: Random): FeedbackKind {
  const utility =
    2 * (person.styles.has(idea.style) ? 1 : 0) +
    (idea.mood !== undefined && person.moods.has(idea.mood) ? 1 : 0) +
    (person.bands.has(idea.band) ? 1 : 0) +
    NOISE * random.normal();
  if (utility >= 3) return 'like';
  if (utility < 1) return 'dislike';
  return 'skip';
}

const motif: Recommender = (person, round, now, world) =>
  recommend(
    {
      userId: person.id,
      userEvents: world.byPerson.get(person.id) ?? [],
      guildEvents: world.byGuild.get(person.guild) ?? [],
      now,
      seed: seed * 1_000_003 + round * 1009 + person.guild * 31 + Number(person.id.split('-p')[1]),
    },
    { count: PROPOSALS },
  ).map((r) => ({ style: r.style, mood: r.mood, band: r.tempoBand }));

function randomIdea(random: Random): Idea {
  return {
    style: STYLE_NAMES[random.int(STYLE_NAMES.length)] ?? 'pop',
    mood: MOOD_NAMES[random.int(MOOD_NAMES.length)] ?? 'calm',
    band: TEMPO_BANDS[random.int(TEMPO_BANDS.length)] ?? 'medium',
  };
}

const key = (idea: Idea): string => `${idea.style}/${idea.mood ?? ''}/${idea.band}`;

function fill(ideas: Idea[], random: Random): Idea[] {
  const seen = new Set(ideas.map(key));
  while (ideas.length < PROPOSALS) {
    const idea = randomIdea(random);
    if (!seen.has(key(idea))) {
      seen.add(key(idea));
      ideas.push(idea);
    }
  }
  return ideas;
}

function popularity(random: Random): Recommender {
  return (_person, _round, now, world) => {
    const scores = new Map<string, { idea: Idea; score: number }>();
    for (const event of world.byGuild.get(_person.guild) ?? []) {
      if (event.kind !== 'like') continue;
      const style = Object.keys(event.styleMix)[0] as StyleName;
      const idea: Idea = { style, mood: event.mood as MoodName, band: tempoBand(event.tempo ?? 100) };
      const entry = scores.get(key(idea)) ?? { idea, score: 0 };
      entry.score += decay(now - event.createdAt, DEFAULT_HALF_LIFE_DAYS);
      scores.set(key(idea), entry);
    }
    const top = [...scores.values()].sort((a, b) => b.score - a.score || random.next() - 0.5).slice(0, PROPOSALS);
    return fill(
      top.map((entry) => entry.idea),
      random,
    );
  };
}

function randomBaseline(random: Random): Recommender {
  return () => fill([], random);
}

interface Outcome {
  readonly name: string;
  readonly hits: number[];
  readonly proposals: number[];
}

function simulate(name: string, make: (random: Random) => Recommender): Outcome {
  const people = population(createRandom(seed));
  const answers = createRandom(seed + 1);
  const recommender = make(createRandom(seed + 2));
  const order = createRandom(seed + 3);
  const world: World = { byPerson: new Map(), byGuild: new Map() };
  const hits: number[] = [];
  const proposals: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const now = START + round * DAY_MS;
    let roundHits = 0;
    let roundProposals = 0;
    for (const person of pick(order, people, people.length)) {
      const ideas = recommender(person, round, now, world);
      ideas.forEach((idea, i) => {
        const kind = answer(person, idea, answers);
        if (kind === 'like') roundHits++;
        roundProposals++;
        const event: TasteEvent = {
          userId: person.id,
          clipId: `${person.id}-${round}-${i}`,
          kind,
          value: null,
          styleMix: { [idea.style]: 1 },
          mood: idea.mood ?? null,
          tempo: TEMPO_BAND_RANGES[idea.band].centre,
          instruments: {},
          createdAt: now,
        };
        const mine = world.byPerson.get(person.id) ?? [];
        mine.push(event);
        world.byPerson.set(person.id, mine);
        const guild = world.byGuild.get(person.guild) ?? [];
        guild.push(event);
        world.byGuild.set(person.guild, guild);
      });
    }
    hits.push(roundHits);
    proposals.push(roundProposals);
  }
  return { name, hits, proposals };
}

function rate(outcome: Outcome, from: number, to: number): number {
  const hits = outcome.hits.slice(from, to).reduce((a, b) => a + b, 0);
  const proposals = outcome.proposals.slice(from, to).reduce((a, b) => a + b, 0);
  return proposals === 0 ? 0 : hits / proposals;
}

const started = performance.now();
const outcomes = [
  simulate('motif (profile + guild + explore)', () => motif),
  simulate('popularity in the guild', popularity),
  simulate('random', randomBaseline),
];
const seconds = (performance.now() - started) / 1000;

const tenth = Math.max(1, Math.floor(ROUNDS / 4));
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(8);
console.log(
  `taste bench: seed ${seed}, ${GUILDS} guilds × ${PEOPLE_PER_GUILD} people, ${ROUNDS} rounds, ${PROPOSALS} proposals each (${seconds.toFixed(1)} s)\n`,
);
console.log(`hit rate of the top ${PROPOSALS} (liked / proposed)   all rounds  first ${tenth}   last ${tenth}`);
for (const outcome of outcomes) {
  console.log(
    `  ${outcome.name.padEnd(36)} ${pct(rate(outcome, 0, ROUNDS))} ${pct(rate(outcome, 0, tenth))} ${pct(rate(outcome, ROUNDS - tenth, ROUNDS))}`,
  );
}
const [mine, popular, random] = outcomes.map((outcome) => rate(outcome, 0, ROUNDS));
const ratio = (a = 0, b = 0): string => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
console.log(`\nmotif / popularity: ${ratio(mine, popular)} (target ≥ 2x)`);
console.log(`motif / random:     ${ratio(mine, random)}`);
const lastMine = rate(outcomes[0] ?? { name: '', hits: [], proposals: [] }, ROUNDS - tenth, ROUNDS);
const lastPopular = rate(outcomes[1] ?? { name: '', hits: [], proposals: [] }, ROUNDS - tenth, ROUNDS);
console.log(`last ${tenth} rounds, motif / popularity: ${ratio(lastMine, lastPopular)}`);
