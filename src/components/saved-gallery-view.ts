/**
 * The images kept in this browser (GalleryStore), newest first: download, "use these settings", delete,
 * clear all (after a question saying how many go), and the question asked before the oldest images are
 * deleted to make room.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { GalleryEntry } from '../pipeline/index.js';
import { focusCancel, renderConfirmQuestion } from './confirm-question.js';
import type { QuotaQuestion } from './controllers/gallery-controller.js';
import { plural } from './input-checks.js';
import { LightElement } from './light-element.js';

export interface SavedGalleryActions {
  download(entry: GalleryEntry): void;
  useSettings(entry: GalleryEntry): void;
  delete(entry: GalleryEntry): void;
  clearAll(): void;
  freeAndSave(): void;
  dismissQuestion(): void;
}

export class SavedGalleryView extends LightElement {
  @property({ attribute: false }) actions?: SavedGalleryActions;
  @property({ attribute: false }) entries: GalleryEntry[] = [];
  @property({ attribute: false }) question?: QuotaQuestion;
  /** Clear all was pressed: the question is shown until the user answers it. */
  @state() private confirmingClear = false;
  /** Object URLs of the thumbnails shown, by entry id; revoked when their entry goes. */
  private readonly thumbnailUrls = new Map<string, string>();

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const url of this.thumbnailUrls.values()) URL.revokeObjectURL(url);
    this.thumbnailUrls.clear();
  }

  private thumbnailUrl(entry: GalleryEntry): string {
    let url = this.thumbnailUrls.get(entry.id);
    if (!url) this.thumbnailUrls.set(entry.id, (url = URL.createObjectURL(entry.thumbnail)));
    return url;
  }

  private forgetGone(): void {
    const ids = new Set(this.entries.map((entry) => entry.id));
    for (const [id, url] of this.thumbnailUrls) {
      if (ids.has(id)) continue;
      URL.revokeObjectURL(url);
      this.thumbnailUrls.delete(id);
    }
  }

  protected override render(): TemplateResult | typeof nothing {
    this.forgetGone();
    if (this.entries.length === 0 && !this.question) return nothing;
    return html`
      <section part="saved-gallery" aria-labelledby="saved-gallery-title">
        <h3 id="saved-gallery-title" class="hint">Saved in this browser (${this.entries.length})</h3>
        ${this.question ? this.renderQuestion(this.question) : nothing}
        <ul class="saved-gallery">
          ${this.entries.map((entry) => this.renderEntry(entry))}
        </ul>
        ${this.entries.length > 0 ? this.renderClearAll() : nothing}
      </section>
    `;
  }

  private renderClearAll(): TemplateResult {
    if (!this.confirmingClear) {
      return html`<button type="button" part="clear-gallery-button" @click=${() => this.askToClear()}>
        Clear all
      </button>`;
    }
    const images = plural(this.entries.length, 'saved image');
    return renderConfirmQuestion({
      part: 'confirm-clear',
      message: `Delete ${this.entries.length === 1 ? 'the' : 'all'} ${images} from this browser? This cannot be undone.`,
      confirmLabel: `Delete ${images}`,
      cancelLabel: 'Cancel',
      confirm: () => {
        this.confirmingClear = false;
        this.actions?.clearAll();
      },
      cancel: () => void this.answerNo(),
    });
  }

  private askToClear(): void {
    this.confirmingClear = true;
    void focusCancel(this, 'confirm-clear');
  }

  private async answerNo(): Promise<void> {
    this.confirmingClear = false;
    await this.updateComplete;
    this.querySelector<HTMLElement>('[part~="clear-gallery-button"]')?.focus();
  }

  /** Never deletes on its own: the user chooses between freeing room and not saving this image. */
  private renderQuestion(question: QuotaQuestion): TemplateResult {
    return html`<div role="alertdialog" aria-labelledby="quota-question" part="quota-question">
      <p id="quota-question">${question.message}</p>
      <button
        type="button"
        class="danger"
        part="free-and-save-button"
        @click=${() => this.actions?.freeAndSave()}
      >
        Delete the ${question.oldestToDelete} oldest and save
      </button>
      <button type="button" part="dont-save-button" @click=${() => this.actions?.dismissQuestion()}>
        Don't save this image
      </button>
    </div>`;
  }

  private renderEntry(entry: GalleryEntry): TemplateResult {
    const { prompt, seed, steps } = entry.settings;
    const label = `${prompt || 'empty prompt'}, seed ${seed}`;
    return html`<li part="saved-image" data-prompt=${prompt}>
      <img src=${this.thumbnailUrl(entry)} alt=${label} width="96" height="96" />
      <span class="hint">seed ${seed} · ${steps} step${steps === 1 ? '' : 's'}</span>
      <button type="button" part="saved-download-button" @click=${() => this.actions?.download(entry)}>
        Download
      </button>
      <button type="button" part="use-settings-button" @click=${() => this.actions?.useSettings(entry)}>
        Use these settings
      </button>
      <button
        type="button"
        part="saved-delete-button"
        aria-label=${`Delete ${label}`}
        @click=${() => this.actions?.delete(entry)}
      >
        Delete
      </button>
    </li>`;
  }
}
