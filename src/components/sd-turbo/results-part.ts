/**
 * What the element shows of its images: the image being made or shown, what is known about it, this
 * session's images, and the saved gallery (the gallery controller that keeps every image made with
 * Generate across reloads).
 */
import { html, type TemplateResult } from 'lit';
import { GalleryController } from '../controllers/gallery-controller.js';
import type { SdImageDetail } from '../events.js';
import { copyImage, downloadBlob, downloadPng } from '../image-actions.js';
import { imageFileName } from '../../image-file/index.js';
import type { ResultActions } from '../parts/result-details.js';
import type { SavedGalleryActions } from '../parts/saved-gallery-view.js';
import type { ElementHost } from './element-host.js';

export class ResultsPart {
  readonly savedImages: GalleryController;

  private readonly resultActions: ResultActions = {
    downloadPng: (image) => void downloadPng(image),
    copyImage: (image) => void copyImage(image).then((outcome) => this.el.feedback.notify(outcome)),
    reuseSeed: (seed) => (this.el.seed = seed),
  };

  private readonly savedActions: SavedGalleryActions = {
    download: (entry) =>
      void this.savedImages.get(entry.id).then(
        (png) =>
          png && downloadBlob(png, imageFileName(entry.settings.seed, entry.settings.prompt, entry.settings)),
        (error: Error) => this.el.feedback.notify(`Could not read the saved image: ${error.message}`),
      ),
    useSettings: ({ settings }) => {
      const el = this.el;
      el.prompt = settings.prompt;
      el.seed = settings.seed;
      el.steps = settings.steps;
      if (settings.strength !== undefined) el.strength = settings.strength;
      el.feedback.notify(`Prompt, seed ${settings.seed} and ${settings.steps} step(s) are set.`);
    },
    delete: (entry) => void this.savedImages.delete(entry.id),
    clearAll: () => void this.savedImages.clear(),
    freeAndSave: () => void this.savedImages.freeAndSave(),
    dismissQuestion: () => this.savedImages.dismiss(),
  };

  constructor(private readonly el: ElementHost) {
    this.savedImages = new GalleryController(el, (text) => el.feedback.notify(text));
  }

  /** Images made on request are saved; real-time previews (one per edit) are not. */
  save(image: SdImageDetail): void {
    void this.savedImages.save(image);
  }

  /** The Cancel button goes with the busy state: focus returns to the prompt, not to the page. */
  private cancelFromImage(): void {
    this.el.cancel();
    this.el.renderRoot.querySelector<HTMLElement>('#prompt')?.focus();
  }

  renderImage(): TemplateResult {
    const generator = this.el.generator;
    return html`<sd-result-view
      .image=${generator.shown}
      .stage=${generator.stage}
      .steps=${generator.steps}
      .progress=${generator.progress}
      .elapsedMs=${generator.elapsedMs}
      .cancel=${() => this.cancelFromImage()}
    ></sd-result-view>`;
  }

  renderBatch(): TemplateResult {
    const generator = this.el.generator;
    return html`<sd-batch-grid
      .entries=${generator.batch}
      .shownId=${generator.shownId}
      .show=${(id: number) => generator.show(id)}
    ></sd-batch-grid>`;
  }

  renderDetails(): TemplateResult {
    return html`<sd-result-details
      .actions=${this.resultActions}
      .image=${this.el.generator.shown}
    ></sd-result-details>`;
  }

  renderSessionGallery(): TemplateResult {
    const generator = this.el.generator;
    return html`<sd-gallery-view
      .entries=${generator.gallery}
      .shownId=${generator.shownId}
      .show=${(id: number) => generator.show(id)}
    ></sd-gallery-view>`;
  }

  renderSavedGallery(): TemplateResult {
    return html`<sd-saved-gallery-view
      .actions=${this.savedActions}
      .entries=${this.savedImages.saved}
      .question=${this.savedImages.question}
    ></sd-saved-gallery-view>`;
  }
}
