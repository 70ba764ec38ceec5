/**
 * The picture /taste posts: a dark card with one panel per dimension (styles, moods, tempo bands, instruments),
 * likes as bars to the right of a zero line and dislikes in another colour to its left, each labelled with its
 * name and score, and the summary's sentence underneath. Someone with no history gets a card that says how to
 * build a taste. Text uses DejaVu Sans from the npm package, so it renders on machines without system fonts.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';

import { PICTURE_FONT_FAMILY, registerPictureFont } from '../picture-font.ts';
import { drumKitName } from '../music/drum-voices.ts';
import { programName } from '../music/general-midi.ts';
import type { TasteBar, TasteSummary } from './taste-summary.ts';
import { TEMPO_BAND_RANGES, TEMPO_BANDS, type TempoBand } from './tempo-band.ts';

export interface TastePictureOptions {
  /** Default "Your taste". */
  readonly title?: string | undefined;
  /** Pixels, default 1000 (400 to 3000); the height follows from the width. Below 760 the panels stack. */
  readonly width?: number | undefined;
}

const THEME = {
  background: '#12141a',
  panel: '#1a1d26',
  panelEdge: '#262a36',
  rowTint: '#1e222c',
  text: '#e6e8ee',
  softText: '#c3c8d4',
  dimText: '#8a91a3',
  zeroLine: '#5a6275',
  like: '#59c2ff',
  likeValue: '#9fdcff',
  dislike: '#ff9152',
  dislikeValue: '#ffc099',
  accent: '#59c2ff',
  buttonPrimary: '#5865f2',
  buttonSecondary: '#4e5058',
  buttonText: '#ffffff',
} as const;

const DEFAULT_WIDTH = 1000;
const MIN_WIDTH = 400;
const MAX_WIDTH = 3000;
/** Below this width the four panels stack in one column. */
const TWO_COLUMNS_FROM = 760;
/** Rows a panel has room for; a dimension with more shows its strongest likes and dislikes. */
const MAX_ROWS = 6;

const SECTIONS = [
  { key: 'styles', heading: 'Styles' },
  { key: 'moods', heading: 'Moods' },
  { key: 'tempoBands', heading: 'Tempo' },
  { key: 'instruments', heading: 'Instruments' },
] as const satisfies readonly { key: keyof TasteSummary; heading: string }[];

/** Design sizes in pixels at scale 1 (a 1000-pixel two-column card, or a 520-pixel one-column card). */
const LAYOUT = {
  pad: 32,
  titleSize: 30,
  titleBlock: 58,
  panelGap: 20,
  panelPad: 16,
  headerHeight: 42,
  rowHeight: 30,
  barHeight: 16,
  panelBottom: 10,
  sentenceGap: 22,
  sentenceSize: 18,
  sentenceLine: 25,
} as const;

