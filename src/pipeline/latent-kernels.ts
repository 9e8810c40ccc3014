/**
 * The arithmetic between the ONNX stages, as WGSL compute passes on ORT's own GPU device, so the
 * latents never leave the GPU: initial latents and UNet input scaling, the Euler step (fused with the
 * next step's input scaling or the VAE's latent scaling), and the VAE output to RGBA8 pixels.
 *
 * Scheduler state `x` stays in f32 even for FP16-IO models; only model-facing buffers use `T`.
 */

export type GpuFloatType = 'float32' | 'float16';

const WORKGROUP_SIZE = 64;
/** WebGPU copies between buffers and textures need rows aligned to 256 bytes. */
export const ROW_ALIGNMENT_BYTES = 256;

function wgslHeader(type: GpuFloatType): string {
  return type === 'float16' ? 'enable f16;\nalias T = f16;\n' : 'alias T = f32;\n';
}

/** x = noise * params.x; modelInput = T(x * params.y) */
function startShader(type: GpuFloatType): string {
  return `${wgslHeader(type)}
@group(0) @binding(0) var<uniform> params: vec4<f32>;
@group(0) @binding(1) var<storage, read> noise: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> modelInput: array<T>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&x)) { return; }
  let value = noise[i] * params.x;
  x[i] = value;
  modelInput[i] = T(value * params.y);
}`;
}

/** img2img start: x = latent * params.z + noise * params.x; modelInput = T(x * params.y) */
function startFromImageShader(type: GpuFloatType): string {
  return `${wgslHeader(type)}
@group(0) @binding(0) var<uniform> params: vec4<f32>;
@group(0) @binding(1) var<storage, read> noise: array<f32>;
@group(0) @binding(2) var<storage, read> latent: array<T>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> modelInput: array<T>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&x)) { return; }
  let value = f32(latent[i]) * params.z + noise[i] * params.x;
  x[i] = value;
  modelInput[i] = T(value * params.y);
}`;
}

/** Packed RGBA8 (R in the low byte) to the VAE encoder's NCHW input in [-1, 1]; alpha is dropped. */
function imageSampleShader(type: GpuFloatType, plane: number): string {
  return `${wgslHeader(type)}
@group(0) @binding(0) var<storage, read> pixels: array<u32>;
@group(0) @binding(1) var<storage, read_write> sample: array<T>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let p = id.x;
  if (p >= ${plane}u) { return; }
  let rgb = unpack4x8unorm(pixels[p]).xyz * 2.0 - 1.0;
  sample[p] = T(rgb.x);
  sample[${plane}u + p] = T(rgb.y);
  sample[${2 * plane}u + p] = T(rgb.z);
}`;
}

/** Euler: x += eps * (sigma_next - sigma); next = T(x * outputScale). */
function stepShader(type: GpuFloatType): string {
  return `${wgslHeader(type)}
@group(0) @binding(0) var<uniform> params: vec4<f32>;
@group(0) @binding(1) var<storage, read> noisePred: array<T>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> next: array<T>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&x)) { return; }
  let value = x[i] + f32(noisePred[i]) * params.x;
  x[i] = value;
  next[i] = T(value * params.y);
}`;
}

/** NCHW image in [-1, 1] to packed RGBA8, rows padded to the copy alignment. */
function pixelsShader(type: GpuFloatType, width: number, height: number, rowStride: number): string {
  return `${wgslHeader(type)}
@group(0) @binding(0) var<storage, read> image: array<T>;
@group(0) @binding(1) var<storage, read_write> pixels: array<u32>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let p = id.x;
  let plane = ${width * height}u;
  if (p >= plane) { return; }
  let rgb = vec3<f32>(f32(image[p]), f32(image[plane + p]), f32(image[2u * plane + p]));
  // pack4x8unorm rounds as floor(0.5 + 255 * clamp(v)), the same rounding as the CPU path.
  let row = p / ${width}u;
  let column = p % ${width}u;
  pixels[row * ${rowStride}u + column] = pack4x8unorm(vec4<f32>(rgb * 0.5 + 0.5, 1.0));
}`;
}

export interface LatentBuffers {
  noise: GPUBuffer;
  x: GPUBuffer;
  unetInput: GPUBuffer;
  noisePred: GPUBuffer;
  vaeInput: GPUBuffer;
  image: GPUBuffer;
  pixels: GPUBuffer;
  /** Only for models with a VAE encoder (image to image). */
  encoder?: ImageEncoderBuffers;
}

export interface ImageEncoderBuffers {
  /** The source picture at the model's size, packed RGBA8. */
  sourcePixels: GPUBuffer;
  /** VAE encoder input [1, 3, H, W]. */
  sample: GPUBuffer;
  /** VAE encoder output [1, 4, h, w], unscaled. */
  latent: GPUBuffer;
}

interface BoundPass {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  uniforms?: GPUBuffer;
  workgroups: number;
}

