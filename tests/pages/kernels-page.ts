/**
 * Test page: runs the GPU path's WGSL passes (src/pipeline/latent-kernels.ts) on their own, with any mix
 * of float32 and float16 buffers, and returns what they wrote. No ORT: FP16 models cannot run on this
 * Chromium's SwiftShader (no shader-f16), but the passes between stages must convert FP16 anyway.
 */
import { fromFloat16Bits, toFloat16Bits } from '../../src/pipeline/engine/float16.js';
import { LatentKernels, paddedRowBytes, type LatentTypes } from '../../src/pipeline/engine/latent-kernels.js';
import { withBoundedUploads } from '../../src/pipeline/runtime/bounded-uploads.js';

type Float = LatentTypes['unetInput'];

export interface KernelCase {
  types: LatentTypes;
  noise: number[];
  noisePred: number[];
  /** NCHW, 3 planes of width*height. */
  image: number[];
  width: number;
  height: number;
  initSigma: number;
  inputScale: number;
  coefficient: number;
  outputScale: number;
}

export interface KernelOutput {
  unetInput: number[];
  vaeInput: number[];
  /** Tight RGBA8. */
  pixels: number[];
  shaderF16: boolean;
}

const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

function bytesOf(type: Float, values: number[]): Uint8Array<ArrayBuffer> {
  const typed = type === 'float16' ? toFloat16Bits(values) : Float32Array.from(values);
  return new Uint8Array(typed.buffer as ArrayBuffer, typed.byteOffset, typed.byteLength);
}

async function read(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const staging = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.destroy();
  return copy;
}

function floats(type: Float, data: ArrayBuffer, count: number): number[] {
  return Array.from(
    type === 'float16' ? fromFloat16Bits(new Uint16Array(data, 0, count)) : new Float32Array(data, 0, count),
  );
}

async function run(test: KernelCase): Promise<KernelOutput> {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice();
  const elements = test.noise.length;
  const buffer = (type: Float, count: number, values?: number[]) => {
    const size = Math.ceil((count * (type === 'float16' ? 2 : 4)) / 16) * 16;
    const created = device.createBuffer({ size, usage });
    if (values) device.queue.writeBuffer(created, 0, bytesOf(type, values));
    return created;
  };
  const { types, width, height } = test;
  const buffers = {
    noise: buffer('float32', elements, test.noise),
    x: buffer('float32', elements),
    unetInput: buffer(types.unetInput, elements),
    noisePred: buffer(types.noisePred, elements, test.noisePred),
    vaeInput: buffer(types.vaeInput, elements),
    image: buffer(types.image, 3 * width * height, test.image),
    pixels: device.createBuffer({ size: paddedRowBytes(width) * height, usage }),
  };
  const kernels = new LatentKernels(device, types, buffers, elements, { width, height });
  kernels.startLatents(test.initSigma, test.inputScale);
  const unetInput = floats(
    types.unetInput,
    await read(device, buffers.unetInput, buffers.unetInput.size),
    elements,
  );
  kernels.step(test.coefficient, test.outputScale, 'vae');
  const vaeInput = floats(
    types.vaeInput,
    await read(device, buffers.vaeInput, buffers.vaeInput.size),
    elements,
  );
  const encoder = device.createCommandEncoder();
  kernels.imageToPixels(encoder);
  device.queue.submit([encoder.finish()]);
  const padded = new Uint8Array(await read(device, buffers.pixels, buffers.pixels.size));
  const pixels: number[] = [];
  for (let row = 0; row < height; row++) {
    pixels.push(...padded.subarray(row * paddedRowBytes(width), row * paddedRowBytes(width) + width * 4));
  }
  device.destroy();
  return { unetInput, vaeInput, pixels, shaderF16: adapter.features.has('shader-f16') };
}

const STAGING = GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC;

/** Uploads `values` as ORT's WebGPU EP uploads a weight (staging mapped at creation, then a copy). */
function uploadAsOrtDoes(device: GPUDevice, values: number[], destination: GPUBuffer, offset: number) {
  const staging = device.createBuffer({ mappedAtCreation: true, size: values.length * 4, usage: STAGING });
  new Float32Array(staging.getMappedRange()).set(values);
  staging.unmap();
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(staging, 0, destination, offset, values.length * 4);
  device.queue.submit([encoder.finish()]);
  staging.destroy();
  return staging instanceof GPUBuffer;
}

/**
 * Two uploads inside withBoundedUploads and one after it, into one buffer: whether each staging buffer was a
 * real GPUBuffer, and what the buffer holds.
 */
async function boundedUploads(): Promise<{ stagedOnGpu: boolean[]; values: number[]; largeIntact: boolean }> {
  const device = await (await navigator.gpu.requestAdapter())!.requestDevice();
  const destination = device.createBuffer({ size: 48, usage });
  const stagedOnGpu = await withBoundedUploads(async () => [
    uploadAsOrtDoes(device, [1, 2, 3, 4], destination, 0),
    uploadAsOrtDoes(device, [5, 6, 7, 8], destination, 16),
  ]);
  stagedOnGpu.push(uploadAsOrtDoes(device, [9, 10, 11, 12], destination, 32));
  const values = Array.from(new Float32Array(await read(device, destination, 48)));
  // Larger than one writeBuffer slice (4 MiB): written in slices, every value in place.
  const large = Array.from({ length: 1024 * 1024 + 16 }, (_, index) => index % 251);
  const largeDestination = device.createBuffer({ size: large.length * 4, usage });
  await withBoundedUploads(async () => uploadAsOrtDoes(device, large, largeDestination, 0));
  const readBack = new Float32Array(await read(device, largeDestination, large.length * 4));
  const largeIntact = readBack.every((value, index) => value === large[index]);
  device.destroy();
  return { stagedOnGpu, values, largeIntact };
}

declare global {
  interface Window {
    kernelTest: { run: typeof run; boundedUploads: typeof boundedUploads };
  }
}
window.kernelTest = { run, boundedUploads };
document.body.dataset.ready = 'true';
