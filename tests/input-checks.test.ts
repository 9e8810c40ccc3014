/**
 * The element's input checks agree with the pipeline on which strengths run at least one UNet step, and
 * on the providers and WebNN device types it takes.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  countProblem,
  inputProblems,
  providerProblem,
  requestedSize,
  sizeProblem,
  stepsProblem,
  strengthProblem,
  WrittenNumbers,
} from '../src/components/input-checks.js';
import { getModel, parseManifest, WEBNN_DEVICE_TYPES } from '../src/pipeline/index.js';

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

describe('width and height', () => {
  const manifest = parseManifest(
    JSON.parse(readFileSync(join(import.meta.dirname, '..', 'model-manifest.json'), 'utf8')),
  );
  const sdTurbo = getModel(manifest, 'sd-turbo');
  const webnn = getModel(manifest, 'sd-turbo-webnn');
  const given = (value: number, text = String(value)) => ({ value, text });

  it("takes the sizes the model's manifest declares, and nothing is a problem before the model is known", () => {
    expect(sizeProblem(sdTurbo, given(768), given(512))).toBeUndefined();
    expect(sizeProblem(sdTurbo, undefined, given(1024))).toBeUndefined();
    expect(sizeProblem(undefined, given(7), given(7))).toBeUndefined();
  });

  it('quotes what was written, width first', () => {
    expect(sizeProblem(sdTurbo, given(Number.NaN, 'wide'), given(100))).toBe(
      '"wide" is not an image width: use a multiple of 64 from 256 to 1024.',
    );
    expect(sizeProblem(sdTurbo, given(512), given(1088))).toBe(
      '"1088" is not an image height: use a multiple of 64 from 256 to 1024.',
    );
  });

  it('takes only its own size for a model without sizes', () => {
    expect(sizeProblem(webnn, given(512), given(512))).toBeUndefined();
    expect(sizeProblem(webnn, given(768), undefined)).toBe(
      `"768" is not a width ${webnn.name} can make: it makes 512x512 images only.`,
    );
  });

  it("puts generate()'s options over the attributes as written, and leaves out a side given nowhere", () => {
    const written = new WrittenNumbers();
    written.set('height', '768.0');
    expect(requestedSize(sdTurbo, written, { width: null, height: 768 })).toEqual({
      width: undefined,
      height: 768,
      problem: undefined,
    });
    expect(requestedSize(sdTurbo, written, { width: 512, height: 768 }, { height: 100 })).toEqual({
      width: 512,
      height: 100,
      problem: '"100" is not an image height: use a multiple of 64 from 256 to 1024.',
    });
    written.set('width', 'x');
    expect(requestedSize(sdTurbo, written, { width: Number.NaN, height: null }).problem).toBe(
      '"x" is not an image width: use a multiple of 64 from 256 to 1024.',
    );
  });

  it('is one of the problems the controls show', () => {
    const problems = inputProblems('', given(1), undefined, 'auto', 'gpu', given(1), 'auto', 'bad size');
    expect(problems.size).toBe('bad size');
  });
});
