import { describe, expect, it } from 'vitest';
import { PipelineError } from '../src/pipeline/errors';
import {
  coverCrop,
  pixelsToImageSample,
  resampleCover,
  sourcePixels,
} from '../src/pipeline/engine/source-image';

function solid(width: number, height: number, rgba: (x: number, y: number) => number[]) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(rgba(x, y), (y * width + x) * 4);
  return { data, width, height };
}

describe('coverCrop', () => {
  it.each([
    [1024, 512, 512, 512, { x: 256, y: 0, width: 512, height: 512 }],
    [300, 600, 64, 64, { x: 0, y: 150, width: 300, height: 300 }],
    [512, 512, 512, 512, { x: 0, y: 0, width: 512, height: 512 }],
    [32, 16, 64, 64, { x: 8, y: 0, width: 16, height: 16 }],
    [640, 480, 512, 256, { x: 0, y: 80, width: 640, height: 320 }],
  ])('%ix%i to %ix%i keeps the centred %j', (sw, sh, tw, th, expected) => {
    expect(coverCrop(sw, sh, tw, th)).toEqual(expected);
  });
});

describe('resampleCover', () => {
  it('halves by averaging 2x2 blocks', () => {
    const source = solid(4, 2, (x) => [x < 2 ? 0 : 200, x % 2 === 0 ? 10 : 30, 0, 255]);
    const result = resampleCover(source, 2, 1);
    expect(Array.from(result)).toEqual([0, 20, 0, 255, 200, 20, 0, 255]);
  });

  it('crops a wide image to its middle square', () => {
    // 6x2: left third red, middle third green, right third blue; the middle 2x2 is all green.
    const source = solid(6, 2, (x) =>
      x < 2 ? [255, 0, 0, 255] : x < 4 ? [0, 255, 0, 255] : [0, 0, 255, 255],
    );
    expect(Array.from(resampleCover(source, 1, 1))).toEqual([0, 255, 0, 255]);
  });

  it('upscales by repeating pixels', () => {
    const source = solid(2, 1, (x) => [x * 100, 0, 0, 255]);
    const result = resampleCover(source, 4, 2);
    expect(Array.from(result.filter((_, i) => i % 4 === 0))).toEqual([0, 0, 100, 100, 0, 0, 100, 100]);
  });
});

describe('sourcePixels', () => {
  it('passes pixels of the model size through unchanged', () => {
    const source = solid(2, 2, (x, y) => [x, y, 3, 255]);
    expect(sourcePixels(source, 2, 2)).toBe(source.data);
  });

  it('rejects data of the wrong length with the expected size', () => {
    const error = (() => {
      try {
        sourcePixels({ data: new Uint8ClampedArray(10), width: 2, height: 2 }, 2, 2);
      } catch (e) {
        return e as PipelineError;
      }
    })();
    expect(error).toBeInstanceOf(PipelineError);
    expect(error?.code).toBe('invalid-input');
    expect(error?.message).toContain('must be 16 RGBA bytes (2x2x4), got 10');
  });
});

describe('pixelsToImageSample', () => {
  it('maps 0..255 to [-1, 1], NCHW, dropping alpha', () => {
    const pixels = Uint8ClampedArray.from([0, 255, 51, 7, 255, 0, 204, 9]);
    // R plane (0, 255), G plane (255, 0), B plane (51, 204): v / 127.5 - 1.
    const expected = [-1, 1, 1, -1, 51 / 127.5 - 1, 204 / 127.5 - 1];
    const sample = Array.from(pixelsToImageSample(pixels, 2, 1));
    sample.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 6));
  });
});
