/**
 * What `<sd-turbo>` adds to making one image on request: real-time mode (every edit makes an image, the
 * newest edit wins) and image to image (a source picture and a strength, for models with a VAE encoder).
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { DEFAULT_IMAGE_TO_IMAGE_STEPS, isAbortError } from '../pipeline/index.js';
import type { Phase } from './controllers/model-controller.js';
import { GalleryController } from './controllers/gallery-controller.js';
import { RealtimeController } from './controllers/realtime-controller.js';
import type { SdImageDetail } from './events.js';
import { formatMilliseconds } from './format.js';
import { downloadBlob } from './image-actions.js';
import { imageFileName, toImageDetail } from './image-detail.js';
import { strengthProblem } from './input-checks.js';
import type { SavedGalleryActions } from './parts/saved-gallery-view.js';
import { SdTurboCore, randomSeed, type GenerateOptions } from './sd-turbo-core.js';
import type { SourceImageActions } from './parts/source-image-panel.js';

/** Phases in which a model must be downloaded first: Generate and Enter only point at the panel then. */
export const NEEDS_DOWNLOAD: readonly Phase[] = ['starting', 'unsupported', 'first-run', 'paused'];
/** The settings whose change makes a new image in real-time mode. */
const REALTIME_INPUTS = ['prompt', 'seed', 'steps', 'realtime', 'sourceImage', 'strength'] as const;

export class SdTurboModes extends SdTurboCore {
  protected readonly realtimeRuns = new RealtimeController(this, {
    client: async () => {
      // Real-time images are not cancelled one by one (the newest edit simply waits), so no signal.
      await this.models.ensureLoaded(new AbortController().signal);
      return this.models.client!;
    },
    image: (result) => {
      const image = toImageDetail(result);
      this.generator.add(image);
      this.emit('sd-image', image);
    },
    error: (error) => {
      if (!isAbortError(error)) this.report(error);
    },
  });
  /** With no seed set, real-time images share one random seed, so an edit changes only what it says. */
  private readonly realtimeSeed = randomSeed();
  protected readonly savedImages = new GalleryController(this, (text) => this.notify(text));
  /** Why the last file chosen, dropped or pasted cannot be a source image; shown on the panel. */
  @state() protected sourceError?: string;

  constructor() {
    super();
    this.addEventListener('paste', (event) => this.onPaste(event as ClipboardEvent));
  }

  /** True while any image is being made or waits: on request (`busy`) or in real-time mode. */
  get generating(): boolean {
    return this.busy || this.realtimeRuns.busy;
  }

  /** Images made on request are saved; real-time previews (one per edit) are not. */
  override async generate(options: GenerateOptions = {}): Promise<SdImageDetail> {
    const image = await super.generate(options);
    void this.savedImages.save(image);
    return image;
  }

  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    if (!this.realtime) {
      if (changed.has('realtime')) this.realtimeRuns.stop();
      return;
    }
    if (REALTIME_INPUTS.some((name) => changed.has(name))) this.requestRealtimeImage();
  }

  /** Silently skips what Generate would refuse: a half-typed seed is not worth an error per keystroke. */
  private requestRealtimeImage(): void {
    const problems = this.inputProblems;
    const phase = this.models.phase;
    const modelReady = !NEEDS_DOWNLOAD.includes(phase) && phase !== 'downloading';
    if (!modelReady || !this.prompt.trim() || Object.values(problems).some(Boolean)) return;
    const sourceImage = this.canUseSourceImage ? this.sourceImage : undefined;
    this.realtimeRuns.request({
      prompt: this.prompt,
      seed: this.seed ?? this.realtimeSeed,
      steps: this.steps,
      ...(sourceImage ? { sourceImage, strength: this.strength } : {}),
    });
  }

  /** A pasted picture becomes the source image; pasted text goes where it was pasted. */
  private onPaste(event: ClipboardEvent): void {
    const image = [...(event.clipboardData?.files ?? [])].find((file) => file.type.startsWith('image/'));
    if (!image || !this.canUseSourceImage) return;
    event.preventDefault();
    this.chooseSourceImage(image);
  }

  /**
   * From the picker, a drop or a paste. At the default strength one step would run no UNet step, so the
   * steps go to image to image's default, and the user is told.
   */
  private chooseSourceImage(image: Blob): void {
    if (!image.type.startsWith('image/')) {
      // The new file was meant to replace the source: keeping the old one would make images from a picture
      // the user has just put aside.
      const replaced = this.sourceImage ? ' The previous source image was removed.' : '';
      const name = image instanceof File && image.name ? `"${image.name}"` : 'That file';
      this.sourceImage = undefined;
      this.sourceError =
        `${name} is not a picture (${image.type || 'unknown type'}): use a PNG, JPEG, WebP or GIF ` +
        `image.${replaced}`;
      this.notify(this.sourceError);
      return;
    }
    this.sourceError = undefined;
    this.sourceImage = image;
    if (strengthProblem(this.strength, this.steps) && this.steps < DEFAULT_IMAGE_TO_IMAGE_STEPS) {
      this.steps = DEFAULT_IMAGE_TO_IMAGE_STEPS;
      this.notify(`Steps set to ${this.steps}: at strength ${this.strength} one step would change nothing.`);
    }
  }

  private readonly sourceActions: SourceImageActions = {
    choose: (image) => this.chooseSourceImage(image),
    remove: () => {
      this.sourceImage = undefined;
      this.sourceError = undefined;
    },
    strengthChange: (strength) => (this.strength = strength),
  };

  private readonly savedActions: SavedGalleryActions = {
    download: (entry) =>
      void this.savedImages.get(entry.id).then(
        (png) => png && downloadBlob(png, imageFileName(entry.settings.seed, entry.settings.prompt)),
        (error: Error) => this.notify(`Could not read the saved image: ${error.message}`),
      ),
    useSettings: ({ settings }) => {
      this.prompt = settings.prompt;
      this.seed = settings.seed;
      this.steps = settings.steps;
      if (settings.strength !== undefined) this.strength = settings.strength;
      this.notify(`Prompt, seed ${settings.seed} and ${settings.steps} step(s) are set.`);
    },
    delete: (entry) => void this.savedImages.delete(entry.id),
    clearAll: () => void this.savedImages.clear(),
    freeAndSave: () => void this.savedImages.freeAndSave(),
    dismissQuestion: () => this.savedImages.dismiss(),
  };

  protected renderSavedGallery(): TemplateResult {
    return html`<sd-saved-gallery-view
      .actions=${this.savedActions}
      .entries=${this.savedImages.saved}
      .question=${this.savedImages.question}
    ></sd-saved-gallery-view>`;
  }

  protected renderSourceImage(): TemplateResult | typeof nothing {
    if (!this.canUseSourceImage) return nothing;
    return html`<sd-source-image-panel
      .actions=${this.sourceActions}
      .image=${this.sourceImage}
      .error=${this.sourceError}
      .strength=${this.strength}
      .strengthError=${this.inputProblems.strength}
    ></sd-source-image-panel>`;
  }

  protected renderRealtimeStats(): TemplateResult | typeof nothing {
    if (!this.realtime) return nothing;
    const { imagesPerSecond, lastLatencyMs } = this.realtimeRuns;
    return html`<p class="hint" part="realtime-stats">
      Real time: ${imagesPerSecond.toFixed(1)} images/s · last edit to image
      ${lastLatencyMs === undefined ? '–' : formatMilliseconds(lastLatencyMs)}
    </p>`;
  }
}
