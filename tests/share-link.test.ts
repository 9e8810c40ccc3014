import { describe, expect, it } from 'vitest';
import type { SdImageDetail } from '../src/components/index';
import { firstSeedOf, imageLink, linkValues } from '../src/app/share-link';

function image(values: Partial<SdImageDetail> = {}): SdImageDetail {
  return {
    seed: 7,
    prompt: 'a fox & a hound, 100% "real"',
    steps: 2,
    width: 64,
    height: 128,
    modelId: 'tiny-fp32',
    provider: 'wasm',
    ...values,
  } as SdImageDetail;
}

describe('imageLink', () => {
  it("carries the image's prompt, seed, steps, size, model and provider, and keeps the page's own settings", () => {
    const link = imageLink('https://example.test/app/?manifest=/m.json&dev&mirror=https://m.test/', image());
    expect(link.origin + link.pathname).toBe('https://example.test/app/');
    expect(Object.fromEntries(link.searchParams)).toEqual({
      manifest: '/m.json',
      dev: '',
      mirror: 'https://m.test/',
      model: 'tiny-fp32',
      provider: 'wasm',
      prompt: 'a fox & a hound, 100% "real"',
      seed: '7',
      steps: '2',
      width: '64',
      height: '128',
    });
  });

  it("replaces an older image's values, and drops count and strength that this image did not use", () => {
    const older =
      'https://example.test/?model=sd-turbo&provider=webgpu&prompt=old&seed=1&count=4&strength=0.5';
    const params = imageLink(older, image()).searchParams;
    expect(params.get('model')).toBe('tiny-fp32');
    expect(params.get('provider')).toBe('wasm');
    expect(params.get('prompt')).toBe('a fox & a hound, 100% "real"');
    expect(params.has('count')).toBe(false);
    expect(params.has('strength')).toBe(false);
    expect(params.getAll('seed')).toEqual(['7']);
  });

  it('gives a batch image the first seed and the count, so the link makes the whole batch', () => {
    const params = imageLink(
      'https://example.test/',
      image({ seed: 9, batch: { index: 2, count: 4 } }),
    ).searchParams;
    expect(params.get('seed')).toBe('7');
    expect(params.get('count')).toBe('4');
  });

  it('carries the strength of an image made from a source picture', () => {
    expect(imageLink('https://example.test/', image({ strength: 0.35 })).searchParams.get('strength')).toBe(
      '0.35',
    );
  });
});

describe('firstSeedOf', () => {
  it('goes back across the uint32 wrap: seeds 4294967295, 0, 1 start at 4294967295', () => {
    expect(firstSeedOf({ seed: 1, batch: { index: 2, count: 3 } })).toBe(4294967295);
    expect(firstSeedOf({ seed: 0, batch: { index: 1, count: 3 } })).toBe(4294967295);
    expect(firstSeedOf({ seed: 12 })).toBe(12);
  });
});

describe('linkValues', () => {
  it('gives the values as written, in the order they are applied, and nothing for what the link leaves out', () => {
    const params = new URLSearchParams('height=128&seed=abc&prompt=&model=x&strength=1.5&count=9');
    expect(linkValues(params)).toEqual([
      ['prompt', ''],
      ['seed', 'abc'],
      ['count', '9'],
      ['strength', '1.5'],
      ['height', '128'],
    ]);
  });

  it('reads back what imageLink wrote', () => {
    const link = imageLink('https://example.test/', image({ seed: 9, batch: { index: 2, count: 4 } }));
    expect(Object.fromEntries(linkValues(link.searchParams))).toEqual({
      prompt: 'a fox & a hound, 100% "real"',
      seed: '7',
      steps: '2',
      count: '4',
      width: '64',
      height: '128',
    });
  });
});
