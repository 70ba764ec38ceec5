/**
 * Recommendations: ideas to compose (a style, a mood, a tempo), each with the reason it was chosen.
 *
 * Every idea (16 styles × 12 moods × 4 tempo bands) gets a score from two profiles, each normalised so its
 * strongest entry per dimension is ±1 and weighed style 1, mood 0.6, tempo band 0.4:
 *   - the person's own profile (taste-profile.ts);
 *   - their neighbourhood: what the people of the same guild with the most similar taste (cosine similarity of
 *     profiles, at most `neighbours` of them) liked, each weighed by that similarity; for a person with no
 *     history yet, everyone in the guild counts the same (what is popular here);
 * total = own + w × neighbourhood, where w = collaborativeWeight × settleEvents / (settleEvents + the person's
 * counted events): the neighbourhood leads for a newcomer and steps back as their own history grows. The best ideas are taken greedily, each later one marked
 * down when it repeats an earlier one's style or mood, never the same style and mood twice. With probability
 * `exploration` the last slot instead tries a style the person has not tried yet (seeded, so the same inputs
 * give the same ideas).
 */
import { MOOD_NAMES, type MoodName } from '../music/moods.ts';
import { createRandom, type Random } from '../music/random.ts';
import { STYLE_NAMES, STYLES, type StyleName } from '../music/styles.ts';
import { DAY_MS } from './event-weights.ts';
import {
  asMood,
  profileOfWeighted,
  ranked,
  topStyle,
  weighEvents,
  type TasteEvent,
  type TasteOptions,
  type TasteProfile,
  type WeightedEvent,
} from './taste-profile.ts';
import { TEMPO_BAND_RANGES, TEMPO_BANDS, tempoBand, type TempoBand } from './tempo-band.ts';

export const RECOMMENDATION_SOURCES = ['you', 'people-here', 'popular', 'explore'] as const;
export type RecommendationSource = (typeof RECOMMENDATION_SOURCES)[number];

export interface Recommendation {
  readonly style: StyleName;
  /** Always one: a person who never chose a mood gets one to try, and their answer teaches it. */
  readonly mood: MoodName;
  readonly tempoBand: TempoBand;
  /** A tempo in the band, inside the style's range: what the Compose button asks for. */
  readonly tempo: number;
  readonly source: RecommendationSource;
  /** "you liked 3 lofi clips this week", "people here who like jazz liked this calm latin". */
  readonly reason: string;
  readonly score: number;
  /** A clip someone here liked that the idea comes from (source people-here or popular). */
  readonly clipId: string | null;
}

export interface RecommendOptions extends TasteOptions {
  /** Default 3. */
  readonly count?: number | undefined;
  /** Probability that the last slot explores a style not tried yet; default 0.25. */
  readonly exploration?: number | undefined;
  /** Weight of the neighbourhood against the person's own profile, for a newcomer; default 0.8. */
  readonly collaborativeWeight?: number | undefined;
  /**
   * The neighbourhood's weight shrinks as the person's own history grows: collaborativeWeight × settleEvents /
   * (settleEvents + their counted events); default 15 (half the weight after 15 events).
   */
  readonly settleEvents?: number | undefined;
  /** Most similar people taken into account; default 10. */
  readonly neighbours?: number | undefined;
}

export interface RecommendInput {
  readonly userId: string;
  /** All of the person's events (any guild). */
  readonly userEvents: readonly TasteEvent[];
  /** Recent events in the guild the recommendation is for, anyone's (the person's own are ignored here). */
  readonly guildEvents: readonly TasteEvent[];
  readonly now: number;
  readonly seed: number;
}

export const DIMENSION_WEIGHTS = { style: 1, mood: 0.6, tempoBand: 0.4 } as const;

const DEFAULTS = { count: 3, exploration: 0.25, collaborativeWeight: 0.8, neighbours: 10, settleEvents: 15 } as const;
const REPEAT_STYLE_PENALTY = 0.3;
const REPEAT_MOOD_PENALTY = 0.1;
/** A style whose own normalised score is below this counts as not tried. */
const TRIED = 0.1;
const WEEK_MS = 7 * DAY_MS;

interface Normalised {
  readonly styles: ReadonlyMap<StyleName, number>;
  readonly moods: ReadonlyMap<MoodName, number>;
  readonly bands: ReadonlyMap<TempoBand, number>;
}

interface Neighbour {
  readonly userId: string;
  readonly similarity: number;
  readonly profile: TasteProfile;
  readonly liked: readonly WeightedEvent[];
}

interface Candidate {
  readonly style: StyleName;
  readonly mood: MoodName;
  readonly band: TempoBand;
  readonly own: number;
  readonly collab: number;
  readonly total: number;
}

