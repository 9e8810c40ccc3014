/**
 * A model at another image size. Where the manifest declares `sizes`, the UNet and VAE graphs have
 * symbolic height and width, which each session fixes through freeDimensionOverrides: the entry at a size
 * is the same files with other overrides, another latent and image size, and what a device needs for it.
 */
import { PipelineError } from '../errors.js';
import {
  WASM_MAX_HEAP_BYTES,
  type ModelEntry,
  type ModelRequirements,
  type StageSessionOptions,
} from './manifest-types.js';

/** The names exporters give the symbolic spatial dimensions (optimum: height/width; its VAE decoder: *_latent). */
export const SPATIAL_DIMENSION_NAMES = {
  height: ['height', 'height_latent'],
  width: ['width', 'width_latent'],
} as const;

export interface ImageSize {
  width: number;
  height: number;
}

/** A size outside the model's declared range: code 'invalid-input', told apart by its name. */
export class ImageSizeError extends PipelineError {
  override name = 'ImageSizeError';
  constructor(message: string) {
    super('invalid-input', message);
  }
}

/** The size a model makes unless asked for another: its manifest `image`. */
export function defaultImageSize(model: ModelEntry): ImageSize {
  return { width: model.image.width, height: model.image.height };
}

/** Why the model cannot make images of this size, or undefined when it can. */
export function imageSizeProblem(model: ModelEntry, size: ImageSize): string | undefined {
  const { width, height } = model.image;
  if (size.width === width && size.height === height) return undefined;
  const range = model.sizes;
  if (!range) {
    return (
      `${model.id} makes ${width}x${height} images only: its graphs have fixed spatial dimensions ` +
      `(no "sizes" in its manifest entry), so ${String(size.width)}x${String(size.height)} cannot be made.`
    );
  }
  const sides = (['width', 'height'] as const).filter((side) => {
    const value = size[side];
    return !(Number.isInteger(value) && value % range.step === 0 && value >= range.min && value <= range.max);
  });
  if (sides.length === 0) return undefined;
  return (
    `${String(size.width)}x${String(size.height)} is not an image size of ${model.id}: its ` +
    `${sides.join(' and ')} must be a multiple of ${range.step} from ${range.min} to ${range.max}.`
  );
}

/**
 * The model with every spatial stage fixed to `size` (the UNet and VAE decoder to its latent, the VAE
 * encoder to its pixels), and its requirements grown with it. The default size gives the entry back as is.
 */
export function sizedModelEntry(model: ModelEntry, size: ImageSize): ModelEntry {
  const problem = imageSizeProblem(model, size);
  if (problem) throw new ImageSizeError(problem);
  if (size.width === model.image.width && size.height === model.image.height) return model;
  const factor = model.image.width / model.latent.width;
  const latent = { width: size.width / factor, height: size.height / factor };
  const sized = <Stage extends { session?: StageSessionOptions }>(stage: Stage, to: ImageSize): Stage => {
    const overrides = { ...stage.session?.freeDimensionOverrides };
    for (const side of ['height', 'width'] as const) {
      for (const name of SPATIAL_DIMENSION_NAMES[side]) if (name in overrides) overrides[name] = to[side];
    }
    return { ...stage, session: { ...stage.session, freeDimensionOverrides: overrides } };
  };
  const { unet, vaeDecoder, vaeEncoder } = model.stages;
  return {
    ...model,
    name: `${model.name} at ${size.width}x${size.height}`,
    latent: { ...model.latent, ...latent },
    image: { width: size.width, height: size.height },
    requires: sizedRequirements(model, (size.width * size.height) / (model.image.width * model.image.height)),
    stages: {
      ...model.stages,
      unet: sized(unet, latent),
      vaeDecoder: sized(vaeDecoder, latent),
      ...(vaeEncoder ? { vaeEncoder: sized(vaeEncoder, size) } : {}),
    },
  };
}

/**
 * What a device needs at `pixelRatio` times the default pixels. The manifest's largest tensor is taken to
 * be an activation that grows with the square of the pixels: SD-Turbo's is the UNet's self-attention
 * scores (positions x positions), and the VAE's activations grow more slowly, so this overestimates rather
 * than lets a run fail midway. The wasm heap's weights stay; its activations (and each further image's
 * in a batch) grow the same way. Smaller sizes keep the default's requirements.
 */
function sizedRequirements(model: ModelEntry, pixelRatio: number): ModelRequirements {
  if (pixelRatio <= 1) return model.requires;
  const growth = pixelRatio ** 2;
  const grow = (bytes: number) => Math.ceil(bytes * growth);
  const { webgpu, wasm } = model.requires;
  const weightBytes = Object.values(model.stages).reduce(
    (sum, stage) => sum + (stage.file.bytes ?? stage.file.approxBytes ?? 0),
    0,
  );
  const heapBytes = wasm && weightBytes + grow(Math.max(0, wasm.heapBytes - weightBytes));
  return {
    webgpu: webgpu && {
      ...webgpu,
      maxStorageBufferBindingSize: grow(webgpu.maxStorageBufferBindingSize),
      maxBufferSize: grow(webgpu.maxBufferSize),
      ...(webgpu.fp32Widened
        ? {
            fp32Widened: {
              ...webgpu.fp32Widened,
              maxStorageBufferBindingSize: grow(webgpu.fp32Widened.maxStorageBufferBindingSize),
              maxBufferSize: grow(webgpu.fp32Widened.maxBufferSize),
            },
          }
        : {}),
    },
    wasm:
      wasm && heapBytes !== false && heapBytes <= WASM_MAX_HEAP_BYTES
        ? {
            heapBytes,
            ...(wasm.heapBytesPerImage ? { heapBytesPerImage: grow(wasm.heapBytesPerImage) } : {}),
          }
        : false,
  };
}

/** The aspect ratios offered, landscape before portrait. */
const ASPECT_RATIOS = [
  [1, 1],
  [3, 2],
  [2, 3],
  [16, 9],
  [9, 16],
] as const;

export interface SizePreset extends ImageSize {
  /** The aspect ratios it stands for ("3:2", or "3:2 / 16:9" where the step makes them one size). */
  label: string;
}

/**
 * The preset sizes of a model with `sizes`: each aspect ratio with the default size's short side and the
 * long side rounded to the step (within the range), one preset per size. Empty for a model without.
 */
export function sizePresets(model: ModelEntry): SizePreset[] {
  const range = model.sizes;
  if (!range) return [];
  const clamp = (value: number) => Math.min(range.max, Math.max(range.min, value));
  const short = Math.min(model.image.width, model.image.height);
  const presets: SizePreset[] = [];
  for (const [across, down] of ASPECT_RATIOS) {
    const long = clamp(
      Math.round((short * Math.max(across, down)) / Math.min(across, down) / range.step) * range.step,
    );
    const width = across >= down ? long : short;
    const height = across >= down ? short : long;
    const label = `${across}:${down}`;
    const same = presets.find((preset) => preset.width === width && preset.height === height);
    if (same) same.label = `${same.label} / ${label}`;
    else presets.push({ label, width, height });
  }
  return presets;
}
