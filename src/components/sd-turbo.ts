/**
 * `<sd-turbo>`: the whole text-to-image generator in one element. The pipeline runs in a Worker behind
 * GeneratorClient; this element is the UI around it: prompt, seed, steps, model, the first-run download,
 * the result with its timings, a gallery, settings, and messages that say what to do.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import {
  GeneratorClient,
  PipelineError,
  canRun,
  checkRequirements,
  isAbortError,
  requirementAdvice,
  requirementError,
  type DeviceCapabilities,
  type LoadedModel,
  type Manifest,
  type ModelEntry,
  type ModelProgress,
  type ProviderPreference,
  type RequirementCheck,
  type StoredModel,
  type TokenCount,
} from '../pipeline/index.js';
import type { SdErrorDetail, SdImageDetail, SdTurboEventMap } from './events.js';
import { formatBytes, formatEta, formatMilliseconds, formatRate, formatSeconds, percent } from './format.js';
import { drawBitmap, toImageDetail } from './image-detail.js';
import {
  DEVICE_LOST_ADVICE,
  describeError,
  type Remedy,
  type SdErrorCode,
  type UserMessage,
} from './messages.js';
import { sdTurboStyles } from './sd-turbo-styles.js';
import { sharedDownload, stopDownload } from './shared-download.js';

export type { SdErrorCode } from './messages.js';

/** What `generate()` may override; anything left out comes from the element's properties. */
export interface GenerateOptions {
  prompt?: string;
  /** uint32; a random one when neither this nor the `seed` property is set. */
  seed?: number;
  steps?: number;
}

/**
 * starting: reading the manifest and what is stored · unsupported: this device cannot run the model on
 * any provider · first-run: weights not (fully) stored · idle: stored, not loaded · downloading / paused /
 * loading · ready: loaded · generating.
 */
type Phase =
  | 'starting'
  | 'unsupported'
  | 'first-run'
  | 'idle'
  | 'downloading'
  | 'paused'
  | 'loading'
  | 'ready'
  | 'generating';

/** Phases in which a model must be downloaded first: Generate and Enter only point at the panel then. */
const NEEDS_DOWNLOAD: readonly Phase[] = ['starting', 'unsupported', 'first-run', 'paused'];
/** The codes of a refusal by the model's requirements: their advice comes from the requirement check. */
const REQUIREMENT_CODES: readonly SdErrorCode[] = ['no-webgpu', 'no-shader-f16', 'unsupported-device'];

const MAX_SEED = 0xffffffff;
const GALLERY_LIMIT = 24;
const DEFAULT_MANIFEST = 'model-manifest.json';

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