/** Draws `summary` as a PNG card for /taste (default 1000 pixels wide). */
export function renderTastePicture(summary: TasteSummary, options: TastePictureOptions = {}): Buffer {
  registerPictureFont();
  const width = clampWidth(options.width);
  const columns = width >= TWO_COLUMNS_FROM ? 2 : 1;
  const scale = columns === 2 ? width / 1000 : width / 520;
  const px = (design: number): number => Math.round(design * scale);
  const font: FontOf = (size, bold = false) =>
    `${bold ? 'bold ' : ''}${Math.max(9, px(size))}px "${PICTURE_FONT_FAMILY}"`;

  const sections = SECTIONS.map(({ key, heading }) => ({ heading, ...pickRows(key, summary[key]) }));
  const empty = sections.every((section) => section.rows.length === 0);

  const pad = px(LAYOUT.pad);
  const gap = px(LAYOUT.panelGap);
  const panelHeight = px(LAYOUT.headerHeight + LAYOUT.rowHeight * MAX_ROWS + LAYOUT.panelBottom);
  const panelsTop = pad + px(LAYOUT.titleBlock);
  const panelRows = SECTIONS.length / columns;
  const panelsBottom = panelsTop + panelRows * panelHeight + (panelRows - 1) * gap;
  const sentenceLines = columns === 2 ? 2 : 3;
  const sentenceTop = panelsBottom + px(LAYOUT.sentenceGap);
  const height = sentenceTop + sentenceLines * px(LAYOUT.sentenceLine) + pad;
  const panelWidth = (width - 2 * pad - (columns - 1) * gap) / columns;

  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = THEME.background;
  ctx.fillRect(0, 0, width, height);

  const legendWidth = empty ? 0 : drawLegend(ctx, { right: width - pad, baseline: pad + px(24), font, px });
  ctx.font = font(LAYOUT.titleSize, true);
  ctx.fillStyle = THEME.text;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  const title = drawable(options.title ?? '').trim() || 'Your taste';
  ctx.fillText(fit(ctx, title, width - 2 * pad - legendWidth - px(24)), pad, pad + px(LAYOUT.titleSize) - px(4));

  if (empty) {
    // The empty card has no sentence (it would repeat the steps), so its panel takes that room too.
    drawEmptyState(ctx, { x: pad, top: panelsTop, width: width - 2 * pad, height: height - pad - panelsTop, font, px });
    return canvas.toBuffer('image/png');
  }

  sections.forEach((section, index) => {
    const x = pad + (index % columns) * (panelWidth + gap);
    const top = panelsTop + Math.floor(index / columns) * (panelHeight + gap);
    drawSection(ctx, section, { x, top, width: panelWidth, height: panelHeight, font, px });
  });

  // The sentence beside a thin accent rule, wrapped and cut with an ellipsis if it is longer, centred in its room.
  const lineHeight = px(LAYOUT.sentenceLine);
  ctx.font = font(LAYOUT.sentenceSize);
  const textX = pad + px(16);
  const lines = wrap(ctx, drawable(summary.sentence), width - pad - textX, sentenceLines);
  const linesTop = sentenceTop + ((sentenceLines - lines.length) * lineHeight) / 2;
  if (lines.length > 0) {
    ctx.fillStyle = THEME.accent;
    ctx.fillRect(pad, linesTop + px(2), Math.max(2, px(3)), lines.length * lineHeight - px(4));
  }
  ctx.fillStyle = THEME.softText;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  lines.forEach((line, index) => {
    ctx.fillText(line, textX, linesTop + (index + 0.5) * lineHeight);
  });
  return canvas.toBuffer('image/png');
}

type FontOf = (size: number, bold?: boolean) => string;
type Px = (design: number) => number;

interface Row {
  readonly label: string;
  /** Dim text after the label: an instrument's part, a tempo band's bpm range. */
  readonly detail: string;
  readonly score: number;
  /** −1 to 1: the bar's length relative to the longest bar of its dimension. */
  readonly level: number;
}

interface Section {
  readonly heading: string;
  readonly rows: readonly Row[];
  /** Entries that did not fit. */
  readonly hidden: number;
}

/**
 * The rows a panel shows, likes first: entries without a finite score dropped; if more than MAX_ROWS are left,
 * the strongest likes and up to a third of the rows for the strongest dislikes.
 */
function pickRows(key: (typeof SECTIONS)[number]['key'], bars: readonly TasteBar[]): Omit<Section, 'heading'> {
  const valid = bars.filter((bar) => Number.isFinite(bar.score));
  const largest = Math.max(0, ...valid.map((bar) => Math.abs(bar.score)));
  const rows = valid
    .map((bar): Row => {
      const level = Number.isFinite(bar.level) ? bar.level : largest > 0 ? bar.score / largest : 0;
      return { ...labelOf(key, bar.name), score: bar.score, level: Math.max(-1, Math.min(1, level)) };
    })
    .sort((a, b) => b.score - a.score);
  if (rows.length <= MAX_ROWS) return { rows, hidden: 0 };
  const dislikes = rows.filter((row) => row.score < 0);
  const keptDislikes = dislikes.slice(-Math.min(dislikes.length, Math.floor(MAX_ROWS / 3)));
  const kept = [...rows.filter((row) => row.score >= 0).slice(0, MAX_ROWS - keptDislikes.length), ...keptDislikes];
  return { rows: kept, hidden: rows.length - kept.length };
}

