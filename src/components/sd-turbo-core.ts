/**
 * The public face of `<sd-turbo>`: its attributes, properties, methods and events, on top of two
 * controllers that own the state machines: the model (requirements, download, load) and the generator
 * (one image at a time, cancel). sd-turbo.ts adds what people see and do.
 */
import { LitElement, type PropertyValues } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import {
  DEFAULT_IMAGE_TO_IMAGE_STRENGTH,
  PipelineError,
  isAbortError,
  type LoadedModel,
  type MemoryPreference,
  type ProviderPreference,
  type TokenCount,
  type WebNnDeviceType,
} from '../pipeline/index.js';
import { GeneratorController } from './controllers/generator-controller.js';
import { ModelController } from './controllers/model-controller.js';
import { guidanceFor } from './error-guidance.js';
import type { SdImageDetail, SdTurboEventMap } from './events.js';
import { formatSeconds } from './format.js';
import {
  inputProblems,
  isManifestUrl,
  isMemoryMode,
  isWebNnDeviceType,
  parseSeed,
  randomSeed,
  seedConverter,
  stepsProblem,
  strengthProblem,
  type InputProblems,
} from './input-checks.js';
import { DEVICE_LOST_ADVICE, describeError, type UserMessage } from './messages.js';
import type { Problem } from './parts/problem-panel.js';
import { sdTurboStyles } from './sd-turbo-styles.js';
import type { GenerateOptions } from './sd-turbo-api.js';
import type { ToastStack } from './parts/toast-stack.js';

export type { SdErrorCode } from './messages.js';

export type { GenerateOptions } from './sd-turbo-api.js';

const DEFAULT_MANIFEST = 'model-manifest.json';

export { randomSeed } from './input-checks.js';

export class SdTurboCore extends LitElement {
  static override styles = sdTurboStyles;
  static override shadowRootOptions = { ...LitElement.shadowRootOptions, delegatesFocus: true };

  /** A model id from the manifest, or a manifest URL (ending in .json) whose default model is used. */
  @property({ reflect: true }) model = '';
  /** The manifest URL; default: `model-manifest.json` next to the page (resolved against document.baseURI). */
  @property({ reflect: true }) manifest = '';
  @property() prompt = '';
  /** uint32 seed for the next image; null (no attribute) draws a random seed for each image. */
  @property({ converter: seedConverter, reflect: true }) seed: number | null = null;
  /** Denoising steps, 1 to 4; any other value is shown as an error on the steps control. */
  @property({ type: Number, reflect: true }) steps = 1;
  /** 'auto' (WebGPU, falling back to wasm with a note), 'webgpu', 'wasm' or 'webnn'; others are refused. */
  @property({ reflect: true }) provider: ProviderPreference = 'auto';
  /** With provider 'webnn': the MLContext device type, 'gpu', 'cpu' or 'npu'; others are refused. */
  @property({ reflect: true, attribute: 'webnn-device-type' }) webnnDeviceType: WebNnDeviceType = 'gpu';
  /**
   * 'auto' (default; also when the attribute is removed): one stage loaded at a time only where the stages
   * together would not fit in this device's memory; 'resident' keeps every stage loaded; 'low' loads one
   * stage at a time, reloading them for every image. Others are refused.
   */
  @property({ reflect: true }) memory: MemoryPreference = 'auto';
  /** Download (if needed) and load the model as soon as the element is connected. */
  @property({ type: Boolean, reflect: true }) autoload = false;
  /** A self-hosted copy of the weights (`npm run models:pull`): replaces the model's baseUrl. */
  @property({ reflect: true }) mirror = '';
  /** Offer the generated random-weight test models (ids `tiny-*`) in the model picker. */
  @property({ type: Boolean, reflect: true, attribute: 'test-models' }) testModels = false;
  /** Real-time mode: every change of prompt, seed or steps makes a new image (the newest edit wins). */
  @property({ type: Boolean, reflect: true }) realtime = false;
  /** Image to image: the picture to start from; ignored by a model without a VAE encoder. */
  @property({ attribute: false }) sourceImage?: ImageBitmap | Blob;
  /** Image to image: how much of the source is replaced, above 0 to 1; steps × strength must be ≥ 1. */
  @property({ type: Number, reflect: true }) strength = DEFAULT_IMAGE_TO_IMAGE_STRENGTH;

