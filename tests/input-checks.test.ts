/** The element's input checks agree with the pipeline on which strengths run at least one UNet step. */
import { describe, expect, it } from 'vitest';
import { strengthProblem } from '../src/components/input-checks.js';

describe('strengthProblem', () => {
  it('accepts steps × strength of at least 1, as the pipeline does (floor of the product)', () => {
    expect(strengthProblem(0.5, 2)).toBeUndefined();
    expect(strengthProblem(1, 1)).toBeUndefined();
    expect(strengthProblem(0.35, 3)).toBeUndefined();
    expect(strengthProblem(0.25, 4)).toBeUndefined();
  });

  it('says which strength would work when the product runs no step', () => {
    expect(strengthProblem(0.5, 1)).toMatch(/Strength 0.5 with 1 step runs no step.*strength to 1\.00/);
    expect(strengthProblem(0.3, 3)).toMatch(/raise the strength to 0\.33/);
  });

  it('refuses strengths outside (0, 1]', () => {
    for (const strength of [0, -0.1, 1.5, Number.NaN]) {
      expect(strengthProblem(strength, 4)).toMatch(/is not a strength/);
    }
  });
});
