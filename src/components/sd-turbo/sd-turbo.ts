/**
 * `<sd-turbo>`: a text-to-image generator in one element. Its attributes, properties, methods and events
 * (sd-turbo-api.ts) sit here, on controllers that own the state machines (the model, the generator, what
 * the user is told, the source image, the token count) and render parts that say what each action does.
 */
import { LitElement, html, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import {
  DEFAULT_IMAGE_TO_IMAGE_STRENGTH,
  isAbortError,
  type LoadedModel,
  type MemoryPreference,
  type ProviderPreference,
  type WebNnDeviceType,
} from '../../pipeline/index.js';
import { FeedbackController } from '../controllers/feedback-controller.js';
import { GeneratorController } from '../controllers/generator-controller.js';
import { ModelController } from '../controllers/model-controller.js';
import { SourceImageController } from '../controllers/source-image-controller.js';
import { TokenCountController } from '../controllers/token-count-controller.js';
import { guidanceFor } from '../error-guidance.js';
import { emitEvent, type SdImageDetail, type SdTurboEventMap } from '../events.js';
import {
  inputProblems,
  isManifestUrl,
  isMemoryMode,
  isWebNnDeviceType,
  parseSeed,
  randomSeed,
  seedConverter,
  requestedSize,
  WrittenNumbers,
  type InputProblems,
} from '../input-checks.js';
import type { GenerateOptions, SdTurboElement as SdTurboElementApi } from '../sd-turbo-api.js';
import { batchRequests, generateRefusal, readyAnnouncement, startAnnouncement } from './batch-requests.js';
import { announceReady, applyRemedy } from './element-reactions.js';
import type { ElementHost } from './element-host.js';
import { FirstRunPart } from './first-run-part.js';
import { PromptPart } from './prompt-part.js';
import { RealtimePart } from './realtime-part.js';
import { ResultsPart } from './results-part.js';
import { SettingsPart } from './settings-part.js';
import { sdTurboStyles } from './styles.js';

/** The catalogue the package carries, beside this module (the library build drops the test models). */
const DEFAULT_MANIFEST_URL = new URL('../../../model-manifest.json', import.meta.url).href;

export class SdTurboElement extends LitElement implements SdTurboElementApi, ElementHost {
  static override styles = sdTurboStyles;
  static override shadowRootOptions = { ...LitElement.shadowRootOptions, delegatesFocus: true };

  // `useDefault`: removing an attribute gives its property the default back (Lit otherwise sets null).
  /** A model id from the manifest, or a manifest URL (ending in .json) whose default model is used. */
  @property({ reflect: true, useDefault: true }) model = '';
  /** The manifest URL (resolved against document.baseURI); default: the package's own catalogue. */
  @property({ reflect: true, useDefault: true }) manifest = '';
  @property({ useDefault: true }) prompt = '';
  /** uint32 seed for the next image; null (no attribute) draws a random seed for each image. */
  @property({ converter: seedConverter, reflect: true, useDefault: true }) seed: number | null = null;
  /** Denoising steps, 1 to 4; any other value is shown as an error on the steps control. */
  @property({ type: Number, reflect: true, useDefault: true }) steps = 1;
  /** 'auto' (WebGPU, falling back to wasm with a note), 'webgpu', 'wasm' or 'webnn'; others are refused. */
  @property({ reflect: true, useDefault: true }) provider: ProviderPreference = 'auto';
  /** With provider 'webnn': the MLContext device type, 'gpu', 'cpu' or 'npu'; others are refused. */
  @property({ reflect: true, attribute: 'webnn-device-type', useDefault: true })
  webnnDeviceType: WebNnDeviceType = 'gpu';
  /** 'auto', 'resident' or 'low' (one stage at a time, reloaded per image). */
  @property({ reflect: true, useDefault: true }) memory: MemoryPreference = 'auto';
  /** Download (if needed) and load the model as soon as the element is connected. */
  @property({ type: Boolean, reflect: true }) autoload = false;
  /** A self-hosted copy of the weights (`npm run models:pull`): replaces the model's baseUrl. */
  @property({ reflect: true, useDefault: true }) mirror = '';
  /** Offer the generated random-weight test models (ids `tiny-*`) in the model picker. */
  @property({ type: Boolean, reflect: true, attribute: 'test-models' }) testModels = false;
  /** Real-time mode: every change of prompt, seed or steps makes a new image (the newest edit wins). */
  @property({ type: Boolean, reflect: true }) realtime = false;
  /** Image to image: the picture to start from; ignored by a model without a VAE encoder. */
  @property({ attribute: false }) sourceImage?: ImageBitmap | Blob;
  /** Image to image: how much of the source is replaced, above 0 to 1; steps × strength must be ≥ 1. */
  @property({ type: Number, reflect: true, useDefault: true }) strength = DEFAULT_IMAGE_TO_IMAGE_STRENGTH;
  /** Images per Generate, 1 to 8, from seeds seed, seed + 1, ...; any other value is shown as an error. */
  @property({ type: Number, reflect: true, useDefault: true }) count = 1;
  /** Image width in pixels, within the model's sizes; null (no attribute): the model's own. */
  @property({ type: Number, reflect: true }) width: number | null = null;
  /** Image height in pixels, within the model's sizes; null (no attribute): the model's own. */
  @property({ type: Number, reflect: true }) height: number | null = null;
  /** `compact` for a small slot: the prompt bar and the image; anything else is the full element. */
  @property({ reflect: true, useDefault: true }) variant = '';

  /** The seed as given or typed; kept when it is not a seed, so the control shows it with its error. */
  @state() seedText = '';
  private readonly written = new WrittenNumbers();

  // The controllers and parts below are the element's insides: sd-turbo-api.ts leaves them out.
  readonly models = new ModelController(this, {
    manifestUrl: () => this.manifestUrl,
    requestedModel: () => (this.model && !isManifestUrl(this.model) ? this.model : undefined),
    provider: () => this.provider,
    webnnDeviceType: () => (isWebNnDeviceType(this.webnnDeviceType) ? this.webnnDeviceType : 'gpu'),
    memory: () => (isMemoryMode(this.memory) ? this.memory : 'auto'),
    // Absolute: the worker resolving it would use its own script's location.
    mirrorBaseUrl: () => (this.mirror ? new URL(this.mirror, document.baseURI).href : undefined),
    autoload: () => this.autoload,
    report: (error) => this.feedback.report(error),
    announce: (text) => this.feedback.announce(text),
    progress: (progress) => emitEvent(this, 'sd-progress', progress),
    ready: (loaded) => announceReady(this, loaded),
    deviceLost: (error) => this.feedback.deviceLost(error),
  });
  readonly generator = new GeneratorController(this, (step) => emitEvent(this, 'sd-progress', step));
  readonly feedback: FeedbackController = new FeedbackController(this, {
    guidance: (error) => guidanceFor(error, this.models.requirementCheck(), this.provider),
    // The unsupported panel already says why; sd-error still tells the page.
    panelSaysWhy: () => this.models.phase === 'unsupported',
    remedy: (remedy) => void applyRemedy(this, remedy).catch(() => undefined),
  });
  private readonly tokens = new TokenCountController(this, {
    prompt: () => this.prompt,
    maxLength: () => (this.models.manifest ? (this.models.model?.tokenizer.maxLength ?? 77) : undefined),
    client: () => this.models.client,
  });
  private readonly realtimePart = new RealtimePart(this);
  private readonly results = new ResultsPart(this);
  private readonly source = new SourceImageController(this, {
    feedback: this.feedback,
    strengthError: () => this.inputProblems.strength,
    strengthText: () => this.written.given('strength', this.strength).text,
  });
  private readonly settings = new SettingsPart(this);
  private readonly firstRun = new FirstRunPart(this);
  private readonly promptPart = new PromptPart(this);

  override addEventListener<K extends keyof SdTurboEventMap>(
    type: K,
    listener: (this: SdTurboElement, event: SdTurboEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener<K extends keyof HTMLElementEventMap>(
    type: K,
    listener: (this: HTMLElement, event: HTMLElementEventMap[K]) => unknown,
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
    if (isManifestUrl(this.model)) return new URL(this.model, document.baseURI).href;
    return this.manifest ? new URL(this.manifest, document.baseURI).href : DEFAULT_MANIFEST_URL;
  }

  /** The model id in use: the `model` attribute, or the manifest's default model. */
  get modelId(): string | undefined {
    return this.models.modelId;
  }

  /** True while an image is being made. */
  get busy(): boolean {
    return this.generator.busy;
  }

  /** True while any image is being made or waits: on request (`busy`) or in real-time mode. */
  get generating(): boolean {
    return this.busy || this.realtimePart.busy;
  }

  /** Whether the model in use has a VAE encoder, so it can start from a source image. */
  get canUseSourceImage(): boolean {
    return this.models.model?.stages.vaeEncoder !== undefined;
  }

  get inputProblems(): InputProblems {
    const strength = this.sourceImage !== undefined && this.canUseSourceImage ? this.strength : undefined;
    const given = strength === undefined ? undefined : this.written.given('strength', strength);
    const { seedText, provider, webnnDeviceType, memory } = this;
    const steps = this.written.given('steps', this.steps);
    const count = this.written.given('count', this.count);
    const size = requestedSize(this.models.model, this.written, this).problem;
    return inputProblems(seedText, steps, given, provider, webnnDeviceType, count, memory, size);
  }

  /** The attribute as written, so a value that cannot be used stays visible with its error. */
  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (name === 'seed') this.seedText = value ?? '';
    if (['steps', 'strength', 'count', 'width', 'height'].includes(name)) this.written.set(name, value);
    super.attributeChangedCallback(name, old, value);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('seed')) {
      if (this.seed !== null) this.seedText = String(this.seed);
      else if (parseSeed(this.seedText) !== undefined) this.seedText = '';
    }
    // Whenever they are set, even before the first update: the latest manifest and model win.
    const settings = ['model', 'manifest', 'provider', 'webnnDeviceType', 'memory'] as const;
    if (settings.some((name) => changed.has(name))) this.models.settingsChanged();
  }

  protected override updated(changed: PropertyValues<this>): void {
    this.realtimePart.updated(changed);
    this.firstRun.updated();
  }

  /**
   * Downloads the weights if they are not stored yet (with progress), then loads them. Several elements
   * on one page with the same manifest and model share the download and the loaded model.
   */
  async load(): Promise<LoadedModel> {
    const refusal = this.inputProblems.provider;
    if (refusal) throw this.feedback.refuse(refusal);
    this.feedback.clearProblem();
    return this.models.load();
  }

  /**
   * Makes `count` images from seeds seed, seed + 1, ...; each fires `sd-image` and is saved (real-time
   * previews are not). Resolves with the first image's detail, rejects with an AbortError on cancel().
   */
  async generate(options: GenerateOptions = {}): Promise<SdImageDetail> {
    const steps = options.steps ?? this.steps;
    const count = options.count ?? this.count;
    const sourceImage = this.canUseSourceImage ? (options.sourceImage ?? this.sourceImage) : undefined;
    const strength = options.strength ?? this.strength;
    const given = sourceImage ? this.written.given('strength', strength) : undefined;
    const { problem, ...size } = requestedSize(this.models.model, this.written, this, options);
    const refusal = generateRefusal({ ...this.inputProblems, size: problem }, options, steps, given);
    if (refusal) throw this.feedback.refuse(refusal);
    const first = {
      prompt: options.prompt ?? this.prompt,
      seed: options.seed ?? this.seed ?? randomSeed(),
      steps,
      ...(sourceImage ? { sourceImage, strength } : {}),
      ...size,
    };
    try {
      const images = await this.generator.generate(
        batchRequests(first, count),
        async (signal) => {
          await this.models.ensureLoaded(signal);
          this.feedback.clearProblem();
          this.feedback.announce(startAnnouncement(count));
          return this.models.client!;
        },
        (image) => {
          emitEvent(this, 'sd-image', image);
          this.results.save(image);
        },
      );
      this.feedback.announce(readyAnnouncement(images));
      return images[0];
    } catch (error) {
      if (isAbortError(error)) this.feedback.notify('Cancelled.');
      else this.feedback.report(error);
      throw error;
    }
  }

  /** Stops the image being made, or pauses a download (what is downloaded is kept). */
  cancel(): void {
    this.generator.cancel();
    this.models.pause();
  }

  protected override render(): TemplateResult {
    const results = this.results;
    return html`
      ${this.promptPart.render(this.tokens.tokens, this.settings.render())} ${this.source.render()}
      <div class="layout">
        <div class="top-column">${this.feedback.renderMessages()} ${this.firstRun.render()}</div>
        ${results.renderImage()}
        <div class="side-column">
          ${results.renderBatch()} ${results.renderDetails()} ${this.realtimePart.render()}
        </div>
        ${results.renderGallery()}
      </div>
      ${this.feedback.renderLive()}
    `;
  }
}
