/**
 * The picture of the notes posted with each clip: a dark piano roll with one colour per track, a legend,
 * bar and beat lines, C labels, and the drums as ticks in their own lane. Text uses DejaVu Sans from the
 * npm package, so it renders on machines without system fonts.
 */

import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';

import { PICTURE_FONT_FAMILY, registerPictureFont } from '../picture-font.ts';
import { keyName, type Note, type Score, type Track, type TrackRole } from '../music/score.ts';

export interface PianoRollOptions {
  /** Pixels, default 1200. */
  readonly width?: number;
  /** Pixels, default 500. */
  readonly height?: number;
}

const THEME = {
  background: '#12141a',
  panel: '#181b23',
  blackKeyRow: '#151820',
  text: '#e6e8ee',
  dimText: '#8a91a3',
  beatLine: '#222632',
  barLine: '#3a4052',
  cLine: '#2b3040',
} as const;

/** Track colours by role; extra tracks of a role take the next unused colour of the fallback list. */
const ROLE_COLOURS: Readonly<Record<TrackRole, string>> = {
  melody: '#ffb454',
  harmony: '#59c2ff',
  bass: '#95e66a',
  drums: '#f07178',
};
const FALLBACK_COLOURS = ['#d2a6ff', '#f29e74', '#73d0ff', '#ffd173', '#c3e88d', '#ff8f40', '#bae6fd'] as const;

/** Drum lane rows, top to bottom, by GM percussion key. */
const DRUM_ROWS = [
  { label: 'hats', keys: [42, 44, 46, 49, 51, 52, 53, 55, 57, 59] },
  { label: 'snare', keys: [37, 38, 39, 40] },
  { label: 'kick', keys: [35, 36] },
] as const;
const OTHER_DRUM_LABEL = 'perc';

const BLACK_KEYS = new Set([1, 3, 6, 8, 10]);
const MIN_PITCH_SPAN = 24;

/** Draws `score` as a PNG piano roll (default 1200x500). */
export function drawPianoRoll(score: Score, options: PianoRollOptions = {}): Buffer {
  registerPictureFont();
  const width = Math.max(200, Math.round(options.width ?? 1200));
  const height = Math.max(160, Math.round(options.height ?? 500));
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');

  const melodic = score.tracks.filter((track) => track.role !== 'drums' && track.notes.length > 0);
  const drumTracks = score.tracks.filter((track) => track.role === 'drums' && track.notes.length > 0);
  const colours = assignColours(score.tracks);

  const scale = Math.min(width / 1200, height / 500, 1.5);
  const font = (size: number, bold = false): string =>
    `${bold ? 'bold ' : ''}${Math.max(8, Math.round(size * Math.max(scale, 0.75)))}px "${PICTURE_FONT_FAMILY}"`;

  const gutter = Math.round(46 * Math.max(scale, 0.75));
  const right = width - Math.round(14 * scale);
  const titleBaseline = Math.round(28 * Math.max(scale, 0.75));
  const legendTop = titleBaseline + Math.round(14 * Math.max(scale, 0.75));
  const legendHeight = Math.round(18 * Math.max(scale, 0.75));
  const rollTop = legendTop + legendHeight + Math.round(10 * scale);
  const barNumberHeight = Math.round(18 * Math.max(scale, 0.75));
  const drumHeight = drumTracks.length > 0 ? Math.round(Math.min(72, height * 0.16)) : 0;
  const drumGap = drumHeight > 0 ? Math.round(8 * scale) : 0;
  const rollBottom = height - barNumberHeight - drumHeight - drumGap;
  const drumTop = rollBottom + drumGap;
  const gridBottom = drumTop + drumHeight;

  ctx.fillStyle = THEME.background;
  ctx.fillRect(0, 0, width, height);

  drawTitle(ctx, score, { x: gutter, baseline: titleBaseline, right, font });
  drawLegend(ctx, score.tracks, colours, { x: gutter, top: legendTop, height: legendHeight, right, font });

  const beats = Math.max(score.lengthBeats, 1e-6);
  const xOf = (beat: number): number => gutter + ((right - gutter) * beat) / beats;

  // Pitch range, fitted to the melodic notes with a little air, at least two octaves.
  const pitches = melodic.flatMap((track) => track.notes.map((note) => note.pitch));
  let low = pitches.length > 0 ? Math.min(...pitches) - 2 : 48;
  let high = pitches.length > 0 ? Math.max(...pitches) + 2 : 72;
  if (high - low + 1 < MIN_PITCH_SPAN) {
    const grow = MIN_PITCH_SPAN - (high - low + 1);
    low -= Math.floor(grow / 2);
    high += Math.ceil(grow / 2);
  }
  const rows = high - low + 1;
  const rowHeight = (rollBottom - rollTop) / rows;
  const yOf = (pitch: number): number => rollBottom - (pitch - low + 1) * rowHeight;

  ctx.fillStyle = THEME.panel;
  ctx.fillRect(gutter, rollTop, right - gutter, rollBottom - rollTop);
  if (rowHeight >= 3) {
    ctx.fillStyle = THEME.blackKeyRow;
    for (let pitch = low; pitch <= high; pitch++) {
      if (BLACK_KEYS.has(((pitch % 12) + 12) % 12)) ctx.fillRect(gutter, yOf(pitch), right - gutter, rowHeight);
    }
  }
  if (drumHeight > 0) {
    ctx.fillStyle = THEME.panel;
    ctx.fillRect(gutter, drumTop, right - gutter, drumHeight);
  }

  // C lines and labels.
  ctx.font = font(11);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let pitch = Math.ceil(low / 12) * 12; pitch <= high; pitch += 12) {
    const y = yOf(pitch) + rowHeight;
    ctx.fillStyle = THEME.cLine;
    ctx.fillRect(gutter, Math.round(y), right - gutter, 1);
    ctx.fillStyle = THEME.dimText;
    ctx.fillText(`C${Math.floor(pitch / 12) - 1}`, gutter - 8, y - rowHeight / 2);
  }

  drawBeatGrid(ctx, score, { top: rollTop, bottom: gridBottom, right, xOf, font });

  // Harmony under bass under melody, so the tune stays on top.
  const layer: Readonly<Record<TrackRole, number>> = { harmony: 0, bass: 1, melody: 2, drums: 3 };
  const ordered = [...melodic].sort((a, b) => layer[a.role] - layer[b.role]);
  for (const track of ordered) {
    const colour = colours.get(track) ?? ROLE_COLOURS.harmony;
    for (const note of track.notes) drawNote(ctx, note, colour, { xOf, yOf, rowHeight, right });
  }

  if (drumHeight > 0) {
    drawDrumLane(ctx, drumTracks, colours, { x: gutter, top: drumTop, height: drumHeight, right, xOf, font });
  }
  return canvas.toBuffer('image/png');
}

