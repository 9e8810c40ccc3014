import type * as ort from 'onnxruntime-web/webgpu';
import { NoImageEncoderError, PipelineError } from '../errors.js';
import {
  LatentKernels,
  paddedRowBytes,
  type GpuFloatType,
  type ImageEncoderBuffers,
  type LatentTypes,
} from './latent-kernels.js';
import {
  STAGE_TENSOR_DIMS as DIMS,
  stageTensorShape,
  type ModelEntry,
  type TensorElementType,
} from '../model/manifest-types.js';
import type { OrtRuntime } from '../runtime/ort-runtime.js';
import { bytesPerElement, floatData, readFloats, scalarData, type StageRun } from './stage-run.js';
import type { StageSessionPool } from './sessions/index.js';

export interface GpuStageRunOptions {
  /** The UNet's timestep in a GPU buffer (graph capture). */
  timestepOnGpu: boolean;
  /** The text encoder runs on wasm: its hidden states come back on the CPU and are uploaded once. */
  textEncoderOnCpu: boolean;
}

/**
 * Every tensor of an image lives in GPU buffers allocated once at load; ORT reads its inputs from them
 * and writes its outputs into them, and the scheduler runs as WGSL passes in between. Each buffer has
 * its stage's element type from the manifest; those passes convert between FP32 and FP16 stages.
 */
export class GpuStageRun implements StageRun {
  private readonly buffers: GPUBuffer[] = [];
  private readonly tensors: {
    inputIds: ort.Tensor;
    hidden: ort.Tensor;
    unetInput: ort.Tensor;
    noisePred: ort.Tensor;
    vaeInput: ort.Tensor;
    image: ort.Tensor;
  };
  /** VAE encoder input and output, for models that do image to image. */
  private readonly encoderTensors?: { sample: ort.Tensor; latent: ort.Tensor; sourcePixels: GPUBuffer };
  private readonly noise: GPUBuffer;
  private readonly pixels: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly kernels: LatentKernels;
  /** The UNet's timestep in a GPU buffer of its own, written before each step (graph capture). */
  private readonly timestep?: ort.Tensor;
  private canvasContext?: { canvas: HTMLCanvasElement | OffscreenCanvas; context: GPUCanvasContext };

  constructor(
    private readonly model: ModelEntry,
    private readonly sessions: StageSessionPool,
    private readonly device: GPUDevice,
    private readonly runtime: OrtRuntime,
    private readonly options: GpuStageRunOptions = { timestepOnGpu: false, textEncoderOnCpu: false },
  ) {
    const stages = model.stages;
    const latentShape = stageTensorShape(model, DIMS.unet.inputs.sample);
    const latentElements = latentShape.reduce((product, size) => product * size);
    const sequence = model.tokenizer.maxLength;
    const types: LatentTypes = {
      unetInput: stages.unet.inputs.sample.type as GpuFloatType,
      noisePred: stages.unet.outputs.noisePred.type as GpuFloatType,
      vaeInput: stages.vaeDecoder.inputs.latentSample.type as GpuFloatType,
      image: stages.vaeDecoder.outputs.sample.type as GpuFloatType,
      encoderSample: stages.vaeEncoder?.inputs.sample.type as GpuFloatType | undefined,
      encoderLatent: stages.vaeEncoder?.outputs.latentSample.type as GpuFloatType | undefined,
    };
    const image = model.image;

    const ioBuffer = (type: TensorElementType, elements: number, label: string) =>
      this.createBuffer(
        // ORT copies a GPU input that CPU-EP nodes read in 16-byte units; a shorter buffer is a device error.
        Math.ceil((elements * bytesPerElement(type)) / 16) * 16,
        GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        label,
      );
    const tensor = (buffer: GPUBuffer, type: TensorElementType, dims: number[]) =>
      runtime.Tensor.fromGpuBuffer(buffer, { dataType: type as ort.Tensor.GpuBufferDataTypes, dims });

    const idsType = stages.textEncoder.inputs.inputIds.type;
    // The manifest guarantees the UNet takes the text encoder's output type (one tensor, no cast), except
    // a text encoder on wasm beside a widened UNet, whose FP16 output is converted as it is uploaded.
    const hiddenType = stages.unet.inputs.encoderHiddenStates.type;

    const hiddenShape = stageTensorShape(model, DIMS.textEncoder.outputs.hiddenStates);
    const imageShape = stageTensorShape(model, DIMS.vaeDecoder.outputs.sample);
    const x = ioBuffer('float32', latentElements, 'x');
    const unetInput = ioBuffer(types.unetInput, latentElements, 'unet-input');
    const noisePred = ioBuffer(types.noisePred, latentElements, 'noise-pred');
    const vaeInput = ioBuffer(types.vaeInput, latentElements, 'vae-input');
    const imageBuffer = ioBuffer(types.image, 3 * image.width * image.height, 'image');
    this.noise = ioBuffer('float32', latentElements, 'noise');
    const pixelBytes = paddedRowBytes(image.width) * image.height;
    this.pixels = this.createBuffer(pixelBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'pixels');
    this.readback = this.createBuffer(
      pixelBytes,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      'pixels-readback',
    );
    this.tensors = {
      inputIds: tensor(
        ioBuffer(idsType, sequence, 'input-ids'),
        idsType,
        stageTensorShape(model, DIMS.textEncoder.inputs.inputIds),
      ),
      hidden: tensor(ioBuffer(hiddenType, sequence * model.hiddenSize, 'hidden'), hiddenType, hiddenShape),
      unetInput: tensor(unetInput, types.unetInput, latentShape),
      noisePred: tensor(noisePred, types.noisePred, latentShape),
      vaeInput: tensor(vaeInput, types.vaeInput, latentShape),
      image: tensor(imageBuffer, types.image, imageShape),
    };
    if (this.options.timestepOnGpu) {
      const { type } = stages.unet.inputs.timestep;
      const shape = stageTensorShape(model, DIMS.unet.inputs.timestep);
      this.timestep = tensor(
        ioBuffer(
          type,
          shape.reduce((a, b) => a * b, 1),
          'timestep',
        ),
        type,
        shape,
      );
    }
    let encoder: ImageEncoderBuffers | undefined;
    if (stages.vaeEncoder && types.encoderSample && types.encoderLatent) {
      encoder = {
        sourcePixels: ioBuffer('int32', image.width * image.height, 'source-pixels'),
        sample: ioBuffer(types.encoderSample, 3 * image.width * image.height, 'encoder-sample'),
        latent: ioBuffer(types.encoderLatent, latentElements, 'encoder-latent'),
      };
      this.encoderTensors = {
        sample: tensor(encoder.sample, types.encoderSample, imageShape),
        latent: tensor(encoder.latent, types.encoderLatent, latentShape),
        sourcePixels: encoder.sourcePixels,
      };
    }
    this.kernels = new LatentKernels(
      device,
      types,
      {
        noise: this.noise,
        x,
        unetInput,
        noisePred,
        vaeInput,
        image: imageBuffer,
        pixels: this.pixels,
        encoder,
      },
      latentElements,
      image,
    );
  }

