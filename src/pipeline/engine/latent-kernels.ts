/**
 * The arithmetic between the ONNX stages, as WGSL compute passes on ORT's own GPU device, so the
 * latents never leave the GPU: initial latents and UNet input scaling, the Euler step (fused with the
 * next step's input scaling or the VAE's latent scaling), and the VAE output to RGBA8 pixels.
 *
 * Scheduler state `x` stays in f32 even for FP16-IO models; each model-facing buffer has its stage's
 * element type, so a mixed-IO export (FP16 UNet, FP32 VAE) converts between stages inside these passes.
 */

export type GpuFloatType = 'float32' | 'float16';

/** Element type of each model-facing buffer: every stage's IO type comes from the manifest. */
export interface LatentTypes {
  unetInput: GpuFloatType;
  noisePred: GpuFloatType;
  vaeInput: GpuFloatType;
  image: GpuFloatType;
  /** The VAE encoder's input and output, for models that do image to image. */
  encoderSample?: GpuFloatType;
  encoderLatent?: GpuFloatType;
}

const WORKGROUP_SIZE = 64;
/** WebGPU copies between buffers and textures need rows aligned to 256 bytes. */
export const ROW_ALIGNMENT_BYTES = 256;

/**
 * A storage buffer of model-facing values, read as f32 whatever its element type. float16 buffers are
 * declared `array<u32>`, two halves a word, and converted with pack2x16float/unpack2x16float: those are
 * core WGSL, so FP16-IO models need no `shader-f16` here (SwiftShader has none). Writes go by pairs
 * (`store2_*`), so no two invocations share a word.
 */
