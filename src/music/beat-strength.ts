/**
 * Metric weight of a grid position: how strongly a musician leans on a note there. Downbeats are strongest,
 * then the middle of the bar, the other beats, off-beat 8ths and finally 16ths.
 */
import type { TimeSignature } from './score.ts';

/** 0.25 (a 16th between 8ths) ... 1 (the downbeat), for a step (16th) inside a bar. */
export function beatStrength(stepInBar: number, timeSignature: TimeSignature): number {
  if (stepInBar === 0) return 1;
  const compound = timeSignature.denominator === 8 && timeSignature.numerator % 3 === 0;
  const beatSteps = compound ? 6 : 16 / timeSignature.denominator;
  const barSteps = (timeSignature.numerator * 16) / timeSignature.denominator;
  if (stepInBar % beatSteps === 0) {
    return timeSignature.numerator === 4 && !compound && stepInBar === barSteps / 2 ? 0.8 : 0.65;
  }
  if (stepInBar % 2 === 0) return 0.42;
  return 0.25;
}
