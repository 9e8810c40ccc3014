import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getModel, parseManifest } from '../src/pipeline/model/manifest';
import {
  ImageSizeError,
  imageSizeProblem,
  sizedModelEntry,
  sizePresets,
} from '../src/pipeline/model/sized-model-entry';
import { checkRequirements, requirementError } from '../src/pipeline/runtime/device-requirements';

const manifest = parseManifest(
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'model-manifest.json'), 'utf8')),
);
const tiny = getModel(manifest, 'tiny-fp32');
const sdTurbo = getModel(manifest, 'sd-turbo');

describe('sizedModelEntry', () => {
  it('fixes every spatial stage to the size: latents for the UNet and VAE decoder, pixels for the encoder', () => {
    const sized = sizedModelEntry(tiny, { width: 128, height: 64 });
    expect(sized.image).toEqual({ width: 128, height: 64 });
    expect(sized.latent).toEqual({ channels: 4, width: 16, height: 8 });
    expect(sized.stages.unet.session?.freeDimensionOverrides).toEqual({
      batch_size: 1,
      num_channels: 4,
      height: 8,
      width: 16,
      sequence_length: 77,
    });
    expect(sized.stages.vaeDecoder.session?.freeDimensionOverrides).toEqual({
      batch_size: 1,
      num_channels_latent: 4,
      height_latent: 8,
      width_latent: 16,
    });
    expect(sized.stages.vaeEncoder?.session?.freeDimensionOverrides).toEqual({
      batch_size: 1,
      height: 64,
      width: 128,
    });
    // The text encoder, the files and the entry it came from are untouched.
    expect(sized.stages.textEncoder).toBe(tiny.stages.textEncoder);
    expect(sized.stages.unet.file).toBe(tiny.stages.unet.file);
    expect(tiny.stages.unet.session?.freeDimensionOverrides?.width).toBe(8);
    expect(sized.name).toBe(`${tiny.name} at 128x64`);
  });

  it('gives the entry back unchanged at the default size, even for a model without sizes', () => {
    expect(sizedModelEntry(tiny, { width: 64, height: 64 })).toBe(tiny);
    const webnn = getModel(manifest, 'tiny-webnn-fp32');
    expect(sizedModelEntry(webnn, { width: 64, height: 64 })).toBe(webnn);
  });

  it.each([
    [{ width: 96, height: 64 }, 'its width must be a multiple of 64 from 64 to 256'],
    [{ width: 64, height: 320 }, 'its height must be a multiple of 64 from 64 to 256'],
    [{ width: 0, height: 64.5 }, 'its width and height must be a multiple of 64 from 64 to 256'],
  ])('refuses %o with an ImageSizeError that names the range', (size, problem) => {
    const error = (() => {
      try {
        sizedModelEntry(tiny, size);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ImageSizeError);
    expect(error).toMatchObject({ code: 'invalid-input', name: 'ImageSizeError' });
    expect((error as Error).message).toBe(
      `${size.width}x${size.height} is not an image size of tiny-fp32: ${problem}.`,
    );
  });

  it('refuses another size for a model whose graphs are static', () => {
    const webnn = getModel(manifest, 'tiny-webnn-fp32');
    expect(imageSizeProblem(webnn, { width: 128, height: 64 })).toBe(
      'tiny-webnn-fp32 makes 64x64 images only: its graphs have fixed spatial dimensions ' +
        '(no "sizes" in its manifest entry), so 128x64 cannot be made.',
    );
    expect(() => sizedModelEntry(webnn, { width: 128, height: 64 })).toThrow(ImageSizeError);
  });

  it('grows the buffers with the square of the pixels, and keeps the smaller sizes at the default needs', () => {
    const wide = sizedModelEntry(sdTurbo, { width: 768, height: 512 });
    const webgpu = sdTurbo.requires.webgpu as Exclude<typeof sdTurbo.requires.webgpu, false>;
    // 1.5 times the pixels: the attention scores (positions x positions) 2.25 times the bytes.
    expect(wide.requires.webgpu).toMatchObject({
      maxStorageBufferBindingSize: Math.ceil(webgpu.maxStorageBufferBindingSize * 2.25),
      maxBufferSize: Math.ceil(webgpu.maxBufferSize * 2.25),
      fp32Widened: {
        maxStorageBufferBindingSize: Math.ceil(webgpu.fp32Widened!.maxStorageBufferBindingSize * 2.25),
        weightBytes: webgpu.fp32Widened!.weightBytes,
      },
    });
    expect(sizedModelEntry(sdTurbo, { width: 256, height: 512 }).requires).toBe(sdTurbo.requires);
    // The wasm heap keeps its weights and grows its activations.
    const tall = sizedModelEntry(tiny, { width: 64, height: 128 });
    const { heapBytes, heapBytesPerImage } = tiny.requires.wasm as {
      heapBytes: number;
      heapBytesPerImage: number;
    };
    const weights = Object.values(tiny.stages).reduce((sum, stage) => sum + stage.file.bytes!, 0);
    // Twice the pixels: four times the activations, the batch's per-image bytes too.
    expect(tall.requires.wasm).toEqual({
      heapBytes: weights + Math.ceil((heapBytes - weights) * 4),
      heapBytesPerImage: heapBytesPerImage * 4,
    });
  });

  it('refuses before running a size whose buffers this adapter cannot hold, naming the size', () => {
    const adapter = {
      description: 'Test GPU',
      software: false,
      features: ['shader-f16'],
      limits: { maxStorageBufferBindingSize: 256 * 1024 ** 2, maxBufferSize: 1024 ** 3 },
    };
    const device = { adapter };
    expect(requirementError(checkRequirements(sdTurbo, device), 'webgpu')).toBeUndefined();
    const large = sizedModelEntry(sdTurbo, { width: 768, height: 768 });
    const error = requirementError(checkRequirements(large, device), 'webgpu');
    expect(error?.code).toBe('unsupported-device');
    expect(error?.message).toContain(
      'The GPU adapter (Test GPU) allows at most 256 MiB per storage buffer binding; ' +
        'SD-Turbo (FP16 weights, 512x512) at 768x768 needs 810 MiB.',
    );
  });
});

describe('sizePresets', () => {
  it("gives SD-Turbo's five aspect ratios around 512, the long side rounded to 64", () => {
    expect(sizePresets(sdTurbo)).toEqual([
      { label: '1:1', width: 512, height: 512 },
      { label: '3:2', width: 768, height: 512 },
      { label: '2:3', width: 512, height: 768 },
      { label: '16:9', width: 896, height: 512 },
      { label: '9:16', width: 512, height: 896 },
    ]);
  });

  it('gives one preset per size where the step makes two ratios one size', () => {
    expect(sizePresets(tiny)).toEqual([
      { label: '1:1', width: 64, height: 64 },
      { label: '3:2 / 16:9', width: 128, height: 64 },
      { label: '2:3 / 9:16', width: 64, height: 128 },
    ]);
  });

  it('keeps the long side within the range, and gives none for a model without sizes', () => {
    const narrow = { ...sdTurbo, sizes: { min: 256, max: 640, step: 64 } };
    expect(sizePresets(narrow).map(({ width, height }) => `${width}x${height}`)).toEqual([
      '512x512',
      '640x512',
      '512x640',
    ]);
    expect(sizePresets(getModel(manifest, 'sd-turbo-webnn'))).toEqual([]);
  });
});