function isManifestUrl(value: string): boolean {
  return /\.json([?#].*)?$/i.test(value);
}

function errorCode(error: unknown): SdErrorCode {
  if (error instanceof PipelineError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in GUIDED_CODES ? (code as SdErrorCode) : 'unknown';
}

const GUIDED_CODES: Record<string, true> = Object.fromEntries(
  (
    [
      'invalid-input',
      'busy',
      'no-webgpu',
      'no-shader-f16',
      'unsupported-device',
      'device-lost',
      'model-io-mismatch',
      'session-failed',
      'manifest',
      'download-failed',
      'quota',
      'corrupt',
      'not-loaded',
    ] satisfies SdErrorCode[]
  ).map((code) => [code, true]),
);

function fileBytes(model: ModelEntry): { path: string; bytes: number }[] {
  return Object.values(model.stages).map(({ file }) => ({
    path: file.path,
    bytes: file.bytes ?? file.approxBytes ?? 0,
  }));
}

const seedConverter = {
  fromAttribute: (value: string | null): number | null => {
    if (value === null || value.trim() === '') return null;
    const seed = Number(value);
    return Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED ? seed : null;
  },
  toAttribute: (value: number | null): string | null => (value === null ? null : String(value)),
};

interface Problem extends UserMessage {
  message: string;
}

interface GalleryEntry {
  id: number;
  image: SdImageDetail;
}

export class SdTurboElement extends LitElement {
  static override styles = sdTurboStyles;
  static override shadowRootOptions = { ...LitElement.shadowRootOptions, delegatesFocus: true };

  /** A model id from the manifest, or a manifest URL (ending in .json) whose default model is used. */
  @property({ reflect: true }) model = '';
  /** The manifest URL; default: `model-manifest.json` next to the page (resolved against document.baseURI). */
  @property({ reflect: true }) manifest = '';
  @property() prompt = '';
  /** uint32 seed for the next image; null (no attribute) draws a random seed for each image. */
  @property({ converter: seedConverter, reflect: true }) seed: number | null = null;
  /** Denoising steps, 1 to 4. */
  @property({ type: Number, reflect: true }) steps = 1;
  /** 'auto' (WebGPU, falling back to wasm with a note), 'webgpu' or 'wasm'. */
  @property({ reflect: true }) provider: ProviderPreference = 'auto';
  /** Download (if needed) and load the model as soon as the element is connected. */
  @property({ type: Boolean, reflect: true }) autoload = false;
  /** A self-hosted copy of the weights (`npm run models:pull`): replaces the model's baseUrl. */
  @property({ reflect: true }) mirror = '';

  /** The mirror as an absolute URL: the worker resolving it would use its own script's location. */
  private get mirrorBaseUrl(): string | undefined {
    return this.mirror ? new URL(this.mirror, document.baseURI).href : undefined;
  }

  @state() private phase: Phase = 'starting';
  @state() private manifestData?: Manifest;
  @state() private stored: StoredModel[] = [];
  @state() private progress?: ModelProgress;
  @state() private tokens?: TokenCount;
  @state() private gallery: GalleryEntry[] = [];
  @state() private shownId?: number;
  @state() private problem?: Problem;
  @state() private notice = '';
  @state() private announcement = '';
  @state() private loaded?: LoadedModel;
  /** This device's adapter and memory as the pipeline worker sees them; models are checked against them. */
  @state() private device?: DeviceCapabilities;
  /** The browser's answer to navigator.storage.persist() once a download has started. */
  @state() private storagePersisted?: boolean;
  /** Set while generate() runs (loading included), so the Generate button is Cancel throughout. */
  @state() private running?: AbortController;

  @query('canvas.image') private imageCanvas?: HTMLCanvasElement;

  private client?: GeneratorClient;
  /** The client's load promise this element's model came from: another element's load replaces it. */
  private loadedVia?: Promise<LoadedModel>;
  private loadedProvider?: ProviderPreference;
  private loading?: Promise<LoadedModel>;
  private nextImageId = 1;
  private announcedDecile = -1;
  private inspection = 0;
  /** Errors already shown, so one failure seen by both load() and generate() is reported once. */
  private readonly reported = new WeakSet<object>();

  override addEventListener<K extends keyof SdTurboEventMap>(
    type: K,
    listener: (this: SdTurboElement, event: SdTurboEventMap[K]) => unknown,
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
    if (this.model && !isManifestUrl(this.model)) return this.model;
    return this.manifestData?.defaultModel;
  }

  /** True while an image is being made. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.attachClient();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.running?.abort();
    this.detachClient();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if ((changed.has('model') || changed.has('manifest')) && this.isConnected && this.client) {
      if (this.client.manifestUrl !== this.manifestUrl) this.attachClient();
      else if (changed.has('model')) void this.inspectModel();
    }
    if (changed.has('provider') && this.phase === 'ready' && this.loadedProvider !== this.provider) {
      this.phase = 'idle';
    }
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('prompt') || changed.has('manifestData')) void this.countTokens();
    this.drawShownImage();
    this.drawThumbnails();
  }

  /**
   * Downloads the weights if they are not stored yet (with progress), then loads them. Several elements
   * on one page with the same manifest and model share the download and the loaded model.
   */
  load(): Promise<LoadedModel> {
    this.loading ??= this.runLoad().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Makes one image; resolves with the `sd-image` detail, rejects with an AbortError on cancel(). */
  async generate(options: GenerateOptions = {}): Promise<SdImageDetail> {
    if (this.running)
      throw new PipelineError('busy', 'An image is already being made: wait for it, or cancel it.');
    const controller = new AbortController();
    this.running = controller;
    const request = {
      prompt: options.prompt ?? this.prompt,
      seed: options.seed ?? this.seed ?? randomSeed(),
      steps: options.steps ?? this.steps,
    };
    try {
      await this.ensureLoaded(controller.signal);
      this.phase = 'generating';
      this.problem = undefined;
      this.announce('Generating an image…');
      const result = await this.client!.generate(request, { signal: controller.signal });
      const image = toImageDetail(result);
      this.addToGallery(image);
      this.phase = 'ready';
      this.announce(`Image ready: seed ${image.seed}, ${formatSeconds(image.timings.totalMs)} per image.`);
      this.emit('sd-image', image);
      return image;
    } catch (error) {
      this.phase = this.isLoadCurrent() ? 'ready' : this.phase === 'generating' ? 'idle' : this.phase;
      if (isAbortError(error)) this.announce('Cancelled.');
      else this.report(error);
      throw error;
    } finally {
      this.running = undefined;
    }
  }

  /** Stops the image being made, or pauses a download (what is downloaded is kept). */
  cancel(): void {
    this.running?.abort();
    if (this.phase === 'downloading' && this.modelId && this.client) stopDownload(this.client, this.modelId);
  }

  private attachClient(): void {
    this.detachClient();
    this.client = GeneratorClient.shared(this.manifestUrl);
    this.client.addEventListener('device-lost', this.onDeviceLost);
    this.client.addEventListener('model-changed', this.onModelChanged);
    this.loaded = undefined;
    this.loadedVia = undefined;
    void this.inspectModel();
  }

  private detachClient(): void {
    this.client?.removeEventListener('device-lost', this.onDeviceLost);
    this.client?.removeEventListener('model-changed', this.onModelChanged);
    this.client = undefined;
  }

  /** Every element on the client hears this; the one whose generate() failed must not report it twice. */
  private readonly onDeviceLost = (event: Event): void => {
    const error = (event as CustomEvent<Error | undefined>).detail;
    if (error) this.reported.add(error);
    this.loaded = undefined;
    this.loadedVia = undefined;
    if (this.phase === 'ready') this.phase = 'idle';
    this.showProblem(describeError('device-lost'), error?.message ?? DEVICE_LOST_ADVICE);
  };

  private readonly onModelChanged = (): void => {
    if (this.phase === 'ready' && !this.isLoadCurrent()) this.phase = 'idle';
  };

  /** Reads the manifest and what is stored, to show the first-run panel or the "already stored" note. */
  private async inspectModel(): Promise<void> {
    const inspection = ++this.inspection;
    const client = this.client!;
    try {
      const [manifest, stored, device] = await Promise.all([
        client.manifest(),
        client.storedModels(),
        client.deviceCapabilities(),
      ]);
      if (inspection !== this.inspection) return;
      this.manifestData = manifest;
      this.stored = stored;
      this.device = device;
      if (this.modelId && !manifest.models.some((model) => model.id === this.modelId)) {
        throw new PipelineError('manifest', `The manifest has no model "${this.modelId}".`);
      }
      if (!this.loading && !this.running) this.phase = this.isLoadCurrent() ? 'ready' : this.storedPhase();
      if (this.autoload && this.phase !== 'ready') await this.load();
    } catch (error) {
      if (inspection === this.inspection && !isAbortError(error)) this.report(error);
    }
  }

  private storedPhase(): Phase {
    const check = this.requirementCheck();
    if (check && !canRun(check, 'auto')) return 'unsupported';
    return this.storedModel()?.complete ? 'idle' : 'first-run';
  }

  /** The current model's requirements against this device; undefined until both are known. */
  private requirementCheck(model = this.currentModel()): RequirementCheck | undefined {
    return model && this.device && checkRequirements(model, this.device);
  }

  private storedModel(): StoredModel | undefined {
    return this.stored.find((model) => model.modelId === this.modelId);
  }

  private currentModel(): ModelEntry | undefined {
    return this.manifestData?.models.find((model) => model.id === this.modelId);
  }

  private isLoadCurrent(): boolean {
    return (
      this.loaded !== undefined &&
      this.loadedVia !== undefined &&
      this.client?.loadedModel === this.loadedVia &&
      this.loadedProvider === this.provider &&
      this.loaded.modelId === this.modelId
    );
  }

  private async ensureLoaded(signal: AbortSignal): Promise<void> {
    if (this.isLoadCurrent()) return;
    await this.refuseUnrunnable();
    // Only a click on Download, load() or `autoload` may start a download; generate() loads stored weights.
    if (!this.loading && !(await this.isModelStored())) {
      throw new PipelineError(
        'not-loaded',
        'The model is not downloaded yet: press Download in the panel (or call load()) first.',
      );
    }
    const aborted = new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () => reject(new DOMException('Cancelled.', 'AbortError')), {
        once: true,
      }),
    );
    aborted.catch(() => undefined);
    // The load itself is shared with other elements, so cancelling only stops this element waiting for it.
    await Promise.race([this.load(), aborted]);
  }

  private async runLoad(): Promise<LoadedModel> {
    const client = this.client!;
    try {
      if (!this.manifestData) this.manifestData = await client.manifest();
      const modelId = this.modelId!;
      this.problem = undefined;
      await this.refuseUnrunnable();
      if (!(await this.isStored(modelId))) await this.downloadWeights(modelId);
      this.phase = 'loading';
      this.announce('Loading the model…');
      const provider = this.provider;
      const loading = client.load(modelId, {
        provider,
        mirrorBaseUrl: this.mirrorBaseUrl,
        onProgress: (progress) => this.onProgress(progress),
      });
      const loaded = await loading;
      this.loaded = loaded;
      this.loadedVia = loading;
      this.loadedProvider = provider;
      this.phase = this.running ? this.phase : 'ready';
      this.notice = loaded.provider.fellBack
        ? `${loaded.provider.reason} Running on wasm (CPU) instead.`
        : '';
      this.announce(`Model loaded on ${loaded.provider.provider === 'webgpu' ? 'WebGPU' : 'wasm (CPU)'}.`);
      this.emit('sd-ready', loaded);
      void this.refreshStored();
      return loaded;
    } catch (error) {
      if (this.phase === 'loading') this.phase = this.storedPhase();
      if (!isAbortError(error)) this.report(error);
      throw error;
    }
  }

  /** Throws, before any download, when this device cannot run the model with the chosen provider. */
  private async refuseUnrunnable(): Promise<void> {
    if (!this.manifestData) this.manifestData = await this.client!.manifest();
    this.device ??= await this.client!.deviceCapabilities();
    const check = this.requirementCheck();
    const refusal = check && requirementError(check, this.provider);
    if (refusal) throw refusal;
  }

  private async isModelStored(): Promise<boolean> {
    if (!this.manifestData) this.manifestData = await this.client!.manifest();
    return this.isStored(this.modelId!);
  }

  private async isStored(modelId: string): Promise<boolean> {
    await this.refreshStored();
    return this.stored.find((model) => model.modelId === modelId)?.complete ?? false;
  }

  private async refreshStored(): Promise<void> {
    if (this.client) this.stored = await this.client.storedModels();
  }

  private async downloadWeights(modelId: string): Promise<void> {
    this.phase = 'downloading';
    this.announcedDecile = -1;
    this.announce('Downloading the model…');
    void this.client!.requestPersistentStorage().then((persisted) => (this.storagePersisted = persisted));
    try {
      await sharedDownload(this.client!, modelId, this.mirrorBaseUrl, (progress) =>
        this.onProgress(progress),
      );
    } catch (error) {
      if (isAbortError(error)) {
        this.phase = 'paused';
        this.announce('Download paused. What is downloaded so far is kept.');
      } else {
        this.phase = 'first-run';
      }
      void this.refreshStored();
      throw error;
    }
  }

  private onProgress(progress: ModelProgress): void {
    this.progress = progress;
    const decile = Math.floor(percent(progress.bytesDone, progress.bytesTotal) / 10);
    if (progress.phase === 'downloading' && decile !== this.announcedDecile) {
      this.announcedDecile = decile;
      this.announce(`Downloading: ${decile * 10}%`);
    }
    this.emit('sd-progress', progress);
  }

  private report(error: unknown): void {
    if (typeof error === 'object' && error !== null) {
      if (this.reported.has(error)) return;
      this.reported.add(error);
    }
    const resumable = (error as { resumable?: unknown } | null)?.resumable === true;
    const guidance = this.guidanceFor(errorCode(error), resumable);
    const message = error instanceof Error ? error.message : String(error);
    // The unsupported panel already says why; sd-error still tells the page.
    if (this.phase === 'unsupported') this.emitError(guidance, message);
    else this.showProblem(guidance, message);
  }

  /** A refusal by the requirements is explained by the check: wasm is offered only where the model fits. */
  private guidanceFor(code: SdErrorCode, resumable: boolean): UserMessage {
    const guidance = describeError(code, resumable);
    const check = this.requirementCheck();
    if (!check || !REQUIREMENT_CODES.includes(code)) return guidance;
    const wasmHelps = this.provider !== 'wasm' && check.wasm.runnable;
    return {
      ...guidance,
      advice: wasmHelps ? guidance.advice : requirementAdvice(check, this.provider),
      remedy: wasmHelps ? 'use-wasm' : undefined,
    };
  }

  private showProblem(guidance: UserMessage, message: string): void {
    this.problem = { ...guidance, message };
    this.emitError(guidance, message);
  }

  private emitError(guidance: UserMessage, message: string): void {
    const detail: SdErrorDetail = { code: guidance.code, message, advice: guidance.advice };
    this.emit('sd-error', detail);
  }

  private emit<K extends keyof SdTurboEventMap>(type: K, detail: SdTurboEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private announce(text: string): void {
    this.announcement = text;
  }

  private async countTokens(): Promise<void> {
    const prompt = this.prompt;
    const maxLength = this.currentModel()?.tokenizer.maxLength ?? 77;
    try {
      const counted = await this.client?.tokenize(prompt, maxLength);
      if (prompt === this.prompt) this.tokens = counted;
    } catch {
      // The count is a hint; the prompt is checked again when the image is made.
    }
  }

  private addToGallery(image: SdImageDetail): void {
    const entry = { id: this.nextImageId++, image };
    const kept = [entry, ...this.gallery];
    // Older images give their GPU memory back; a listener that wants to keep one keeps its toBlob() PNG.
    for (const evicted of kept.splice(GALLERY_LIMIT)) evicted.image.bitmap.close();
    this.gallery = kept;
    this.shownId = entry.id;
  }

  private get shown(): SdImageDetail | undefined {
    return this.gallery.find((entry) => entry.id === this.shownId)?.image;
  }

  private drawShownImage(): void {
    const canvas = this.imageCanvas;
    const shown = this.gallery.find((entry) => entry.id === this.shownId);
    if (canvas && shown && canvas.dataset.imageId !== String(shown.id)) {
      drawBitmap(canvas, shown.image.bitmap);
      canvas.dataset.imageId = String(shown.id);
    }
  }

  private drawThumbnails(): void {
    for (const canvas of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-thumbnail]')) {
      const entry = this.gallery.find((candidate) => String(candidate.id) === canvas.dataset.thumbnail);
      if (entry && canvas.dataset.drawn !== canvas.dataset.thumbnail) {
        drawBitmap(canvas, entry.image.bitmap);
        canvas.dataset.drawn = canvas.dataset.thumbnail;
      }
    }
  }

  // ---- user actions ----

  private onGenerateClick(): void {
    if (this.busy) {
      this.cancel();
      return;
    }
    if (NEEDS_DOWNLOAD.includes(this.phase)) {
      this.pointAtFirstRun();
      return;
    }
    this.generate().catch(() => undefined);
  }

  /**
   * Shows the first-run panel and says why nothing happened. Focus stays where it is: moved to the
   * Download button, the next keystroke would start a download of gigabytes nobody agreed to.
   */
  private pointAtFirstRun(): void {
    const reasons: Partial<Record<Phase, string>> = {
      starting: 'Still checking this device and the stored models…',
      unsupported: 'This device cannot run the model; the panel says why.',
    };
    this.announce(reasons[this.phase] ?? 'Download the model first: the panel says what it is and how big.');
    this.renderRoot.querySelector('[part~="first-run"]')?.scrollIntoView({ block: 'nearest' });
  }

  private onPromptKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    if (!this.busy) this.onGenerateClick();
  }

  private onPromptInput(event: InputEvent): void {
    this.prompt = (event.target as HTMLTextAreaElement).value;
  }

  private onSeedInput(event: Event): void {
    this.seed = seedConverter.fromAttribute((event.target as HTMLInputElement).value);
  }

  private onDownloadClick(): void {
    this.load().catch(() => undefined);
  }

  private async onCancelDownload(): Promise<void> {
    const modelId = this.modelId;
    if (!modelId || !this.client) return;
    stopDownload(this.client, modelId);
    await this.loading?.catch(() => undefined);
    await this.client.deleteModel(modelId);
    await this.refreshStored();
    this.phase = 'first-run';
    this.progress = undefined;
    this.announce('Download cancelled; the partial download was deleted.');
  }

  private async onDeleteStored(modelId: string): Promise<void> {
    await this.client?.deleteModel(modelId);
    await this.refreshStored();
    if (modelId === this.modelId && this.phase === 'idle') this.phase = 'first-run';
    this.announce(`Deleted the stored ${modelId} model.`);
  }

  private async onRemedy(remedy: Remedy): Promise<void> {
    this.problem = undefined;
    if (remedy === 'use-wasm') this.provider = 'wasm';
    if (remedy === 'redownload' && this.modelId) await this.onDeleteStored(this.modelId);
    if (remedy === 'resume-download' || remedy === 'redownload') this.onDownloadClick();
    else this.loadAndGenerate().catch(() => undefined);
  }

  /** The remedy answers a failed Download or Generate: loading (and downloading) is what was asked for. */
  private async loadAndGenerate(): Promise<void> {
    if (!this.isLoadCurrent()) await this.load();
    await this.generate();
  }

  private async copyImage(image: SdImageDetail): Promise<void> {
    try {
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': image.toBlob() })]);
      this.announce('Image copied to the clipboard.');
    } catch (error) {
      this.announce(`Could not copy the image: ${(error as Error).message}`);
    }
  }

  private async downloadPng(image: SdImageDetail): Promise<void> {
    const url = URL.createObjectURL(await image.toBlob());
    const link = document.createElement('a');
    link.href = url;
    link.download = image.fileName;
    link.click();
    // The click has started the download by the next task; the URL is no longer needed then.
    setTimeout(() => URL.revokeObjectURL(url));
  }

  // ---- rendering ----

  protected override render(): TemplateResult {
    return html`
      <div class="layout">
        ${this.renderControls()} ${this.renderModelState()}
        <div class="result-column">${this.renderResult()} ${this.renderGallery()}</div>
        ${this.renderSettings()}
      </div>
      <p class="visually-hidden" role="status" aria-live="polite" part="status">${this.announcement}</p>
    `;
  }

  private renderControls(): TemplateResult {
    const models = this.manifestData?.models ?? [];
    return html`
      <section part="controls" aria-label="Image settings">
        <label for="prompt">Prompt</label>
        <textarea
          id="prompt"
          part="prompt"
          .value=${this.prompt}
          placeholder="A cinematic photo of a lighthouse at dawn"
          aria-describedby="token-count"
          enterkeyhint="go"
          @input=${this.onPromptInput}
          @keydown=${this.onPromptKeydown}
        ></textarea>
        ${this.renderTokenCount()}
        <div class="row">
          <button
            class="primary"
            part="generate-button"
            type="button"
            @click=${this.onGenerateClick}
            ?disabled=${this.phase === 'starting' || this.phase === 'downloading'}
          >
            ${this.busy ? 'Cancel' : 'Generate'}
          </button>
          <div class="field seed" part="seed">
            <label for="seed">Seed</label>
            <input
              id="seed"
              part="seed-input"
              type="number"
              inputmode="numeric"
              min="0"
              max=${MAX_SEED}
              placeholder="random"
              aria-describedby="seed-hint"
              .value=${this.seed === null ? '' : String(this.seed)}
              @change=${this.onSeedInput}
            />
          </div>
          <button
            type="button"
            part="random-seed-button"
            ?disabled=${this.seed === null}
            @click=${() => (this.seed = null)}
          >
            Random seed
          </button>
          <div class="field" part="steps">
            <label for="steps">Steps</label>
            <select
              id="steps"
              part="steps-select"
              @change=${(e: Event) => (this.steps = Number((e.target as HTMLSelectElement).value))}
            >
              ${[1, 2, 3, 4].map((n) => html`<option value=${n} ?selected=${n === this.steps}>${n}</option>`)}
            </select>
          </div>
          ${
            models.length > 1
              ? html`<div class="field" part="model-picker">
                  <label for="model">Model</label>
                  <select
                    id="model"
                    @change=${(e: Event) => (this.model = (e.target as HTMLSelectElement).value)}
                  >
                    ${models.map(
                      (model) =>
                        html`<option value=${model.id} ?selected=${model.id === this.modelId}>
                          ${model.name}
                        </option>`,
                    )}
                  </select>
                </div>`
              : nothing
          }
        </div>
        <p class="hint" id="seed-hint">
          Empty seed: a new random seed for each image. Enter generates; Shift+Enter adds a line.
        </p>
      </section>
    `;
  }

  private renderTokenCount(): TemplateResult {
    const tokens = this.tokens;
    if (!tokens) return html`<p class="hint" id="token-count" part="token-count"></p>`;
    return html`<p class="hint" id="token-count" part="token-count">
      ${tokens.tokenCount} / ${tokens.maxTokens}
      tokens${
        tokens.truncated
          ? html` — the end is cut off:
              <span class="dropped" part="dropped-text">${tokens.droppedText}</span>`
          : nothing
      }
    </p>`;
  }

  private renderModelState(): TemplateResult | typeof nothing {
    const problem = this.problem ? this.renderProblem(this.problem) : nothing;
    const notice = this.notice ? html`<p class="hint" part="notice" role="note">${this.notice}</p>` : nothing;
    const stored = this.storedModel();
    const model = this.currentModel();
    let panel: TemplateResult | typeof nothing = nothing;
    const check = this.requirementCheck();
    if (model && check && this.phase === 'unsupported') {
      panel = this.renderUnsupported(model, check);
    } else if (
      model &&
      (this.phase === 'first-run' || this.phase === 'paused' || this.phase === 'downloading')
    ) {
      panel = this.renderFirstRun(model, stored);
    } else if (this.phase === 'loading') {
      panel = html`<section class="panel" part="progress" aria-label="Loading">
        <p>Loading the model…</p>
        <progress aria-label="Loading the model"></progress>
      </section>`;
    } else if (model && this.phase === 'idle' && stored?.complete) {
      panel = html`<p class="hint" part="stored-note">
        The ${model.name} weights are already stored in this browser (${formatBytes(stored.bytesStored)}): no
        download needed.
      </p>`;
    }
    return html`${problem}${notice}${panel}`;
  }

  /** Instead of a download that cannot end in an image: what this device lacks and what to do. */
  private renderUnsupported(model: ModelEntry, check: RequirementCheck): TemplateResult {
    const lacks = [
      ...check.webgpu.unmet.map((unmet) => ['WebGPU', unmet.lack]),
      ...check.wasm.unmet.map((unmet) => ['wasm (CPU)', unmet.lack]),
    ];
    const runnable = (this.manifestData?.models ?? []).filter((other) => {
      const otherCheck = this.requirementCheck(other);
      return otherCheck !== undefined && canRun(otherCheck, 'auto');
    });
    return html`
      <section class="panel" part="first-run unsupported" aria-labelledby="first-run-title">
        <h2 id="first-run-title">This device cannot run ${model.name}</h2>
        <p>Nothing is downloaded: the download could not end in an image here.</p>
        <ul part="unmet-requirements">
          ${lacks.map(([provider, lack]) => html`<li><strong>${provider}:</strong> ${lack}</li>`)}
        </ul>
        <p part="requirement-advice">${requirementAdvice(check, 'auto')}</p>
        ${
          runnable.length > 0
            ? html`<div class="row">
                ${runnable.map(
                  (other) =>
                    html`<button
                      type="button"
                      part="runnable-model-button"
                      @click=${() => (this.model = other.id)}
                    >
                      Use ${other.name}
                    </button>`,
                )}
              </div>`
            : nothing
        }
      </section>
    `;
  }

  /** What the chosen provider lacks for this model, said before the download ('auto': it will use wasm). */
  private renderProviderNote(): TemplateResult | typeof nothing {
    const check = this.requirementCheck();
    if (!check) return nothing;
    if (this.provider === 'auto' && !check.webgpu.runnable) {
      const lacks = check.webgpu.unmet.map((unmet) => unmet.lack).join(' ');
      return html`<p class="hint" part="provider-note">${lacks} It will run on wasm (CPU), more slowly.</p>`;
    }
    if (this.provider !== 'auto' && !check[this.provider].runnable) {
      const lacks = check[this.provider].unmet.map((unmet) => unmet.lack).join(' ');
      return html`<p class="hint" part="provider-note">
        ${lacks} Choose another execution provider under Settings.
      </p>`;
    }
    return nothing;
  }

  private renderPersistenceNote(): TemplateResult | typeof nothing {
    if (this.storagePersisted === undefined) return nothing;
    return html`<p class="hint" part="persistence-note">
      ${
        this.storagePersisted
          ? 'Storage is persistent: the browser keeps the model until you delete it.'
          : 'The browser did not grant persistent storage: it may delete the model when disk space runs low.'
      }
    </p>`;
  }

  private renderFirstRun(model: ModelEntry, stored: StoredModel | undefined): TemplateResult {
    const files = fileBytes(model);
    const total = files.reduce((sum, file) => sum + file.bytes, 0);
    const storedBytes = stored?.bytesStored ?? 0;
    const active = this.phase === 'downloading';
    return html`
      <section class="panel" part="first-run" aria-labelledby="first-run-title">
        <h2 id="first-run-title">Download the model (${formatBytes(total)})</h2>
        <p>
          ${model.name} runs entirely in this browser. Its weights are downloaded once and stored here for
          next time:
        </p>
        <ul class="files">
          ${files.map((file) => html`<li>${file.path} — ${formatBytes(file.bytes)}</li>`)}
        </ul>
        ${
          storedBytes > 0 && !active
            ? html`<p part="resume-note">
                ${formatBytes(storedBytes)} of ${formatBytes(stored?.bytesTotal || total)} are already stored;
                the download continues from there.
              </p>`
            : nothing
        }
        ${this.renderProviderNote()} ${active || this.phase === 'paused' ? this.renderProgress() : nothing}
        ${this.renderPersistenceNote()}
        <div class="row">
          ${
            active
              ? html`<button type="button" part="pause-button" @click=${() => this.cancel()}>Pause</button>`
              : html`<button
                  type="button"
                  class="primary"
                  part="download-button"
                  @click=${this.onDownloadClick}
                >
                  ${storedBytes > 0 ? 'Resume download' : 'Download'}
                </button>`
          }
          ${
            active || storedBytes > 0
              ? html`<button type="button" part="cancel-download-button" @click=${this.onCancelDownload}>
                  Cancel download
                </button>`
              : nothing
          }
        </div>
      </section>
    `;
  }

  private renderProgress(): TemplateResult | typeof nothing {
    const progress = this.progress;
    if (!progress) return nothing;
    const overall = percent(progress.bytesDone, progress.bytesTotal);
    const details = [
      `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`,
      formatRate(progress.bytesPerSecond),
      formatEta(progress.etaSeconds),
    ].filter(Boolean);
    return html`
      <div part="progress" class="field">
        <label for="overall-progress">Overall: ${overall}%</label>
        <progress id="overall-progress" max="100" .value=${overall}></progress>
        <p class="hint" part="progress-text">${details.join(' · ')}</p>
        ${progress.files.map(
          (file, index) => html`
            <label for="file-progress-${index}" class="hint"
              >${file.path}: ${formatBytes(file.bytesDone)} of ${formatBytes(file.bytesTotal)}</label
            >
            <progress
              id="file-progress-${index}"
              max="100"
              .value=${percent(file.bytesDone, file.bytesTotal)}
            ></progress>
          `,
        )}
        ${progress.note ? html`<p class="hint">${progress.note}</p>` : nothing}
      </div>
    `;
  }

  private renderProblem(problem: Problem): TemplateResult {
    const remedyLabels: Record<Remedy, string> = {
      'use-wasm': 'Continue on wasm (CPU)',
      'resume-download': 'Resume download',
      redownload: 'Delete and download again',
      retry: 'Try again',
    };
    return html`
      <section class="panel problem" part="error" role="alert" data-code=${problem.code}>
        <h2>${problem.title}</h2>
        <p>${problem.advice}</p>
        ${problem.message !== problem.advice ? html`<p class="hint">${problem.message}</p>` : nothing}
        <div class="row">
          ${
            problem.remedy
              ? html`<button
                  type="button"
                  part="remedy-button"
                  @click=${() => this.onRemedy(problem.remedy!)}
                >
                  ${remedyLabels[problem.remedy]}
                </button>`
              : nothing
          }
          <button type="button" @click=${() => (this.problem = undefined)}>Dismiss</button>
        </div>
      </section>
    `;
  }

  private renderResult(): TemplateResult {
    const image = this.shown;
    if (!image) {
      return html`<div class="placeholder" part="placeholder">
        ${this.busy ? 'Making your image…' : 'Your image will appear here.'}
      </div>`;
    }
    const timings = image.timings;
    const unetTotal = timings.unetMs.reduce((sum, ms) => sum + ms, 0);
    return html`
      <figure class="figure" part="result">
        <canvas
          class="image ${image.width < 256 ? 'small' : ''}"
          part="image"
          role="img"
          tabindex="0"
          aria-label=${`Generated image for "${image.prompt}", seed ${image.seed}`}
        ></canvas>
        <figcaption>
          <span class="headline" part="seconds-per-image">${formatSeconds(timings.totalMs)} per image</span>
          · seed <output part="image-seed">${image.seed}</output> · ${image.steps}
          step${image.steps === 1 ? '' : 's'} · ${image.provider === 'webgpu' ? 'WebGPU' : 'wasm (CPU)'}
        </figcaption>
        <dl class="timings" part="timings">
          <dt>Tokenizer</dt>
          <dd>${formatMilliseconds(timings.tokenizeMs)}</dd>
          <dt>Text encoder</dt>
          <dd>${formatMilliseconds(timings.textEncoderMs)}</dd>
          <dt>UNet (${timings.unetMs.length} step${timings.unetMs.length === 1 ? '' : 's'})</dt>
          <dd>${formatMilliseconds(unetTotal)}</dd>
          <dt>VAE decoder</dt>
          <dd>${formatMilliseconds(timings.vaeMs)}</dd>
          <dt>Pipeline overhead</dt>
          <dd>${formatMilliseconds(timings.overheadMs)}</dd>
        </dl>
        <div class="row">
          <button type="button" part="download-png-button" @click=${() => this.downloadPng(image)}>
            Download PNG
          </button>
          <button type="button" part="copy-button" @click=${() => this.copyImage(image)}>Copy image</button>
          <button type="button" part="reuse-seed-button" @click=${() => (this.seed = image.seed)}>
            Reuse seed ${image.seed}
          </button>
        </div>
      </figure>
    `;
  }

  private renderGallery(): TemplateResult | typeof nothing {
    if (this.gallery.length < 2) return nothing;
    return html`
      <section part="gallery" aria-labelledby="gallery-title">
        <h3 id="gallery-title" class="hint">This session's images</h3>
        <ul class="gallery">
          ${this.gallery.map(
            (entry, index) =>
              html`<li>
                <button
                  type="button"
                  aria-current=${entry.id === this.shownId ? 'true' : 'false'}
                  aria-label=${`Show image ${this.gallery.length - index}: ${entry.image.prompt || 'empty prompt'}, seed ${entry.image.seed}`}
                  @click=${() => (this.shownId = entry.id)}
                >
                  <canvas data-thumbnail=${entry.id}></canvas>
                </button>
              </li>`,
          )}
        </ul>
      </section>
    `;
  }

  private renderSettings(): TemplateResult {
    const providers: [ProviderPreference, string][] = [
      ['auto', 'Automatic (WebGPU when possible)'],
      ['webgpu', 'WebGPU'],
      ['wasm', 'wasm (CPU)'],
    ];
    const names = new Map(this.manifestData?.models.map((model) => [model.id, model.name]));
    const stored = this.stored.filter((model) => model.bytesStored > 0);
    return html`
      <details part="settings">
        <summary>Settings</summary>
        <fieldset>
          <legend>Execution provider</legend>
          ${providers.map(
            ([value, label]) =>
              html`<label
                ><input
                  type="radio"
                  name="provider"
                  .value=${value}
                  .checked=${this.provider === value}
                  @change=${() => (this.provider = value)}
                />
                ${label}</label
              >`,
          )}
        </fieldset>
        ${this.loaded ? html`<p class="hint">Running on: ${this.loaded.provider.reason}</p>` : nothing}
        <table part="stored-models">
          <caption class="hint">
            Models stored in this browser
          </caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Size</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${
              stored.length === 0
                ? html`<tr>
                    <td colspan="3">None yet.</td>
                  </tr>`
                : stored.map(
                    (model) =>
                      html`<tr>
                        <td>${names.get(model.modelId) ?? model.modelId}</td>
                        <td>
                          ${formatBytes(model.bytesStored)}${
                            model.complete ? '' : ` of ${formatBytes(model.bytesTotal)} (partial)`
                          }
                        </td>
                        <td>
                          <button
                            type="button"
                            part="delete-button"
                            aria-label=${`Delete ${model.modelId} (${formatBytes(model.bytesStored)})`}
                            ?disabled=${this.busy}
                            @click=${() => this.onDeleteStored(model.modelId)}
                          >
                            Delete
                          </button>
                        </td>
                      </tr>`,
                  )
            }
          </tbody>
        </table>
      </details>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sd-turbo': SdTurboElement;
  }
}
