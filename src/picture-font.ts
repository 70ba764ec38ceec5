/**
 * The font every picture Motif draws uses (the piano roll, the /taste card): DejaVu Sans from the npm package
 * dejavu-fonts-ttf, registered under its own family name on first use, so text renders on machines with no
 * system fonts and a system copy of DejaVu (or its absence) changes nothing. Imports npm packages only, so audio
 * and taste may both import it.
 */
import { createRequire } from 'node:module';

import { GlobalFonts } from '@napi-rs/canvas';

export const PICTURE_FONT_FAMILY = 'Motif DejaVu Sans';

/** Registers DejaVu Sans (regular and bold) once per process; later calls return at once. */
export function registerPictureFont(): void {
  if (GlobalFonts.has(PICTURE_FONT_FAMILY)) return;
  const require = createRequire(import.meta.url);
  for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']) {
    const path = require.resolve(`dejavu-fonts-ttf/ttf/${file}`);
    if (GlobalFonts.registerFromPath(path, PICTURE_FONT_FAMILY) === null) {
      throw new Error(`Cannot load the font ${path}`);
    }
  }
}