function floatBinding(
  binding: number,
  name: string,
  type: GpuFloatType,
  access: 'read' | 'read_write',
): string {
  if (type === 'float32') {
    return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<f32>;
fn load_${name}(i: u32) -> f32 { return ${name}[i]; }
${access === 'read' ? '' : `fn store2_${name}(pair: u32, v: vec2<f32>) { ${name}[2u * pair] = v.x; ${name}[2u * pair + 1u] = v.y; }`}`;
  }
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<u32>;
fn load_${name}(i: u32) -> f32 { return unpack2x16float(${name}[i / 2u])[i % 2u]; }
${access === 'read' ? '' : `fn store2_${name}(pair: u32, v: vec2<f32>) { ${name}[pair] = pack2x16float(v); }`}`;
}

/** x = noise * params.x; modelInput = x * params.y. One invocation per pair of elements. */
function startShader(modelInput: GpuFloatType, pairs: number): string {
  return `@group(0) @binding(0) var<uniform> params: vec4<f32>;
@group(0) @binding(1) var<storage, read> noise: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
${floatBinding(3, 'modelInput', modelInput, 'read_write')}
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let pair = id.x;
  if (pair >= ${pairs}u) { return; }
  let value = vec2<f32>(noise[2u * pair], noise[2u * pair + 1u]) * params.x;
  x[2u * pair] = value.x;
  x[2u * pair + 1u] = value.y;
  store2_modelInput(pair, value * params.y);
}`;
}

/** img2img start: x = latent * params.z + noise * params.x; modelInput = x * params.y. By pairs. */
function startFromImageShader(latent: GpuFloatType, modelInput: GpuFloatType, pairs: number): string {
  return `@group(0) @binding(0) var<uniform> params: vec4<f32>;
@group(0) @binding(1) var<storage, read> noise: array<f32>;
${floatBinding(2, 'latent', latent, 'read')}
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
${floatBinding(4, 'modelInput', modelInput, 'read_write')}
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let pair = id.x;
  if (pair >= ${pairs}u) { return; }
  let encoded = vec2<f32>(load_latent(2u * pair), load_latent(2u * pair + 1u));
  let value = encoded * params.z + vec2<f32>(noise[2u * pair], noise[2u * pair + 1u]) * params.x;
  x[2u * pair] = value.x;
  x[2u * pair + 1u] = value.y;
  store2_modelInput(pair, value * params.y);
}`;
}

/**
 * Packed RGBA8 (R in the low byte) to the VAE encoder's NCHW input in [-1, 1]; alpha is dropped. One
 * invocation per pair of pixels: a plane has W*H values, an even count, so a pair never straddles planes.
 */
function imageSampleShader(type: GpuFloatType, plane: number): string {
  return `@group(0) @binding(0) var<storage, read> pixels: array<u32>;
${floatBinding(1, 'sample', type, 'read_write')}
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let pair = id.x;
  if (pair >= ${plane / 2}u) { return; }
  let a = unpack4x8unorm(pixels[2u * pair]).xyz * 2.0 - 1.0;
  let b = unpack4x8unorm(pixels[2u * pair + 1u]).xyz * 2.0 - 1.0;
  store2_sample(pair, vec2<f32>(a.x, b.x));
  store2_sample(${plane / 2}u + pair, vec2<f32>(a.y, b.y));
  store2_sample(${plane}u + pair, vec2<f32>(a.z, b.z));
}`;
}

/** Euler: x += eps * (sigma_next - sigma); next = x * outputScale, in the next stage's input type. */
function stepShader(noisePred: GpuFloatType, next: GpuFloatType, pairs: number): string {
  return `@group(0) @binding(0) var<uniform> params: vec4<f32>;
${floatBinding(1, 'noisePred', noisePred, 'read')}
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
${floatBinding(3, 'next', next, 'read_write')}
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let pair = id.x;
  if (pair >= ${pairs}u) { return; }
  let eps = vec2<f32>(load_noisePred(2u * pair), load_noisePred(2u * pair + 1u));
  let value = vec2<f32>(x[2u * pair], x[2u * pair + 1u]) + eps * params.x;
  x[2u * pair] = value.x;
  x[2u * pair + 1u] = value.y;
  store2_next(pair, value * params.y);
}`;
}

/** NCHW image in [-1, 1] to packed RGBA8, rows padded to the copy alignment. */
function pixelsShader(type: GpuFloatType, width: number, height: number, rowStride: number): string {
  return `${floatBinding(0, 'image', type, 'read')}
@group(0) @binding(1) var<storage, read_write> pixels: array<u32>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let p = id.x;
  let plane = ${width * height}u;
  if (p >= plane) { return; }
  let rgb = vec3<f32>(load_image(p), load_image(plane + p), load_image(2u * plane + p));
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
    types: LatentTypes,
    buffers: LatentBuffers,
    latentElements: number,
    image: { width: number; height: number },
  ) {
    // Passes work on pairs of elements (one u32 of two halves); latents are 4*H*W, always even.
    if (latentElements % 2 !== 0) throw new RangeError(`latentElements must be even, got ${latentElements}`);
    const pairs = latentElements / 2;
    const uniform = (label: string) =>
      device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label });
    const rowStride = paddedRowBytes(image.width) / 4;
    const { noise, x, unetInput, noisePred, vaeInput } = buffers;
    this.start = bindPass(
      device,
      startShader(types.unetInput, pairs),
      'start',
      [noise, x, unetInput],
      pairs,
      uniform('start'),
    );
    this.stepToUnet = bindPass(
      device,
      stepShader(types.noisePred, types.unetInput, pairs),
      'step',
      [noisePred, x, unetInput],
      pairs,
      uniform('step'),
    );
    this.stepToVae = bindPass(
      device,
      stepShader(types.noisePred, types.vaeInput, pairs),
      'last-step',
      [noisePred, x, vaeInput],
      pairs,
      uniform('last'),
    );
    const pixelsCode = pixelsShader(types.image, image.width, image.height, rowStride);
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
      if (plane % 2 !== 0) throw new RangeError(`the image must have an even pixel count, got ${plane}`);
      this.imagePasses = {
        toSample: bindPass(
          device,
          imageSampleShader(types.encoderSample ?? 'float32', plane),
          'image-sample',
          [sourcePixels, sample],
          plane / 2,
        ),
        start: bindPass(
          device,
          startFromImageShader(types.encoderLatent ?? 'float32', types.unetInput, pairs),
          'start-from-image',
          [noise, latent, x, unetInput],
          pairs,
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