export function recommend(input: RecommendInput, options: RecommendOptions = {}): Recommendation[] {
  const count = Math.max(0, Math.floor(options.count ?? DEFAULTS.count));
  const exploration = options.exploration ?? DEFAULTS.exploration;
  const collaborativeWeight = options.collaborativeWeight ?? DEFAULTS.collaborativeWeight;
  const settle = options.settleEvents ?? DEFAULTS.settleEvents;
  const random = createRandom(input.seed);

  const own = weighEvents(input.userEvents, input.now, options);
  const ownProfile = profileOfWeighted(own);
  const ownNorm = normalise(ownProfile);
  const cold = ownNorm.styles.size === 0 && ownNorm.moods.size === 0 && ownNorm.bands.size === 0;

  // The more a person's own history says, the less the neighbourhood needs to.
  const hoodWeight = (collaborativeWeight * settle) / (settle + ownProfile.events);
  const neighbours = findNeighbours(input, ownProfile, cold, options);
  const liked = neighbours.flatMap((n) => n.liked.map((w) => ({ event: w.event, weight: w.weight * n.similarity })));
  const hoodNorm = normalise(profileOfWeighted(liked));

  const candidates: Candidate[] = [];
  for (const style of STYLE_NAMES) {
    for (const mood of MOOD_NAMES) {
      for (const band of TEMPO_BANDS) {
        const ownScore = score(ownNorm, style, mood, band);
        const collab = hoodWeight * score(hoodNorm, style, mood, band);
        // A tiny seeded jitter breaks ties, so a newcomer with no history gets varied first ideas.
        candidates.push({ style, mood, band, own: ownScore, collab, total: ownScore + collab + random.next() * 1e-6 });
      }
    }
  }
  candidates.sort((a, b) => b.total - a.total);

  const explore = count > 0 && random.next() < exploration;
  const chosen: Candidate[] = pickDiverse(candidates, explore ? count - 1 : count);
  const result = chosen.map((candidate) => explain(candidate, { input, own, ownNorm, cold, neighbours }));
  if (explore) {
    const idea = exploreIdea(candidates, ownNorm, chosen, random);
    if (idea !== undefined)
      result.push(toRecommendation(idea, 'explore', newStyleReason(idea, ownNorm), null, idea.total));
  }
  return result;
}

function normalise(profile: TasteProfile): Normalised {
  const scale = <K extends string>(scores: Readonly<Partial<Record<K, number>>>): Map<K, number> => {
    const entries = ranked(scores).filter(([, value]) => value !== 0);
    const max = Math.max(0, ...entries.map(([, value]) => Math.abs(value)));
    return new Map(max > 0 ? entries.map(([key, value]) => [key, value / max]) : []);
  };
  return { styles: scale(profile.styles), moods: scale(profile.moods), bands: scale(profile.tempoBands) };
}

function score(norm: Normalised, style: StyleName, mood: MoodName, band: TempoBand): number {
  return (
    DIMENSION_WEIGHTS.style * (norm.styles.get(style) ?? 0) +
    DIMENSION_WEIGHTS.mood * (norm.moods.get(mood) ?? 0) +
    DIMENSION_WEIGHTS.tempoBand * (norm.bands.get(band) ?? 0)
  );
}

function vector(profile: TasteProfile): number[] {
  return [
    ...STYLE_NAMES.map((style) => DIMENSION_WEIGHTS.style * (profile.styles[style] ?? 0)),
    ...MOOD_NAMES.map((mood) => DIMENSION_WEIGHTS.mood * (profile.moods[mood] ?? 0)),
    ...TEMPO_BANDS.map((band) => DIMENSION_WEIGHTS.tempoBand * (profile.tempoBands[band] ?? 0)),
  ];
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    const y = b[i] ?? 0;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  });
  return aa > 0 && bb > 0 ? dot / Math.sqrt(aa * bb) : 0;
}

/** The people of the guild most like this person (everyone, equally, for a person with no history). */
function findNeighbours(
  input: RecommendInput,
  ownProfile: TasteProfile,
  cold: boolean,
  options: RecommendOptions,
): Neighbour[] {
  const byUser = new Map<string, TasteEvent[]>();
  for (const event of input.guildEvents) {
    if (event.userId === input.userId) continue;
    const events = byUser.get(event.userId);
    if (events === undefined) byUser.set(event.userId, [event]);
    else events.push(event);
  }
  const mine = vector(ownProfile);
  const neighbours: Neighbour[] = [];
  for (const [userId, events] of byUser) {
    const weighted = weighEvents(events, input.now, options);
    const profile = profileOfWeighted(weighted);
    const similarity = cold ? 1 : cosine(mine, vector(profile));
    const liked = weighted.filter((w) => w.weight > 0);
    if (similarity > 0 && liked.length > 0) neighbours.push({ userId, similarity, profile, liked });
  }
  neighbours.sort((a, b) => b.similarity - a.similarity || (a.userId < b.userId ? -1 : 1));
  return cold ? neighbours : neighbours.slice(0, Math.max(0, options.neighbours ?? DEFAULTS.neighbours));
}

