/**
 * The element's input checks agree with the pipeline on which strengths run at least one UNet step, and
 * on the providers and WebNN device types it takes.
 */
import { describe, expect, it } from 'vitest';
import {
  countProblem,
  inputProblems,
  providerProblem,
  stepsProblem,
  strengthProblem,
} from '../src/components/input-checks.js';
import { WEBNN_DEVICE_TYPES } from '../src/pipeline/index.js';

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

describe('provider and WebNN device type', () => {
  it('takes every provider preference the pipeline has, WebNN included', () => {
    for (const provider of ['auto', 'webgpu', 'wasm', 'webnn'])
      expect(providerProblem(provider)).toBeUndefined();
    expect(providerProblem('webgl')).toBe(
      '"webgl" is not an execution provider: use auto, webgpu, wasm or webnn.',
    );
  });

  it("checks webnn-device-type against webnn.ts's device types, only where WebNN is the provider", () => {
    for (const type of WEBNN_DEVICE_TYPES)
      expect(inputProblems('', { value: 1, text: '1' }, undefined, 'webnn', type).provider).toBeUndefined();
    expect(inputProblems('', { value: 1, text: '1' }, undefined, 'webnn', 'tpu').provider).toBe(
      '"tpu" is not a WebNN device type: use gpu, cpu or npu.',
    );
    expect(inputProblems('', { value: 1, text: '1' }, undefined, 'wasm', 'tpu').provider).toBeUndefined();
  });
});

describe('messages quote what was given', () => {
  it('names the written steps and strength, never NaN', () => {
    const problems = inputProblems(
      'abc',
      { value: Number.NaN, text: 'x' },
      { value: Number.NaN, text: 'lots' },
      'auto',
      'gpu',
    );
    expect(problems.steps).toBe('"x" is not a number of steps: choose 1, 2, 3 or 4.');
    expect(problems.strength).toBe('"lots" is not a strength: use a number above 0 and at most 1.');
    expect(problems.seed).toMatch(/^"abc" is not a seed/);
    expect(Object.values(problems).join(' ')).not.toContain('NaN');
  });

  it('falls back to the number itself when nothing was written', () => {
    expect(stepsProblem(9)).toBe('"9" is not a number of steps: choose 1, 2, 3 or 4.');
    expect(countProblem(9)).toBe('"9" is not a number of images: use a whole number from 1 to 8.');
  });

  it('names the written count, never NaN', () => {
    const problems = inputProblems('', { value: 1, text: '1' }, undefined, 'auto', 'gpu', {
      value: Number.NaN,
      text: 'many',
    });
    expect(problems.count).toBe('"many" is not a number of images: use a whole number from 1 to 8.');
  });
});