const TRACK_ROLE_NAMES = new Set(['melody', 'harmony', 'bass', 'drums']);

/** "melody:66" → Tenor Sax (melody); "drums:25" → its kit; tempo bands with their bpm; others capitalised. */
function labelOf(key: (typeof SECTIONS)[number]['key'], name: string): { label: string; detail: string } {
  if (key === 'instruments') {
    const match = /^([a-z]+):(\d{1,3})$/.exec(name);
    const role = match?.[1];
    const program = Number(match?.[2]);
    if (role !== undefined && TRACK_ROLE_NAMES.has(role) && program <= 127) {
      return { label: role === 'drums' ? drumKitName(program) : programName(program), detail: role };
    }
  }
  if (key === 'tempoBands') {
    const band = TEMPO_BANDS.find((entry) => entry === name);
    if (band !== undefined) return { label: capitalise(band), detail: bpmRange(band) };
  }
  return { label: capitalise(drawable(name)), detail: '' };
}

function bpmRange(band: TempoBand): string {
  const index = TEMPO_BANDS.indexOf(band);
  const next = TEMPO_BANDS[index + 1];
  const from = TEMPO_BAND_RANGES[band].from;
  if (next === undefined) return `${from}+ bpm`;
  const to = TEMPO_BAND_RANGES[next].from;
  return from === 0 ? `under ${to} bpm` : `${from}–${to} bpm`;
}

function drawSection(
  ctx: SKRSContext2D,
  section: Section,
  at: { x: number; top: number; width: number; height: number; font: FontOf; px: Px },
): void {
  const { px, font } = at;
  drawPanel(ctx, at);
  const inner = px(LAYOUT.panelPad);
  const left = at.x + inner;
  const right = at.x + at.width - inner;

  ctx.textBaseline = 'middle';
  const headerMiddle = at.top + px(LAYOUT.headerHeight) / 2 + px(2);
  if (section.hidden > 0) {
    ctx.font = font(12);
    ctx.fillStyle = THEME.dimText;
    ctx.textAlign = 'right';
    ctx.fillText(`+${section.hidden} more`, right, headerMiddle);
  }
  ctx.font = font(17, true);
  ctx.fillStyle = THEME.text;
  ctx.textAlign = 'left';
  ctx.fillText(section.heading, left, headerMiddle);

  const rowsTop = at.top + px(LAYOUT.headerHeight);
  const rowHeight = px(LAYOUT.rowHeight);
  if (section.rows.length === 0) {
    ctx.font = font(14);
    ctx.fillStyle = THEME.dimText;
    ctx.textAlign = 'center';
    ctx.fillText('Nothing yet', at.x + at.width / 2, rowsTop + (rowHeight * MAX_ROWS) / 2);
    return;
  }

  // Columns: label (name and dim detail), then the bars around a zero line, with room for the values beside them.
  const labelWidth = Math.round((right - left) * 0.42);
  const barsLeft = left + labelWidth + px(12);
  const values = section.rows.map((row) => formatScore(row.score));
  ctx.font = font(13);
  // The gap before a value, plus a little slack for the rounded zero line and the shortest bars.
  const valueWidth = Math.max(...values.map((value) => ctx.measureText(value).width)) + px(6) + 4;
  const leftmost = Math.max(0, ...section.rows.map((row) => -row.level));
  const rightmost = Math.max(0, ...section.rows.map((row) => row.level));
  const hasDislikes = section.rows.some((row) => row.score < 0);
  const hasOthers = section.rows.some((row) => row.score >= 0);
  const areaLeft = barsLeft + (hasDislikes ? valueWidth : 0);
  const areaRight = right - (hasOthers ? valueWidth : 0);
  const span = leftmost + rightmost > 0 ? leftmost + rightmost : 1;
  const unit = Math.max(0, areaRight - areaLeft) / span;
  const zeroX = Math.round(areaLeft + leftmost * unit);
  const barHeight = px(LAYOUT.barHeight);

  section.rows.forEach((row, index) => {
    const top = rowsTop + index * rowHeight;
    const middle = top + rowHeight / 2;
    if (index % 2 === 0) {
      ctx.fillStyle = THEME.rowTint;
      ctx.fillRect(at.x + px(4), top, at.width - px(8), rowHeight);
    }
    drawLabel(ctx, row, { x: left, middle, width: labelWidth, font });

    const length = Math.abs(row.level) * unit;
    const visible = row.score !== 0 ? Math.max(2, length) : 0;
    const liked = row.score >= 0;
    ctx.fillStyle = liked ? THEME.like : THEME.dislike;
    if (visible > 0) {
      const radius = Math.min(px(4), visible / 2, barHeight / 2);
      const x = liked ? zeroX : zeroX - visible;
      const radii = liked ? [0, radius, radius, 0] : [radius, 0, 0, radius];
      ctx.beginPath();
      ctx.roundRect(x, middle - barHeight / 2, visible, barHeight, radii);
      ctx.fill();
    }
    ctx.font = font(13);
    ctx.fillStyle = liked ? THEME.likeValue : THEME.dislikeValue;
    ctx.textAlign = liked ? 'left' : 'right';
    const value = values[index] ?? '';
    const valueX = liked ? zeroX + visible + px(6) : zeroX - visible - px(6);
    ctx.fillText(fit(ctx, value, (liked ? right - valueX : valueX - barsLeft) + 1), valueX, middle);
  });

  ctx.fillStyle = THEME.zeroLine;
  ctx.fillRect(zeroX, rowsTop + px(3), Math.max(1, px(1)), section.rows.length * rowHeight - px(6));
}