function pickDiverse(sorted: readonly Candidate[], count: number): Candidate[] {
  const chosen: Candidate[] = [];
  while (chosen.length < count) {
    let best: Candidate | undefined;
    let bestScore = -Infinity;
    for (const candidate of sorted) {
      // Sorted by total: nothing further down can beat the best found once its total is below it.
      if (candidate.total < bestScore) break;
      let penalty = 0;
      let same = false;
      for (const taken of chosen) {
        if (taken.style === candidate.style) {
          penalty += REPEAT_STYLE_PENALTY;
          if (taken.mood === candidate.mood) same = true;
        }
        if (taken.mood === candidate.mood) penalty += REPEAT_MOOD_PENALTY;
      }
      if (same) continue;
      if (candidate.total - penalty > bestScore) {
        best = candidate;
        bestScore = candidate.total - penalty;
      }
    }
    if (best === undefined) break;
    chosen.push(best);
  }
  return chosen;
}

/** A style not tried yet (own score near zero), in the mood and tempo band that suit this person best. */
function exploreIdea(
  sorted: readonly Candidate[],
  ownNorm: Normalised,
  chosen: readonly Candidate[],
  random: Random,
): Candidate | undefined {
  const taken = new Set(chosen.map((c) => c.style));
  const untried = STYLE_NAMES.filter((s) => !taken.has(s) && Math.abs(ownNorm.styles.get(s) ?? 0) < TRIED);
  const pool = untried.length > 0 ? untried : STYLE_NAMES.filter((s) => !taken.has(s));
  const style = pool[random.int(pool.length)];
  return sorted.find((candidate) => candidate.style === style);
}

interface ExplainContext {
  readonly input: RecommendInput;
  readonly own: readonly WeightedEvent[];
  readonly ownNorm: Normalised;
  readonly cold: boolean;
  readonly neighbours: readonly Neighbour[];
}

function explain(candidate: Candidate, context: ExplainContext): Recommendation {
  const { style } = candidate;
  if (context.cold) {
    const events = context.neighbours.flatMap((n) => n.liked);
    if (candidate.collab <= 0 || events.length === 0) {
      return toRecommendation(
        candidate,
        'explore',
        `something to start with: press 👍 or 👎 on clips and these ideas become yours`,
        null,
        candidate.total,
      );
    }
    const reason = likesOf(events, style, context.input.now, 'people here') ?? `people here like ${style}`;
    return toRecommendation(candidate, 'popular', reason, bestClip(events, candidate), candidate.total);
  }
  if (candidate.own > 0 && candidate.own >= candidate.collab) {
    const liked = likesOf(context.own, style, context.input.now, 'you');
    const reason =
      liked === undefined ? likedTraits(candidate, context.ownNorm) : liked + favouriteMood(candidate, context.ownNorm);
    return toRecommendation(candidate, 'you', reason, null, candidate.total);
  }
  if (candidate.collab <= 0) {
    // Nothing anyone here did speaks for it, nor anything of theirs: the best of what is left.
    return toRecommendation(candidate, 'explore', newStyleReason(candidate, context.ownNorm), null, candidate.total);
  }
  // The neighbour who contributes most to this style, and the style they share with this person.
  let top: Neighbour | undefined;
  let topShare = 0;
  for (const neighbour of context.neighbours) {
    const share = neighbour.similarity * Math.max(0, neighbour.profile.styles[style] ?? 0);
    if (share > topShare) {
      top = neighbour;
      topShare = share;
    }
  }
  const events = top?.liked ?? context.neighbours.flatMap((n) => n.liked);
  const shared = top === undefined ? undefined : sharedStyle(context.ownNorm, top.profile);
  // Only what is true: "this romantic latin" when they liked latin in that mood, else just "latin".
  const mood = candidate.mood;
  const sameMood = events.some((w) => topStyle(w.event.styleMix) === style && w.event.mood === mood);
  const what = sameMood ? `this ${mood} ${style}` : style;
  let reason =
    shared === undefined
      ? `people here with taste like yours liked ${what}`
      : `people here who like ${shared} liked ${what}`;
  if (!sameMood) reason += favouriteMood(candidate, context.ownNorm);
  return toRecommendation(candidate, 'people-here', reason, bestClip(events, candidate), candidate.total);
}

