/**
 * The picture image to image starts from, brought to the model's size: cropped to the model's aspect
 * ratio around its centre (CSS `object-fit: cover`: no bars, no stretching), then resampled.
 */
import { PipelineError } from '../errors.js';

/** RGBA8 pixels, row-major, width*height*4 bytes (ImageData has this shape too). */
export interface RgbaPixels {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** What `generate({ sourceImage })` accepts: raw RGBA pixels, an ImageData, or an ImageBitmap. */
export type SourceImage = RgbaPixels | ImageBitmap;

export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The largest centred part of a sourceWidth x sourceHeight image with the target's aspect ratio. */
export function coverCrop(
  sourceWidth: number,
  sourceHeight: number,
  targetWidth: number,
  targetHeight: number,
): CropRect {
  const scale = Math.max(targetWidth / sourceWidth, targetHeight / sourceHeight);
  const width = Math.min(sourceWidth, targetWidth / scale);
  const height = Math.min(sourceHeight, targetHeight / scale);
  return { x: (sourceWidth - width) / 2, y: (sourceHeight - height) / 2, width, height };
}

function isBitmap(source: SourceImage): source is ImageBitmap {
  return typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap;
}

function checkPixels(source: RgbaPixels): void {
  const { width, height, data } = source;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PipelineError(
      'invalid-input',
      `The source image must be at least 1x1 pixels, got ${String(width)}x${String(height)}.`,
    );
  }
  if (
    !(data instanceof Uint8ClampedArray || data instanceof Uint8Array) ||
    data.length !== width * height * 4
  ) {
    throw new PipelineError(
      'invalid-input',
      `The source image's data must be ${width * height * 4} RGBA bytes (${width}x${height}x4), ` +
        `got ${data instanceof Uint8Array || data instanceof Uint8ClampedArray ? data.length : typeof data}.`,
    );
  }
}

/**
 * RGBA8 pixels at exactly width x height, ready for the GPU upload. An ImageBitmap is drawn through an
 * OffscreenCanvas (the browser's high-quality scaler); raw pixels of the right size pass through as
 * they are, and others are area-averaged in JavaScript (deterministic, and works without a canvas).
 */
export function sourcePixels(source: SourceImage, width: number, height: number): Uint8ClampedArray {
  if (isBitmap(source)) return drawBitmap(source, width, height);
  if (typeof source !== 'object' || source === null) {
    throw new PipelineError(
      'invalid-input',
      'The source image must be RGBA pixels, an ImageData or an ImageBitmap.',
    );
  }
  checkPixels(source);
  if (source.width === width && source.height === height) {
    return source.data instanceof Uint8ClampedArray
      ? source.data
      : new Uint8ClampedArray(source.data.buffer, source.data.byteOffset, source.data.byteLength);
  }
  return resampleCover(source, width, height);
}

function drawBitmap(bitmap: ImageBitmap, width: number, height: number): Uint8ClampedArray {
  if (bitmap.width === 0 || bitmap.height === 0) {
    throw new PipelineError('invalid-input', 'The source image bitmap is empty (closed or 0x0).');
  }
  if (typeof OffscreenCanvas === 'undefined') {
    throw new PipelineError(
      'invalid-input',
      'An ImageBitmap source needs OffscreenCanvas; pass RGBA pixels.',
    );
  }
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new PipelineError('invalid-input', 'No 2D canvas context to resize the source image.');
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  const crop = coverCrop(bitmap.width, bitmap.height, width, height);
  context.drawImage(bitmap, crop.x, crop.y, crop.width, crop.height, 0, 0, width, height);
  return context.getImageData(0, 0, width, height).data;
}

/**
 * Cover crop and resample by area averaging: each target pixel is the mean of the source area it covers
 * (partial source pixels weighted by overlap), so downscaling does not alias and upscaling is nearest.
 */
export function resampleCover(source: RgbaPixels, width: number, height: number): Uint8ClampedArray {
  checkPixels(source);
  const crop = coverCrop(source.width, source.height, width, height);
  const columns = overlapWeights(crop.x, crop.width, width, source.width);
  const rows = overlapWeights(crop.y, crop.height, height, source.height);
  const result = new Uint8ClampedArray(width * height * 4);
  const sum = new Float64Array(4);
  for (let ty = 0; ty < height; ty++) {
    for (let tx = 0; tx < width; tx++) {
      sum.fill(0);
      let total = 0;
      for (const [sy, wy] of rows[ty]) {
        for (const [sx, wx] of columns[tx]) {
          const weight = wy * wx;
          const offset = (sy * source.width + sx) * 4;
          for (let c = 0; c < 4; c++) sum[c] += source.data[offset + c] * weight;
          total += weight;
        }
      }
      const target = (ty * width + tx) * 4;
      for (let c = 0; c < 4; c++) result[target + c] = Math.round(sum[c] / total);
    }
  }
  return result;
}

/** For each target index, the source indices its span [start + i*step, start + (i+1)*step) overlaps, with the overlap. */
function overlapWeights(start: number, span: number, count: number, limit: number): [number, number][][] {
  const step = span / count;
  return Array.from({ length: count }, (_, i) => {
    const from = start + i * step;
    const to = from + step;
    const weights: [number, number][] = [];
    for (let s = Math.floor(from); s < Math.min(limit, Math.ceil(to)); s++) {
      const overlap = Math.min(to, s + 1) - Math.max(from, s);
      if (overlap > 1e-9) weights.push([s, overlap]);
    }
    return weights;
  });
}

/** RGBA8 to the VAE encoder's input: NCHW, 3 channels, v / 127.5 - 1 in [-1, 1] (alpha is dropped). */
export function pixelsToImageSample(pixels: Uint8ClampedArray, width: number, height: number): Float32Array {
  const plane = width * height;
  if (pixels.length !== plane * 4) {
    throw new RangeError(`Expected ${plane * 4} RGBA bytes for ${width}x${height}, got ${pixels.length}.`);
  }
  const sample = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) sample[c * plane + p] = (pixels[p * 4 + c] / 255) * 2 - 1;
  }
  return sample;
}