function drawLabel(ctx: SKRSContext2D, row: Row, at: { x: number; middle: number; width: number; font: FontOf }): void {
  ctx.textAlign = 'left';
  ctx.font = at.font(15);
  ctx.fillStyle = THEME.text;
  const label = fit(ctx, row.label, at.width);
  ctx.fillText(label, at.x, at.middle);
  const used = ctx.measureText(`${label} `).width;
  if (row.detail === '') return;
  ctx.font = at.font(12);
  if (ctx.measureText(row.detail).width > at.width - used) return;
  ctx.fillStyle = THEME.dimText;
  ctx.fillText(row.detail, at.x + used, at.middle + 1);
}

/** "■ likes  ■ dislikes", right-aligned on the title line; returns its width. */
function drawLegend(ctx: SKRSContext2D, at: { right: number; baseline: number; font: FontOf; px: Px }): number {
  ctx.font = at.font(13);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const swatch = at.px(12);
  const items = [
    { text: 'likes', colour: THEME.like },
    { text: 'dislikes', colour: THEME.dislike },
  ];
  const widths = items.map((item) => swatch + at.px(6) + ctx.measureText(item.text).width);
  const total = widths.reduce((sum, w) => sum + w, 0) + at.px(18);
  let x = at.right - total;
  const middle = at.baseline - at.px(5);
  items.forEach((item, index) => {
    ctx.fillStyle = item.colour;
    ctx.beginPath();
    ctx.roundRect(x, middle - swatch / 2, swatch, swatch, at.px(3));
    ctx.fill();
    ctx.fillStyle = THEME.dimText;
    ctx.fillText(item.text, x + swatch + at.px(6), middle);
    x += (widths[index] ?? 0) + at.px(18);
  });
  return total;
}

function drawPanel(ctx: SKRSContext2D, at: { x: number; top: number; width: number; height: number; px: Px }): void {
  ctx.fillStyle = THEME.panel;
  ctx.strokeStyle = THEME.panelEdge;
  ctx.lineWidth = Math.max(1, at.px(1));
  ctx.beginPath();
  ctx.roundRect(at.x + 0.5, at.top + 0.5, at.width - 1, at.height - 1, at.px(10));
  ctx.fill();
  ctx.stroke();
}

/** A word of a step, or a button drawn like Discord's under a clip. */
type Token = string | { readonly button: string; readonly primary?: boolean; readonly play?: boolean };

const EMPTY_STEPS: readonly (readonly Token[])[] = [
  [...words('Press'), { button: 'Like' }, ...words('or'), { button: 'Dislike' }, ...words('under clips you hear.')],
  [
    { button: 'Play in voice', primary: true, play: true },
    ...words(','),
    { button: 'Variation' },
    ...words('and'),
    { button: 'Extend' },
    ...words('the ones you enjoy.'),
  ],
  words('Then run /taste again to see what you like.'),
];