  private createBuffer(size: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const buffer = this.device.createBuffer({ size, usage, label });
    this.buffers.push(buffer);
    return buffer;
  }

  private write(tensor: ort.Tensor, data: ort.Tensor.DataType): void {
    const view = data as ArrayBufferView<ArrayBuffer>;
    // writeBuffer takes whole 4-byte words: a float16 scalar is padded (the buffers are 16-byte multiples).
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const words = bytes.byteLength % 4 === 0 ? bytes : new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    if (words !== bytes) words.set(bytes);
    this.device.queue.writeBuffer(
      tensor.gpuBuffer as GPUBuffer,
      0,
      words.buffer,
      words.byteOffset,
      words.byteLength,
    );
  }

  async encodeText(ids: Int32Array): Promise<void> {
    const spec = this.model.stages.textEncoder;
    if (this.options.textEncoderOnCpu) return this.encodeTextOnCpu(ids);
    this.write(
      this.tensors.inputIds,
      spec.inputs.inputIds.type === 'int64' ? BigInt64Array.from(ids, BigInt) : ids,
    );
    await (
      await this.sessions.session('textEncoder')
    ).run(
      { [spec.inputs.inputIds.name]: this.tensors.inputIds },
      { [spec.outputs.hiddenStates.name]: this.tensors.hidden },
    );
  }

  private async encodeTextOnCpu(ids: Int32Array): Promise<void> {
    const { inputs, outputs } = this.model.stages.textEncoder;
    const feeds = {
      [inputs.inputIds.name]: new this.runtime.Tensor(
        inputs.inputIds.type,
        inputs.inputIds.type === 'int64' ? BigInt64Array.from(ids, BigInt) : ids,
        stageTensorShape(this.model, DIMS.textEncoder.inputs.inputIds),
      ),
    };
    const hidden = (await (await this.sessions.session('textEncoder')).run(feeds))[outputs.hiddenStates.name];
    const floats = await readFloats(hidden);
    hidden.dispose();
    this.write(this.tensors.hidden, floatData(this.tensors.hidden.type as TensorElementType, floats));
  }

  startLatents(noise: Float32Array, initSigma: number, inputScale: number): void {
    this.device.queue.writeBuffer(this.noise, 0, noise.buffer, noise.byteOffset, noise.byteLength);
    this.kernels.startLatents(initSigma, inputScale);
  }