  /** The seed as given or typed; kept when it is not a seed, so the control shows it with its error. */
  @state() protected seedText = '';
  @state() protected tokens?: TokenCount;
  @state() protected problem?: Problem;
  @state() protected notice = '';
  @state() protected announcement = '';
  @query('sd-toast-stack') protected toastStack?: ToastStack;

  protected readonly models = new ModelController(this, {
    manifestUrl: () => this.manifestUrl,
    requestedModel: () => (this.model && !isManifestUrl(this.model) ? this.model : undefined),
    provider: () => this.provider,
    webnnDeviceType: () => (isWebNnDeviceType(this.webnnDeviceType) ? this.webnnDeviceType : 'gpu'),
    memory: () => (isMemoryMode(this.memory) ? this.memory : 'auto'),
    // Absolute: the worker resolving it would use its own script's location.
    mirrorBaseUrl: () => (this.mirror ? new URL(this.mirror, document.baseURI).href : undefined),
    autoload: () => this.autoload,
    report: (error) => this.report(error),
    announce: (text) => this.announce(text),
    progress: (progress) => this.emit('sd-progress', progress),
    ready: (loaded) => this.onReady(loaded),
    deviceLost: (error) => this.onDeviceLost(error),
  });
  protected readonly generator = new GeneratorController(this, (step) => this.emit('sd-progress', step));
  /** Errors already shown, so one failure seen by both load() and generate() is reported once. */
  protected readonly reported = new WeakSet<object>();
  private countedKey?: string;

  override addEventListener<K extends keyof SdTurboEventMap>(
    type: K,
    listener: (this: SdTurboCore, event: SdTurboEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener, options);
  }

  /** The manifest URL in use, after the `model` and `manifest` attributes are taken into account. */
  get manifestUrl(): string {
    const url = isManifestUrl(this.model) ? this.model : this.manifest || DEFAULT_MANIFEST;
    return new URL(url, document.baseURI).href;
  }

  /** The model id in use: the `model` attribute, or the manifest's default model. */
  get modelId(): string | undefined {
    return this.models.modelId;
  }

  /** True while an image is being made. */
  get busy(): boolean {
    return this.generator.busy;
  }

  /** Whether the model in use has a VAE encoder, so it can start from a source image. */
  get canUseSourceImage(): boolean {
    return this.models.model?.stages.vaeEncoder !== undefined;
  }

  /** Why the current seed, steps, strength or provider cannot be used, per control; empty when all can. */
  protected get inputProblems(): InputProblems {
    const strength = this.sourceImage !== undefined && this.canUseSourceImage ? this.strength : undefined;
    return inputProblems(
      this.seedText,
      this.steps,
      strength,
      this.provider,
      this.webnnDeviceType,
      this.memory ?? 'auto',
    );
  }