function words(text: string): string[] {
  return text.split(' ');
}

function drawEmptyState(
  ctx: SKRSContext2D,
  at: { x: number; top: number; width: number; height: number; font: FontOf; px: Px },
): void {
  const { px, font } = at;
  drawPanel(ctx, at);
  const wide = at.width >= px(900);
  const left = at.x + px(36);
  const right = at.x + (wide ? at.width * 0.68 : at.width - px(36));
  if (wide)
    drawGhostBars(ctx, { x: right + px(36), top: at.top, right: at.x + at.width - px(44), px, height: at.height });

  // Laid out twice: once to measure, once centred in the panel.
  const layout = (top: number, draw: boolean): number => {
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.font = font(24, true);
    ctx.fillStyle = THEME.text;
    let y = top + px(24);
    if (draw) ctx.fillText(fit(ctx, 'No taste yet', right - left), left, y);
    ctx.font = font(15);
    ctx.fillStyle = THEME.softText;
    y += px(30);
    for (const line of wrap(ctx, 'Motif learns what you like from what you do with its clips:', right - left, 2)) {
      if (draw) ctx.fillText(line, left, y);
      y += px(22);
    }
    y += px(8);
    const badge = px(26);
    const lineHeight = px(34);
    EMPTY_STEPS.forEach((tokens, index) => {
      if (index > 0) y += px(10);
      if (draw) {
        ctx.fillStyle = THEME.accent;
        ctx.beginPath();
        ctx.arc(left + badge / 2, y + lineHeight / 2, badge / 2, 0, Math.PI * 2);
        ctx.fill();
        ctx.font = font(14, true);
        ctx.fillStyle = THEME.background;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(String(index + 1), left + badge / 2, y + lineHeight / 2 + 1);
      }
      const flow = { x: left + badge + px(16), top: y, right, lineHeight, font, px, draw };
      y += flowTokens(ctx, tokens, flow) * lineHeight;
    });
    return y - top;
  };
  const height = layout(at.top, false);
  layout(at.top + Math.max(px(24), (at.height - height) / 2), true);
}

/** A faint sketch of the bars to come, beside the empty-state text. */
function drawGhostBars(
  ctx: SKRSContext2D,
  at: { x: number; top: number; right: number; height: number; px: Px },
): void {
  const { px } = at;
  const levels = [1, 0.72, 0.5, 0.3, -0.25, -0.55];
  const rowHeight = px(34);
  const top = at.top + (at.height - rowHeight * levels.length) / 2;
  const zeroX = at.x + (at.right - at.x) * 0.4;
  const unit = (at.right - zeroX) * 0.9;
  const barHeight = px(16);
  levels.forEach((level, index) => {
    const middle = top + (index + 0.5) * rowHeight;
    ctx.fillStyle = level > 0 ? '#233041' : '#3a2a24';
    const length = Math.abs(level) * unit;
    ctx.beginPath();
    ctx.roundRect(level > 0 ? zeroX : zeroX - length, middle - barHeight / 2, length, barHeight, px(4));
    ctx.fill();
  });
  ctx.fillStyle = THEME.panelEdge;
  ctx.fillRect(Math.round(zeroX), top, Math.max(1, px(1)), rowHeight * levels.length);
}