function assignColours(tracks: readonly Track[]): Map<Track, string> {
  const colours = new Map<Track, string>();
  const used = new Set<string>();
  let fallback = 0;
  for (const track of tracks) {
    let colour: string = ROLE_COLOURS[track.role];
    if (used.has(colour)) colour = FALLBACK_COLOURS[fallback++ % FALLBACK_COLOURS.length] ?? colour;
    used.add(colour);
    colours.set(track, colour);
  }
  return colours;
}

type FontOf = (size: number, bold?: boolean) => string;

function drawTitle(
  ctx: SKRSContext2D,
  score: Score,
  at: { x: number; baseline: number; right: number; font: FontOf },
): void {
  ctx.textBaseline = 'alphabetic';
  ctx.textAlign = 'left';
  ctx.font = at.font(18, true);
  ctx.fillStyle = THEME.text;
  const title = fit(ctx, score.title || 'Untitled', (at.right - at.x) * 0.6);
  ctx.fillText(title, at.x, at.baseline);
  const titleWidth = ctx.measureText(title).width;
  const { numerator, denominator } = score.timeSignature;
  const bars = score.lengthBeats / ((numerator * 4) / denominator);
  const details = [
    score.style,
    keyName(score.key),
    `${Math.round(score.tempo)} bpm`,
    `${numerator}/${denominator}`,
    `${Number.isInteger(bars) ? bars : bars.toFixed(1)} bars`,
  ].join('  ·  ');
  ctx.font = at.font(13);
  ctx.fillStyle = THEME.dimText;
  ctx.fillText(fit(ctx, details, at.right - at.x - titleWidth - 18), at.x + titleWidth + 18, at.baseline);
}

function drawLegend(
  ctx: SKRSContext2D,
  tracks: readonly Track[],
  colours: ReadonlyMap<Track, string>,
  at: { x: number; top: number; height: number; right: number; font: FontOf },
): void {
  ctx.font = at.font(12);
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  const swatch = Math.round(at.height * 0.6);
  const middle = at.top + at.height / 2;
  let x = at.x;
  for (const track of tracks) {
    const label = `${track.name} · ${track.instrument.name}`;
    const room = at.right - x - swatch - 8;
    if (room < 40) break;
    const text = fit(ctx, label, room);
    ctx.fillStyle = colours.get(track) ?? THEME.text;
    ctx.beginPath();
    ctx.roundRect(x, middle - swatch / 2, swatch, swatch, 2);
    ctx.fill();
    ctx.fillStyle = THEME.text;
    ctx.fillText(text, x + swatch + 6, middle);
    x += swatch + 6 + ctx.measureText(text).width + 22;
  }
}

