import type * as ort from 'onnxruntime-web/webgpu';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import type { TensorElementType } from '../model/manifest-types.js';

/**
 * One image's work between the ONNX stages, in one of two residencies: GPU buffers with WGSL passes
 * (gpu-stage-run.ts), or CPU arrays read back after each stage (cpu-stage-run.ts).
 */
export interface StageRun {
  encodeText(ids: Int32Array): Promise<void>;
  startLatents(noise: Float32Array, initSigma: number, inputScale: number): void;
  /** Image to image: the source picture, RGBA8 at the model's image size, through the VAE encoder. */
  encodeImage(pixels: Uint8ClampedArray): Promise<void>;
  /** Image to image: x = encoded latent * latentScale + noise * initSigma (after `encodeImage`). */
  startLatentsFromImage(
    noise: Float32Array,
    initSigma: number,
    inputScale: number,
    latentScale: number,
  ): void;
  runUnet(timestep: number): Promise<void>;
  step(coefficient: number, outputScale: number, target: 'unet' | 'vae'): void;
  decode(): Promise<void>;
  /** Pixels, or undefined when drawn straight into a canvas. */
  finish(canvas?: HTMLCanvasElement | OffscreenCanvas): Promise<Uint8ClampedArray | undefined>;
  /** Waits until the GPU has finished what was queued, so stage timings are honest. */
  settle(): Promise<void>;
  dispose(): void;
}

export function bytesPerElement(type: TensorElementType): number {
  return type === 'float16' ? 2 : type === 'int64' ? 8 : 4;
}

export function scalarData(type: TensorElementType, value: number): ort.Tensor.DataType {
  switch (type) {
    case 'int64':
      return BigInt64Array.of(BigInt(value));
    case 'int32':
      return Int32Array.of(value);
    case 'float16':
      return toFloat16Bits([value]);
    case 'float32':
      return Float32Array.of(value);
  }
}

export function floatData(type: TensorElementType, values: Float32Array): ort.Tensor.DataType {
  return type === 'float16' ? toFloat16Bits(values) : values;
}

export async function readFloats(tensor: ort.Tensor): Promise<Float32Array> {
  const data = await tensor.getData();
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return fromFloat16Bits(data);
  return Float32Array.from(data as ArrayLike<number>);
}