/** Lays out words and buttons left to right, wrapping at `right`; returns the number of lines used. */
function flowTokens(
  ctx: SKRSContext2D,
  tokens: readonly Token[],
  at: { x: number; top: number; right: number; lineHeight: number; font: FontOf; px: Px; draw: boolean },
): number {
  const { px, font } = at;
  const space = (): number => {
    ctx.font = font(15);
    return ctx.measureText(' ').width;
  };
  const widthOf = (token: Token): number => {
    if (typeof token === 'string') {
      ctx.font = font(15);
      return ctx.measureText(token).width;
    }
    ctx.font = font(13, true);
    return ctx.measureText(token.button).width + px(24) + (token.play === true ? px(16) : 0);
  };
  let x = at.x;
  let line = 0;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  for (const token of tokens) {
    const w = widthOf(token);
    // Punctuation hugs what comes before it.
    if (typeof token === 'string' && /^[,.;:]/.test(token) && x > at.x) x -= space();
    if (x > at.x && x + w > at.right) {
      x = at.x;
      line++;
    }
    const middle = at.top + line * at.lineHeight + at.lineHeight / 2;
    if (!at.draw) {
      // Measuring only.
    } else if (typeof token === 'string') {
      ctx.font = font(15);
      ctx.fillStyle = THEME.softText;
      ctx.fillText(token, x, middle);
    } else {
      const h = px(28);
      ctx.fillStyle = token.primary === true ? THEME.buttonPrimary : THEME.buttonSecondary;
      ctx.beginPath();
      ctx.roundRect(x, middle - h / 2, w, h, px(4));
      ctx.fill();
      let textX = x + px(12);
      ctx.fillStyle = THEME.buttonText;
      if (token.play === true) {
        const s = px(9);
        ctx.beginPath();
        ctx.moveTo(textX, middle - s / 2 - px(1));
        ctx.lineTo(textX + s * 0.9, middle);
        ctx.lineTo(textX, middle + s / 2 + px(1));
        ctx.closePath();
        ctx.fill();
        textX += px(16);
      }
      ctx.font = font(13, true);
      ctx.fillText(token.button, textX, middle);
    }
    x += w + space();
  }
  return line + 1;
}

/** "+0.75", "−1.20", "+12.5", "+340", "+1.2K", "+3.0e+20"; "0" for zero. */
function formatScore(score: number): string {
  if (Number.isNaN(score) || score === 0) return '0';
  const sign = score > 0 ? '+' : '−';
  const size = Math.abs(score);
  if (size === Infinity) return `${sign}∞`;
  if (size < 0.005) return `${sign}${size.toExponential(0)}`;
  if (size < 10) return `${sign}${size.toFixed(2)}`;
  if (size < 100) return `${sign}${size.toFixed(1)}`;
  if (size < 1000) return `${sign}${size.toFixed(0)}`;
  if (size < 1e15) return `${sign}${COMPACT.format(size)}`;
  return `${sign}${size.toExponential(1)}`;
}

const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

function clampWidth(width: number | undefined): number {
  if (width === undefined || !Number.isFinite(width)) return DEFAULT_WIDTH;
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.round(width)));
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Text the bundled font can draw: DejaVu has no emoji, so 👍 and 👎 become the names of the buttons they are on
 * and other pictographs are dropped rather than drawn as empty boxes.
 */
function drawable(text: string): string {
  return text
    .replaceAll('👍', 'Like')
    .replaceAll('👎', 'Dislike')
    .replace(/\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u{FE0F}|\u{200D}/gu, '')
    .replace(/\s+/g, ' ');
}

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** `text`, cut with an ellipsis to fit `width` pixels in the current font ("" if not even that fits). */
function fit(ctx: SKRSContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  const chars = Array.from(GRAPHEMES.segment(text), (part) => part.segment);
  const fits = (n: number): boolean => ctx.measureText(`${chars.slice(0, n).join('').trimEnd()}…`).width <= width;
  // Binary search for the longest prefix that fits with its ellipsis, so a very long name costs few measures.
  let low = 0;
  let high = chars.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return fits(low) ? `${chars.slice(0, low).join('').trimEnd()}…` : '';
}

/** Word-wraps `text` to at most `maxLines` lines of `width` pixels; the last line ends with … if text is left. */
function wrap(ctx: SKRSContext2D, text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let current = '';
  const parts = text.split(' ').filter((word) => word !== '');
  for (const [index, word] of parts.entries()) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (ctx.measureText(candidate).width <= width || current === '') {
      current = candidate;
      continue;
    }
    if (lines.length === maxLines - 1) {
      lines.push(fit(ctx, `${current} ${parts.slice(index).join(' ')}`, width));
      return lines;
    }
    lines.push(fit(ctx, current, width));
    current = word;
  }
  if (current !== '') lines.push(fit(ctx, current, width));
  return lines;
}
