import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createCanvas, GlobalFonts, loadImage } from '@napi-rs/canvas';

import { renderTastePicture } from '../../src/taste/taste-picture.ts';
import type { TasteBar, TasteSummary } from '../../src/taste/taste-summary.ts';
import { summariseTaste } from '../../src/taste/taste-summary.ts';

interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

interface Region {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

const LIKE = 0x59c2ff;
const DISLIKE = 0xff9152;

/** The default card's size: two columns of panels, height set by the layout. */
const DEFAULT_SIZE = [1000, 678] as const;
/** Where the bars of the Styles panel (top left) go on the default card. */
const STYLE_BARS: Region = { x: 240, y: 132, w: 236, h: 180 };
/** The legend at the right of the title line. */
const LEGEND: Region = { x: 820, y: 30, w: 150, h: 40 };

async function decode(png: Buffer): Promise<Pixels> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

function ihdrSize(png: Buffer): [number, number] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

function rgbAt(pixels: Pixels, x: number, y: number): number {
  const i = (y * pixels.width + x) * 4;
  return ((pixels.data[i] ?? 0) << 16) | ((pixels.data[i + 1] ?? 0) << 8) | (pixels.data[i + 2] ?? 0);
}

/** The x of every pixel of exactly `rgb` in `region`. */
function columnsOf(pixels: Pixels, rgb: number, region: Region): number[] {
  const xs: number[] = [];
  for (let y = region.y; y < region.y + region.h; y++) {
    for (let x = region.x; x < region.x + region.w; x++) if (rgbAt(pixels, x, y) === rgb) xs.push(x);
  }
  return xs;
}

function regionBytes(pixels: Pixels, region: Region): number[] {
  const out: number[] = [];
  for (let y = region.y; y < region.y + region.h; y++) {
    for (let x = region.x; x < region.x + region.w; x++) out.push(rgbAt(pixels, x, y));
  }
  return out;
}

/** Near-white pixels: text (bars and panels are never that bright). */
function brightPixels(pixels: Pixels, region: Region): number {
  let count = 0;
  for (let y = region.y; y < region.y + region.h; y++) {
    for (let x = region.x; x < region.x + region.w; x++) {
      const rgb = rgbAt(pixels, x, y);
      if (rgb >> 16 > 180 && ((rgb >> 8) & 0xff) > 180 && (rgb & 0xff) > 180) count++;
    }
  }
  return count;
}

function bar(name: string, score: number, level = score): TasteBar {
  return { name, score, level };
}

function summary(parts: Partial<TasteSummary> = {}): TasteSummary {
  return { styles: [], moods: [], tempoBands: [], instruments: [], sentence: 'You like jazz.', ...parts };
}

const EMPTY = summariseTaste({ styles: {}, moods: {}, tempoBands: {}, instruments: {}, events: 0 });
const POPULATED = summariseTaste({
  styles: { jazz: 3.2, lofi: 2.1, ambient: 1.4, rock: -1.8 },
  moods: { calm: 2.5, chill: 1.9, energetic: -1.1 },
  tempoBands: { medium: 2.8, slow: 1.2, fast: -0.9 },
  instruments: { 'melody:66': 1.5, 'bass:32': 0.75, 'drums:40': -0.3 },
  events: 20,
});

describe('renderTastePicture', () => {
  it('GIVEN a populated summary and no options THEN a 1000x678 PNG that decodes, the same size as the empty card', async () => {
    const png = renderTastePicture(POPULATED);
    assert.deepEqual(ihdrSize(png), DEFAULT_SIZE);
    const pixels = await decode(png);
    assert.deepEqual([pixels.width, pixels.height], DEFAULT_SIZE);
    assert.deepEqual(ihdrSize(renderTastePicture(EMPTY)), DEFAULT_SIZE);
    // Labels use the copy of DejaVu Sans from npm, registered under a name no system font has.
    assert.ok(GlobalFonts.families.some((family) => family.family === 'Motif DejaVu Sans'));
  });

  it('GIVEN a narrow width THEN the panels stack in one taller column of exactly that width', async () => {
    const narrow = await decode(renderTastePicture(POPULATED, { width: 480 }));
    assert.deepEqual([narrow.width, narrow.height], [480, 1113]);
    const clamped = renderTastePicture(POPULATED, { width: 10 });
    assert.equal(ihdrSize(clamped)[0], 400);
    assert.deepEqual(ihdrSize(renderTastePicture(POPULATED, { width: Number.NaN })), DEFAULT_SIZE);
  });

  it('GIVEN likes and dislikes THEN the bar region differs from the empty card, likes right of dislikes', async () => {
    const populated = await decode(renderTastePicture(POPULATED));
    const empty = await decode(renderTastePicture(EMPTY));
    assert.notDeepEqual(regionBytes(populated, STYLE_BARS), regionBytes(empty, STYLE_BARS));
    const likes = columnsOf(populated, LIKE, STYLE_BARS);
    const dislikes = columnsOf(populated, DISLIKE, STYLE_BARS);
    assert.ok(likes.length > 500, `${likes.length} like pixels`);
    assert.ok(dislikes.length > 100, `${dislikes.length} dislike pixels`);
    assert.equal(columnsOf(empty, LIKE, STYLE_BARS).length, 0);
    assert.equal(columnsOf(empty, DISLIKE, STYLE_BARS).length, 0);
    // Dislikes are drawn leftwards from the zero line where the likes start.
    assert.ok(Math.max(...dislikes) < Math.min(...likes), 'dislikes end before likes begin');
  });

  it('GIVEN levels 1 and 0.5 THEN the second bar is half as long as the first', async () => {
    const pixels = await decode(renderTastePicture(summary({ styles: [bar('jazz', 2, 1), bar('lofi', 1, 0.5)] })));
    const rowHeight = 30;
    const row = (index: number): Region => ({ ...STYLE_BARS, y: STYLE_BARS.y + index * rowHeight + 15, h: 1 });
    const first = columnsOf(pixels, LIKE, row(0)).length;
    const second = columnsOf(pixels, LIKE, row(1)).length;
    assert.ok(first > 150, `${first} pixels`);
    assert.ok(Math.abs(second / first - 0.5) < 0.03, `${second} / ${first}`);
  });

  it('GIVEN a title THEN it is drawn, and a very long one is cut before the legend', async () => {
    const short = await decode(renderTastePicture(POPULATED, { title: 'A' }));
    const long = await decode(renderTastePicture(POPULATED, { title: 'W'.repeat(200) }));
    const titleLine = { x: 32, y: 20, w: 600, h: 40 };
    assert.ok(brightPixels(long, titleLine) > brightPixels(short, titleLine) + 1000);
    assert.deepEqual(regionBytes(long, LEGEND), regionBytes(short, LEGEND));
    assert.ok(columnsOf(long, LIKE, LEGEND).length > 50, 'the legend swatch is still there');
  });

  it('GIVEN no history THEN the empty card shows text in its panel and no legend', async () => {
    const empty = await decode(renderTastePicture(EMPTY));
    assert.ok(brightPixels(empty, { x: 60, y: 150, w: 600, h: 400 }) > 500, 'steps drawn');
    assert.equal(columnsOf(empty, LIKE, LEGEND).length, 0);
  });

  it('GIVEN edge cases THEN it does not throw and every card decodes at its size', async () => {
    const many = Array.from({ length: 40 }, (_, index) => bar(`style${index}`, 20 - index, (20 - index) / 20));
    const cases: TasteSummary[] = [
      EMPTY,
      summary({ styles: [bar('jazz', 1)], sentence: '' }),
      summary({ moods: [bar('sad', -1)] }),
      summary({ styles: [bar('jazz', 1e300, 1), bar('rock', -Number.MAX_VALUE, -1)] }),
      summary({ styles: [bar('x', Infinity, 1), bar('y', -Infinity, -1), bar('z', Number.NaN, Number.NaN)] }),
      summary({ styles: [bar('zero', 0, 0), bar('tiny', 1e-9, Number.NaN)] }),
      summary({ styles: [bar('only-nan', Number.NaN, Number.NaN)] }),
      summary({
        styles: [bar('a'.repeat(5000), 1), bar('名前'.repeat(100), -1)],
        instruments: [
          bar('melody:66', 1),
          bar('drums:999', 1),
          bar('bass:-1', 1),
          bar(`harmony:${'9'.repeat(400)}`, 1),
        ],
        sentence: `${'very long words '.repeat(300)} 👍👎🎷`,
      }),
      summary({ styles: many, moods: many, tempoBands: many, instruments: many }),
    ];
    for (const [index, entry] of cases.entries()) {
      for (const width of [400, 1000, 1600]) {
        const pixels = await decode(renderTastePicture(entry, { width, title: '🎵'.repeat(3) }));
        assert.equal(pixels.width, width, `case ${index}`);
        assert.ok(pixels.height > 0);
      }
    }
  });

  it('GIVEN more entries than fit THEN both the strongest likes and dislikes are drawn', async () => {
    const styles = [...Array.from({ length: 10 }, (_, i) => bar(`like${i}`, 10 - i)), bar('hated', -20, -1)];
    const pixels = await decode(renderTastePicture(summary({ styles })));
    assert.ok(columnsOf(pixels, DISLIKE, STYLE_BARS).length > 100, 'the dislike made the cut');
    assert.ok(columnsOf(pixels, LIKE, STYLE_BARS).length > 500);
  });
});