/** "; calm is your favourite mood" when the idea's mood is the person's best-liked one, else "". */
function favouriteMood(candidate: Candidate, ownNorm: Normalised): string {
  const [favourite] = [...ownNorm.moods].filter(([, value]) => value > 0);
  return favourite?.[0] === candidate.mood ? `; ${candidate.mood} is your favourite mood` : '';
}

/** The style both like most: the largest min(own, theirs) over positive scores. */
function sharedStyle(ownNorm: Normalised, theirs: TasteProfile): StyleName | undefined {
  const theirMax = Math.max(0, ...Object.values(theirs.styles).map((v) => Math.abs(v)));
  let best: StyleName | undefined;
  let bestShare = 0;
  for (const [style, mine] of ownNorm.styles) {
    const share = Math.min(mine, theirMax > 0 ? (theirs.styles[style] ?? 0) / theirMax : 0);
    if (share > bestShare) {
      best = style;
      bestShare = share;
    }
  }
  return best;
}

/** "you liked 3 lofi clips this week" / "people here liked 5 jazz clips" / "you listened to ... for 12 minutes". */
function likesOf(
  events: readonly WeightedEvent[],
  style: StyleName,
  now: number,
  who: 'you' | 'people here',
): string | undefined {
  const about = events.filter((w) => topStyle(w.event.styleMix) === style);
  const likes = about.filter((w) => w.event.kind === 'like');
  const thisWeek = likes.filter((w) => now - w.event.createdAt < WEEK_MS).length;
  const clips = (n: number): string => `${n} ${style} ${n === 1 ? 'clip' : 'clips'}`;
  if (thisWeek > 0) return `${who} liked ${clips(thisWeek)} this week`;
  if (likes.length > 0) return `${who} liked ${clips(likes.length)}`;
  const seconds = about
    .filter((w) => w.event.kind === 'radio-listen')
    .reduce((sum, w) => sum + Math.max(0, w.event.value ?? 0), 0);
  if (seconds >= 60) {
    const minutes = Math.round(seconds / 60);
    return `${who} listened to ${style} on the radio for ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
  }
  const made = about.filter((w) => w.event.kind === 'variation' || w.event.kind === 'extend').length;
  if (made > 0) return `${who} asked for more of ${clips(made)}`;
  const played = about.filter((w) => w.event.kind === 'play' && w.weight > 0).length;
  if (played > 0) return `${who} played ${clips(played)}`;
  return undefined;
}

/** The reason for an idea the person's profile favours for its mood or tempo rather than its style. */
function likedTraits(candidate: Candidate, ownNorm: Normalised): string {
  const favourite = favouriteMood(candidate, ownNorm);
  if (favourite !== '') return favourite.slice(2);
  if ((ownNorm.moods.get(candidate.mood) ?? 0) > 0) return `you like ${candidate.mood} clips`;
  return `you like ${candidate.band} tempos`;
}

/** "something new: you have not tried metal yet", or, once every style was tried, "something different". */
function newStyleReason(candidate: Candidate, ownNorm: Normalised): string {
  return Math.abs(ownNorm.styles.get(candidate.style) ?? 0) < TRIED
    ? `something new: you have not tried ${candidate.style} yet`
    : `something different: ${candidate.mood} ${candidate.style}`;
}

/** The liked clip that fits the idea best: same style, then same mood, then the heaviest weight. */
function bestClip(events: readonly WeightedEvent[], candidate: Candidate): string | null {
  let best: string | null = null;
  let bestScore = 0;
  for (const { event, weight } of events) {
    if (event.clipId === null || topStyle(event.styleMix) !== candidate.style) continue;
    const fit =
      weight *
      (1 +
        (asMood(event.mood) === candidate.mood ? 1 : 0) +
        (event.tempo !== null && tempoBand(event.tempo) === candidate.band ? 0.5 : 0));
    if (fit > bestScore) {
      best = event.clipId;
      bestScore = fit;
    }
  }
  return best;
}

function toRecommendation(
  candidate: Candidate,
  source: RecommendationSource,
  reason: string,
  clipId: string | null,
  total: number,
): Recommendation {
  const range = STYLES[candidate.style].tempo;
  const tempo = Math.min(range.max, Math.max(range.min, TEMPO_BAND_RANGES[candidate.band].centre));
  return {
    style: candidate.style,
    mood: candidate.mood,
    tempoBand: candidate.band,
    tempo,
    source,
    reason,
    score: Math.round(total * 1e4) / 1e4,
    clipId,
  };
}