  async encodeImage(pixels: Uint8ClampedArray): Promise<void> {
    const spec = this.model.stages.vaeEncoder;
    if (!this.encoderTensors || !spec) throw new NoImageEncoderError(this.model.id);
    const session = await this.sessions.session('vaeEncoder');
    // The one upload of the picture: packed RGBA8, unpacked to [-1, 1] NCHW by a WGSL pass.
    this.device.queue.writeBuffer(
      this.encoderTensors.sourcePixels,
      0,
      pixels.buffer,
      pixels.byteOffset,
      pixels.byteLength,
    );
    this.kernels.pixelsToImageSample();
    await session.run(
      { [spec.inputs.sample.name]: this.encoderTensors.sample },
      { [spec.outputs.latentSample.name]: this.encoderTensors.latent },
    );
  }

  startLatentsFromImage(
    noise: Float32Array,
    initSigma: number,
    inputScale: number,
    latentScale: number,
  ): void {
    this.device.queue.writeBuffer(this.noise, 0, noise.buffer, noise.byteOffset, noise.byteLength);
    this.kernels.startLatentsFromImage(initSigma, inputScale, latentScale);
  }

  async runUnet(timestep: number): Promise<void> {
    const { inputs, outputs } = this.model.stages.unet;
    const data = scalarData(inputs.timestep.type, timestep);
    // Without graph capture the timestep stays a CPU tensor: exports turn it into an embedding through int64
    // ops that ORT runs on its CPU EP, so a GPU copy would cost one read-back per step. With capture the
    // graph takes it as float (graph-capture.ts) from the same GPU buffer every run.
    let timestepTensor: ort.Tensor;
    if (this.timestep) {
      this.write(this.timestep, data);
      timestepTensor = this.timestep;
    } else {
      timestepTensor = new this.runtime.Tensor(
        inputs.timestep.type,
        data,
        stageTensorShape(this.model, DIMS.unet.inputs.timestep),
      );
    }
    await (
      await this.sessions.session('unet')
    ).run(
      {
        [inputs.sample.name]: this.tensors.unetInput,
        [inputs.timestep.name]: timestepTensor,
        [inputs.encoderHiddenStates.name]: this.tensors.hidden,
      },
      { [outputs.noisePred.name]: this.tensors.noisePred },
    );
  }

  step(coefficient: number, outputScale: number, target: 'unet' | 'vae'): void {
    this.kernels.step(coefficient, outputScale, target);
  }

  async decode(): Promise<void> {
    const { inputs, outputs } = this.model.stages.vaeDecoder;
    await (
      await this.sessions.session('vaeDecoder')
    ).run(
      { [inputs.latentSample.name]: this.tensors.vaeInput },
      { [outputs.sample.name]: this.tensors.image },
    );
  }

  async finish(canvas?: HTMLCanvasElement | OffscreenCanvas): Promise<Uint8ClampedArray | undefined> {
    const { width, height } = this.model.image;
    const rowBytes = paddedRowBytes(width);
    const encoder = this.device.createCommandEncoder();
    this.kernels.imageToPixels(encoder);
    if (canvas) {
      const texture = this.canvasTexture(canvas);
      encoder.copyBufferToTexture(
        { buffer: this.pixels, bytesPerRow: rowBytes, rowsPerImage: height },
        { texture },
        { width, height },
      );
      this.device.queue.submit([encoder.finish()]);
      return undefined;
    }
    encoder.copyBufferToBuffer(this.pixels, 0, this.readback, 0, rowBytes * height);
    this.device.queue.submit([encoder.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ);
    try {
      const padded = new Uint8Array(this.readback.getMappedRange());
      const pixels = new Uint8ClampedArray(width * height * 4);
      for (let row = 0; row < height; row++) {
        pixels.set(padded.subarray(row * rowBytes, row * rowBytes + width * 4), row * width * 4);
      }
      return pixels;
    } finally {
      this.readback.unmap();
    }
  }

  private canvasTexture(canvas: HTMLCanvasElement | OffscreenCanvas): GPUTexture {
    if (this.canvasContext?.canvas !== canvas) {
      const context = canvas.getContext('webgpu') as GPUCanvasContext | null;
      if (!context) throw new PipelineError('invalid-input', 'The canvas cannot give a WebGPU context.');
      // rgba8unorm matches the packed pixels byte for byte, so the copy needs no shader.
      context.configure({
        device: this.device,
        format: 'rgba8unorm',
        usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.RENDER_ATTACHMENT,
        alphaMode: 'opaque',
      });
      this.canvasContext = { canvas, context };
    }
    const { width, height } = this.model.image;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    return this.canvasContext.context.getCurrentTexture();
  }

  async settle(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
  }

  dispose(): void {
    for (const tensor of Object.values(this.tensors)) tensor.dispose();
    this.encoderTensors?.sample.dispose();
    this.encoderTensors?.latent.dispose();
    this.timestep?.dispose();
    for (const buffer of this.buffers) buffer.destroy();
    this.canvasContext?.context.unconfigure();
  }
}
