/**
 * What the element shows of its images: the image being made or shown, what is known about it, and one
 * gallery of this session's images and the saved ones (the gallery controller keeps every image made
 * with Generate across reloads).
 */
import { html, type TemplateResult } from 'lit';
import { GalleryController } from '../controllers/gallery-controller.js';
import type { SdImageDetail } from '../events.js';
import { copyImage, downloadBlob, downloadPng } from '../image-actions.js';
import { imageFileName } from '../../image-file/index.js';
import type { ResultActions } from '../parts/result-details.js';
import type { GalleryActions, GalleryCard } from '../parts/gallery-view.js';
import type { ElementHost } from './element-host.js';

export class ResultsPart {
  readonly savedImages: GalleryController;

  private readonly resultActions: ResultActions = {
    downloadPng: (image) => void downloadPng(image),
    copyImage: (image) => void copyImage(image).then((outcome) => this.el.feedback.notify(outcome)),
    reuseSeed: (seed) => (this.el.seed = seed),
  };

  private readonly galleryActions: GalleryActions = {
    show: (id) => this.el.generator.show(id),
    download: ({ session, saved }) => {
      if (session) return void downloadPng(session.image);
      void this.savedImages.get(saved!.id).then(
        (png) =>
          png &&
          downloadBlob(png, imageFileName(saved!.settings.seed, saved!.settings.prompt, saved!.settings)),
        (error: Error) => this.el.feedback.notify(`Could not read the saved image: ${error.message}`),
      );
    },
    reuse: ({ session, saved }) => {
      const settings = session?.image ?? saved!.settings;
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

  /** This session's images first (each with its saved entry, if any), then those saved in earlier visits. */
  private galleryCards(): GalleryCard[] {
    const cards: GalleryCard[] = this.el.generator.gallery.map((session) => ({
      session,
      saved: this.savedImages.savedEntryOf(session.image),
    }));
    const shown = new Set(cards.map((card) => card.saved?.id));
    for (const saved of this.savedImages.saved) if (!shown.has(saved.id)) cards.push({ saved });
    return cards;
  }

  renderGallery(): TemplateResult {
    return html`<sd-gallery-view
      .actions=${this.galleryActions}
      .cards=${this.galleryCards()}
      .shownId=${this.el.generator.shownId}
      .question=${this.savedImages.question}
    ></sd-gallery-view>`;
  }
}