function bindPass(
  device: GPUDevice,
  code: string,
  label: string,
  buffers: GPUBuffer[],
  invocations: number,
  uniforms?: GPUBuffer,
): BoundPass {
  const module = device.createShaderModule({ code, label });
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module, entryPoint: 'main' },
    label,
  });
  const resources = uniforms ? [uniforms, ...buffers] : buffers;
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((buffer, binding) => ({ binding, resource: { buffer } })),
    label,
  });
  return { pipeline, bindGroup, uniforms, workgroups: Math.ceil(invocations / WORKGROUP_SIZE) };
}

/**
 * Compiled passes with their bind groups, made once at load: an image then creates no GPU objects
 * besides command buffers.
 */
export class LatentKernels {
  private readonly start: BoundPass;
  private readonly stepToUnet: BoundPass;
  private readonly stepToVae: BoundPass;
  private readonly toPixels: BoundPass;
  private readonly imagePasses?: { toSample: BoundPass; start: BoundPass };
  private readonly uniformData = new Float32Array(4);

  constructor(
    private readonly device: GPUDevice,
    type: GpuFloatType,
    buffers: LatentBuffers,
    latentElements: number,
    image: { width: number; height: number },
  ) {
    const uniform = (label: string) =>
      device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label });
    const rowStride = paddedRowBytes(image.width) / 4;
    const { noise, x, unetInput, noisePred, vaeInput } = buffers;
    this.start = bindPass(
      device,
      startShader(type),
      'start',
      [noise, x, unetInput],
      latentElements,
      uniform('start'),
    );
    const stepCode = stepShader(type);
    this.stepToUnet = bindPass(
      device,
      stepCode,
      'step',
      [noisePred, x, unetInput],
      latentElements,
      uniform('step'),
    );
    this.stepToVae = bindPass(
      device,
      stepCode,
      'last-step',
      [noisePred, x, vaeInput],
      latentElements,
      uniform('last'),
    );
    const pixelsCode = pixelsShader(type, image.width, image.height, rowStride);
    this.toPixels = bindPass(
      device,
      pixelsCode,
      'pixels',
      [buffers.image, buffers.pixels],
      image.width * image.height,
    );
    if (buffers.encoder) {
      const { sourcePixels, sample, latent } = buffers.encoder;
      const plane = image.width * image.height;
      this.imagePasses = {
        toSample: bindPass(
          device,
          imageSampleShader(type, plane),
          'image-sample',
          [sourcePixels, sample],
          plane,
        ),
        start: bindPass(
          device,
          startFromImageShader(type),
          'start-from-image',
          [noise, latent, x, unetInput],
          latentElements,
          uniform('start-from-image'),
        ),
      };
    }
  }

  /** Source pixels (already uploaded) to the VAE encoder's input. */
  pixelsToImageSample(): void {
    if (!this.imagePasses) throw new Error('these kernels were made without VAE encoder buffers');
    this.dispatch(this.imagePasses.toSample, 0, 0);
  }

  /** img2img: x = encoded latent * latentScale + noise * initSigma; UNet input = x * inputScale. */
  startLatentsFromImage(initSigma: number, inputScale: number, latentScale: number): void {
    if (!this.imagePasses) throw new Error('these kernels were made without VAE encoder buffers');
    this.dispatch(this.imagePasses.start, initSigma, inputScale, latentScale);
  }

  /** x = noise * initSigma; UNet input = x * inputScale. */
  startLatents(initSigma: number, inputScale: number): void {
    this.dispatch(this.start, initSigma, inputScale);
  }

  /** One Euler step; the result goes scaled either to the next UNet input or to the VAE input. */
  step(coefficient: number, outputScale: number, target: 'unet' | 'vae'): void {
    this.dispatch(target === 'unet' ? this.stepToUnet : this.stepToVae, coefficient, outputScale);
  }

  imageToPixels(encoder: GPUCommandEncoder): void {
    this.encode(encoder, this.toPixels);
  }

  private dispatch(pass: BoundPass, a: number, b: number, c = 0): void {
    this.uniformData[0] = a;
    this.uniformData[1] = b;
    this.uniformData[2] = c;
    if (pass.uniforms) this.device.queue.writeBuffer(pass.uniforms, 0, this.uniformData);
    const encoder = this.device.createCommandEncoder();
    this.encode(encoder, pass);
    this.device.queue.submit([encoder.finish()]);
  }

  private encode(encoder: GPUCommandEncoder, pass: BoundPass): void {
    const computePass = encoder.beginComputePass();
    computePass.setPipeline(pass.pipeline);
    computePass.setBindGroup(0, pass.bindGroup);
    computePass.dispatchWorkgroups(pass.workgroups);
    computePass.end();
  }
}

export function paddedRowBytes(width: number): number {
  return Math.ceil((width * 4) / ROW_ALIGNMENT_BYTES) * ROW_ALIGNMENT_BYTES;
}