  /** The attribute as written, so a seed that is none stays visible with its error. */
  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (name === 'seed' && value !== null) this.seedText = value;
    super.attributeChangedCallback(name, old, value);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('seed')) {
      if (this.seed !== null) this.seedText = String(this.seed);
      else if (parseSeed(this.seedText) !== undefined) this.seedText = '';
    }
    // Lit sets a removed attribute's property to null: no attribute is 'auto'.
    if (changed.has('memory') && this.memory === null) this.memory = 'auto';
    const settings = ['model', 'manifest', 'provider', 'webnnDeviceType', 'memory'] as const;
    if (settings.some((name) => changed.has(name) && changed.get(name) !== undefined)) {
      this.models.settingsChanged();
    }
  }

  protected override updated(_changed: PropertyValues<this>): void {
    void this.countTokens();
  }

  /**
   * Downloads the weights if they are not stored yet (with progress), then loads them. Several elements
   * on one page with the same manifest and model share the download and the loaded model.
   */
  async load(): Promise<LoadedModel> {
    const refusal = this.inputProblems.provider;
    if (refusal) throw this.refuse(refusal);
    this.problem = undefined;
    return this.models.load();
  }

  /** Makes one image; resolves with the `sd-image` detail, rejects with an AbortError on cancel(). */
  async generate(options: GenerateOptions = {}): Promise<SdImageDetail> {
    const problems = this.inputProblems;
    const steps = options.steps ?? this.steps;
    const sourceImage = this.canUseSourceImage ? (options.sourceImage ?? this.sourceImage) : undefined;
    const strength = options.strength ?? this.strength;
    const refusal =
      (options.seed === undefined ? problems.seed : undefined) ??
      (options.steps === undefined ? problems.steps : stepsProblem(options.steps)) ??
      (sourceImage ? strengthProblem(strength, steps) : undefined) ??
      problems.provider;
    if (refusal) throw this.refuse(refusal);
    const request = {
      prompt: options.prompt ?? this.prompt,
      seed: options.seed ?? this.seed ?? randomSeed(),
      steps,
      ...(sourceImage ? { sourceImage, strength } : {}),
    };
    try {
      const image = await this.generator.generate(request, async (signal) => {
        await this.models.ensureLoaded(signal);
        this.problem = undefined;
        this.announce('Generating an image…');
        return this.models.client!;
      });
      this.announce(`Image ready: seed ${image.seed}, ${formatSeconds(image.timings.totalMs)} per image.`);
      this.emit('sd-image', image);
      return image;
    } catch (error) {
      if (isAbortError(error)) this.notify('Cancelled.');
      else this.report(error);
      throw error;
    }
  }

  /** Stops the image being made, or pauses a download (what is downloaded is kept). */
  cancel(): void {
    this.generator.cancel();
    this.models.pause();
  }

  protected refuse(message: string): PipelineError {
    const error = new PipelineError('invalid-input', message);
    this.report(error);
    return error;
  }

  protected onReady(loaded: LoadedModel): void {
    this.notice = this.models.fallbackNote;
    const names = { webgpu: 'WebGPU', wasm: 'wasm (CPU)', webnn: 'WebNN', cpu: 'the CPU' };
    this.announce(`Model loaded on ${names[loaded.provider.provider]}.`);
    this.emit('sd-ready', loaded);
  }

  /** Every element on the client hears this; the one whose generate() failed must not report it twice. */
  protected onDeviceLost(error: Error | undefined): void {
    if (error) this.reported.add(error);
    this.showProblem(describeError('device-lost'), error?.message ?? DEVICE_LOST_ADVICE);
  }

  protected report(error: unknown): void {
    if (typeof error === 'object' && error !== null) {
      if (this.reported.has(error)) return;
      this.reported.add(error);
    }
    const guidance = guidanceFor(error, this.models.requirementCheck(), this.provider);
    const message = error instanceof Error ? error.message : String(error);
    // The unsupported panel already says why; sd-error still tells the page.
    if (this.models.phase === 'unsupported') this.emitError(guidance, message);
    else this.showProblem(guidance, message);
  }

  protected showProblem(guidance: UserMessage, message: string): void {
    this.problem = { ...guidance, message };
    this.emitError(guidance, message);
  }

  protected emitError(guidance: UserMessage, message: string): void {
    this.emit('sd-error', { code: guidance.code, message, advice: guidance.advice });
  }

  protected emit<K extends keyof SdTurboEventMap>(type: K, detail: SdTurboEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  protected announce(text: string): void {
    this.announcement = text;
  }

  /** Says it to screen readers and shows it for a few seconds. */
  protected notify(text: string): void {
    this.announce(text);
    this.toastStack?.show(text);
  }

  /** Counts once per prompt and model, as soon as the manifest says the model's tokenizer length. */
  private async countTokens(): Promise<void> {
    const prompt = this.prompt;
    const maxLength = this.models.model?.tokenizer.maxLength ?? 77;
    const key = `${maxLength}:${prompt}`;
    if (key === this.countedKey || !this.models.manifest) return;
    this.countedKey = key;
    try {
      const counted = await this.models.client?.tokenize(prompt, maxLength);
      if (prompt === this.prompt) this.tokens = counted;
    } catch {
      // The count is a hint; the prompt is checked again when the image is made.
    }
  }
}