function drawBeatGrid(
  ctx: SKRSContext2D,
  score: Score,
  at: { top: number; bottom: number; right: number; xOf: (beat: number) => number; font: FontOf },
): void {
  const beat = 4 / score.timeSignature.denominator;
  const bar = beat * score.timeSignature.numerator;
  const beatWidth = at.xOf(beat) - at.xOf(0);
  const barWidth = at.xOf(bar) - at.xOf(0);
  if (beatWidth >= 4) {
    ctx.fillStyle = THEME.beatLine;
    for (let b = beat; b < score.lengthBeats - 1e-9; b += beat) {
      if (Math.abs(b / bar - Math.round(b / bar)) > 1e-9)
        ctx.fillRect(Math.round(at.xOf(b)), at.top, 1, at.bottom - at.top);
    }
  }
  const labelEvery = Math.max(1, Math.ceil(28 / Math.max(barWidth, 1e-6)));
  ctx.font = at.font(10);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  for (let index = 0; index * bar <= score.lengthBeats + 1e-9; index++) {
    const x = Math.round(at.xOf(index * bar));
    ctx.fillStyle = THEME.barLine;
    ctx.fillRect(Math.min(x, Math.round(at.right) - 1), at.top, 1, at.bottom - at.top);
    if (index * bar < score.lengthBeats - 1e-9 && index % labelEvery === 0) {
      ctx.fillStyle = THEME.dimText;
      ctx.fillText(String(index + 1), x + 3, at.bottom + 4);
    }
  }
}

function drawNote(
  ctx: SKRSContext2D,
  note: Note,
  colour: string,
  at: { xOf: (beat: number) => number; yOf: (pitch: number) => number; rowHeight: number; right: number },
): void {
  const x = at.xOf(note.start);
  if (x >= at.right) return;
  const end = Math.min(at.xOf(note.start + note.duration), at.right);
  const y = at.yOf(note.pitch);
  const w = Math.max(2, end - x - 1);
  const h = Math.max(2, at.rowHeight - (at.rowHeight > 5 ? 1 : 0));
  ctx.globalAlpha = 0.45 + 0.55 * Math.min(1, Math.max(0, note.velocity / 127));
  ctx.fillStyle = colour;
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, Math.min(3, h / 3));
  ctx.fill();
  ctx.globalAlpha = 1;
}

function drawDrumLane(
  ctx: SKRSContext2D,
  tracks: readonly Track[],
  colours: ReadonlyMap<Track, string>,
  at: { x: number; top: number; height: number; right: number; xOf: (beat: number) => number; font: FontOf },
): void {
  const used = new Set<number>();
  for (const track of tracks) for (const note of track.notes) used.add(drumRow(note.pitch));
  const rowCount = DRUM_ROWS.length + (used.has(DRUM_ROWS.length) ? 1 : 0);
  const rowHeight = at.height / rowCount;
  ctx.font = at.font(9);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = THEME.dimText;
  for (let row = 0; row < rowCount; row++) {
    const label = DRUM_ROWS[row]?.label ?? OTHER_DRUM_LABEL;
    ctx.fillText(label, at.x - 8, at.top + rowHeight * (row + 0.5));
  }
  for (const track of tracks) {
    ctx.fillStyle = colours.get(track) ?? ROLE_COLOURS.drums;
    for (const note of track.notes) {
      const x = at.xOf(note.start);
      if (x >= at.right) continue;
      const row = drumRow(note.pitch);
      const tick = rowHeight * (0.35 + 0.5 * Math.min(1, note.velocity / 127));
      ctx.globalAlpha = 0.5 + 0.5 * Math.min(1, note.velocity / 127);
      ctx.fillRect(Math.round(x), at.top + rowHeight * (row + 0.5) - tick / 2, 2, tick);
    }
  }
  ctx.globalAlpha = 1;
}

function drumRow(pitch: number): number {
  const row = DRUM_ROWS.findIndex((entry) => (entry.keys as readonly number[]).includes(pitch));
  return row === -1 ? DRUM_ROWS.length : row;
}

/** `text`, cut with an ellipsis to fit `width` pixels in the current font. */
function fit(ctx: SKRSContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let cut = text;
  while (cut.length > 1 && ctx.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}
