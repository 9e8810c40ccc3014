import type * as ort from 'onnxruntime-web/webgpu';
import { NoImageEncoderError, PipelineError } from '../errors.js';
import {
  STAGE_TENSOR_DIMS as DIMS,
  stageTensorShape,
  type ModelDimension,
  type ModelEntry,
} from '../model/manifest-types.js';
import type { OrtRuntime } from '../runtime/ort-runtime.js';
import { latentsToPixels } from './pixels.js';
import { pixelsToImageSample } from './source-image.js';
import { floatData, readFloats, scalarData, type StageRun } from './stage-run.js';
import type { StageSessionPool } from './sessions/index.js';

/** Everything read back through the CPU between stages: wasm, or WebGPU's `--io cpu` comparison mode. */
export class CpuStageRun implements StageRun {
  private hidden?: ort.Tensor;
  private x: Float32Array = new Float32Array(0);
  private unetInput: Float32Array = new Float32Array(0);
  private noisePred: Float32Array = new Float32Array(0);
  private vaeInput: Float32Array = new Float32Array(0);
  private image?: ort.Tensor;
  private encodedLatent: Float32Array = new Float32Array(0);

  constructor(
    private readonly model: ModelEntry,
    private readonly sessions: StageSessionPool,
    private readonly runtime: OrtRuntime,
  ) {}

  async encodeText(ids: Int32Array): Promise<void> {
    const spec = this.model.stages.textEncoder;
    const feeds = {
      [spec.inputs.inputIds.name]: new this.runtime.Tensor(
        'int32',
        ids,
        this.shape(DIMS.textEncoder.inputs.inputIds),
      ),
    };
    const outputs = await (await this.sessions.session('textEncoder')).run(feeds);
    const hidden = outputs[spec.outputs.hiddenStates.name];
    // A text encoder on wasm beside a widened UNet gives FP16 where the UNet takes FP32.
    const unetType = this.model.stages.unet.inputs.encoderHiddenStates.type;
    this.hidden =
      hidden.type === unetType
        ? hidden
        : new this.runtime.Tensor(unetType, floatData(unetType, await readFloats(hidden)), hidden.dims);
  }

  startLatents(noise: Float32Array, initSigma: number, inputScale: number): void {
    this.x = noise.map((value) => value * initSigma);
    this.unetInput = this.x.map((value) => value * inputScale);
  }

  async encodeImage(pixels: Uint8ClampedArray): Promise<void> {
    const spec = this.model.stages.vaeEncoder;
    if (!spec) throw new NoImageEncoderError(this.model.id);
    const session = await this.sessions.session('vaeEncoder');
    const { width, height } = this.model.image;
    const sample = pixelsToImageSample(pixels, width, height);
    const feeds = {
      [spec.inputs.sample.name]: new this.runtime.Tensor(
        spec.inputs.sample.type,
        floatData(spec.inputs.sample.type, sample),
        this.shape(DIMS.vaeEncoder.inputs.sample),
      ),
    };
    this.encodedLatent = await readFloats((await session.run(feeds))[spec.outputs.latentSample.name]);
  }

  startLatentsFromImage(
    noise: Float32Array,
    initSigma: number,
    inputScale: number,
    latentScale: number,
  ): void {
    if (this.encodedLatent.length !== noise.length) {
      throw new PipelineError('not-loaded', 'The VAE encoder has not run for this image.');
    }
    this.x = noise.map((value, i) => this.encodedLatent[i] * latentScale + value * initSigma);
    this.unetInput = this.x.map((value) => value * inputScale);
  }

  async runUnet(timestep: number): Promise<void> {
    const { inputs, outputs } = this.model.stages.unet;
    if (!this.hidden) throw new PipelineError('not-loaded', 'The text encoder has not run.');
    const feeds = {
      [inputs.sample.name]: new this.runtime.Tensor(
        inputs.sample.type,
        floatData(inputs.sample.type, this.unetInput),
        this.shape(DIMS.unet.inputs.sample),
      ),
      [inputs.timestep.name]: new this.runtime.Tensor(
        inputs.timestep.type,
        scalarData(inputs.timestep.type, timestep),
        this.shape(DIMS.unet.inputs.timestep),
      ),
      [inputs.encoderHiddenStates.name]: this.hidden,
    };
    const result = await (await this.sessions.session('unet')).run(feeds);
    this.noisePred = await readFloats(result[outputs.noisePred.name]);
  }

  step(coefficient: number, outputScale: number, target: 'unet' | 'vae'): void {
    const next = new Float32Array(this.x.length);
    for (let i = 0; i < this.x.length; i++) {
      this.x[i] += this.noisePred[i] * coefficient;
      next[i] = this.x[i] * outputScale;
    }
    if (target === 'unet') this.unetInput = next;
    else this.vaeInput = next;
  }

  async decode(): Promise<void> {
    const { inputs, outputs } = this.model.stages.vaeDecoder;
    const feeds = {
      [inputs.latentSample.name]: new this.runtime.Tensor(
        inputs.latentSample.type,
        floatData(inputs.latentSample.type, this.vaeInput),
        this.shape(DIMS.vaeDecoder.inputs.latentSample),
      ),
    };
    this.image = (await (await this.sessions.session('vaeDecoder')).run(feeds))[outputs.sample.name];
  }

  async finish(): Promise<Uint8ClampedArray> {
    if (!this.image) throw new PipelineError('not-loaded', 'The VAE decoder has not run.');
    return latentsToPixels(await readFloats(this.image), this.model.image.width, this.model.image.height);
  }

  async settle(): Promise<void> {}

  private shape(dimensions: readonly ModelDimension[]): number[] {
    return stageTensorShape(this.model, dimensions);
  }

  dispose(): void {
    this.hidden = undefined;
    this.image = undefined;
    this.encodedLatent = new Float32Array(0);
  }
}
