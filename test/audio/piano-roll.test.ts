import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createCanvas, GlobalFonts, loadImage } from '@napi-rs/canvas';

import type { Score } from '../../src/music/score.ts';
import { drawPianoRoll } from '../../src/audio/piano-roll.ts';
import { demoScore } from '../fixtures/demo-score.ts';

interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

async function decode(png: Buffer): Promise<Pixels> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

/** Width and height from the PNG's IHDR chunk, read by hand. */
function ihdrSize(png: Buffer): [number, number] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

function distinctColours(pixels: Pixels, region?: { x: number; y: number; w: number; h: number }): Set<number> {
  const { x = 0, y = 0, w = pixels.width, h = pixels.height } = region ?? {};
  const colours = new Set<number>();
  for (let row = y; row < y + h; row++) {
    for (let column = x; column < x + w; column++) {
      const i = (row * pixels.width + column) * 4;
      colours.add(((pixels.data[i] ?? 0) << 16) | ((pixels.data[i + 1] ?? 0) << 8) | (pixels.data[i + 2] ?? 0));
    }
  }
  return colours;
}

/** Pixels in a region that are near-white: text, since nothing else drawn there is that bright. */
function brightPixels(pixels: Pixels, region: { x: number; y: number; w: number; h: number }): number {
  let count = 0;
  for (let row = region.y; row < region.y + region.h; row++) {
    for (let column = region.x; column < region.x + region.w; column++) {
      const i = (row * pixels.width + column) * 4;
      if ((pixels.data[i] ?? 0) > 180 && (pixels.data[i + 1] ?? 0) > 180 && (pixels.data[i + 2] ?? 0) > 180) count++;
    }
  }
  return count;
}

describe('drawPianoRoll', () => {
  it('GIVEN no size THEN it draws a 1200x500 PNG that decodes and is not one colour', async () => {
    const png = drawPianoRoll(demoScore({ bars: 8 }));
    assert.deepEqual(ihdrSize(png), [1200, 500]);
    const pixels = await decode(png);
    assert.equal(pixels.width, 1200);
    assert.equal(pixels.height, 500);
    assert.ok(distinctColours(pixels).size > 50, `${distinctColours(pixels).size} colours`);
  });

  it('GIVEN a size THEN the PNG has exactly that size', async () => {
    const png = drawPianoRoll(demoScore({ bars: 4 }), { width: 640, height: 320 });
    assert.deepEqual(ihdrSize(png), [640, 320]);
    const pixels = await decode(png);
    assert.ok(distinctColours(pixels).size > 20);
  });

  it('GIVEN a title THEN text is drawn in the title line (the bundled font works without system fonts)', async () => {
    const pixels = await decode(drawPianoRoll(demoScore({ bars: 8, title: 'WWWWWWWW' })));
    const untitled = await decode(drawPianoRoll(demoScore({ bars: 8, title: '' })));
    const titleLine = { x: 40, y: 8, w: 200, h: 26 };
    assert.ok(brightPixels(pixels, titleLine) > 150, `${brightPixels(pixels, titleLine)} bright pixels`);
    assert.notEqual(brightPixels(pixels, titleLine), brightPixels(untitled, titleLine));
    // The labels use the copy of DejaVu Sans from npm, registered under a name no system font has.
    assert.ok(GlobalFonts.families.some((family) => family.family === 'Motif DejaVu Sans'));
  });

  it('GIVEN each track THEN its colour appears in the roll, and drums only in the bottom lane', async () => {
    // Full velocity draws notes opaque, in exactly their track's colour.
    const demo = demoScore({ bars: 8 });
    const loud: Score = {
      ...demo,
      tracks: demo.tracks.map((track) => ({
        ...track,
        notes: track.notes.map((note) => ({ ...note, velocity: 127 })),
      })),
    };
    const pixels = await decode(drawPianoRoll(loud));
    const hasColour = (rgb: number, region: { x: number; y: number; w: number; h: number }): boolean =>
      distinctColours(pixels, region).has(rgb);
    const roll = { x: 46, y: 70, w: 1140, h: 330 };
    const drumLane = { x: 46, y: 405, w: 1140, h: 75 };
    assert.ok(hasColour(0xffb454, roll), 'melody amber');
    assert.ok(hasColour(0x95e66a, roll), 'bass green');
    assert.ok(hasColour(0x59c2ff, roll), 'harmony blue');
    assert.ok(hasColour(0xf07178, drumLane), 'drums red in the lane');
    assert.ok(!hasColour(0xf07178, roll), 'no drums in the pitched roll');
  });

  it('GIVEN a Score without notes or drums THEN it still draws a valid picture', async () => {
    const empty: Score = { ...demoScore({ bars: 2 }), tracks: [] };
    const pixels = await decode(drawPianoRoll(empty, { width: 300, height: 200 }));
    assert.equal(pixels.width, 300);
    assert.ok(distinctColours(pixels).size > 3);
  });
});
