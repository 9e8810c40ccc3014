/**
 * The images kept in this browser (GalleryStore), newest first, as a grid of cards: the thumbnail, the
 * prompt on one line (the whole prompt in its tooltip) with seed and steps small under it, and small
 * buttons named in words: Download, Reuse (its prompt, seed and steps) and Delete. Clear all sits on the header line beside the count and asks
 * first, saying how many go; the question asked before the oldest images are deleted to make room sits
 * under the header.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { GalleryEntry } from '../../gallery/index.js';
import { focusCancel, renderConfirmQuestion } from './confirm-question.js';
import type { QuotaQuestion } from '../controllers/gallery-controller.js';
import { plural } from '../input-checks.js';
import { LightElement } from '../light-element.js';

/** Images narrower than a card are drawn with crisp pixels, not blurred. */
const THUMBNAIL_CSS_PX = 160;

export interface SavedGalleryActions {
  download(entry: GalleryEntry): void;
  useSettings(entry: GalleryEntry): void;
  delete(entry: GalleryEntry): void;
  clearAll(): void;
  freeAndSave(): void;
  dismissQuestion(): void;
}

/** Saved images as cards in a grid that fills the width. The element adopts it (light-DOM parts have no shadow root of their own). */
export const savedGalleryStyles = css`
  /* Saved images: cards in a grid that fills the width, as many columns as fit. */
  ul.saved-gallery {
    --_card-width: 150px;
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(var(--_card-width), 1fr));
    gap: 10px;
  }
  /* Two cards side by side on a phone; wider cards, with more of their prompts, on a wide element. */
  @container (min-width: 720px) {
    ul.saved-gallery {
      --_card-width: 180px;
    }
  }
  li.saved-card {
    display: grid;
    min-width: 0;
    overflow: hidden;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
  }
  li.saved-card img {
    display: block;
    width: 100%;
    height: auto;
    aspect-ratio: 1;
    object-fit: cover;
    background: var(--_bg);
  }
  li.saved-card img.small {
    image-rendering: pixelated;
  }
  .saved-caption {
    margin: 0;
    padding: 6px 8px 0;
    display: grid;
    min-width: 0;
  }
  .saved-prompt,
  .saved-meta {
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .saved-prompt {
    font-size: 0.88em;
    font-weight: 500;
  }
  .saved-meta {
    font-size: 0.75em;
    color: var(--_muted);
  }
  /* One row on a wide card; on a phone's narrow card Delete wraps rather than leaving the card. */
  .saved-actions {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 2px;
    padding: 2px 4px 4px;
  }
  .saved-actions button {
    padding: 2px 6px;
    font-size: 0.78em;
    color: var(--_muted);
    background: transparent;
    border-color: transparent;
  }
  .saved-actions button:hover {
    color: var(--_fg);
    border-color: var(--_border);
  }
  /* Delete apart from the others, at the card's end, and red when pointed at. */
  .saved-actions [part~='saved-delete-button'] {
    margin-left: auto;
  }
  .saved-actions [part~='saved-delete-button']:hover {
    color: var(--_error);
    border-color: var(--_error);
  }
`;

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

  /** A question about images that are all gone already (deleted one by one) is not asked again later. */
  protected override willUpdate(): void {
    if (this.entries.length === 0) this.confirmingClear = false;
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
    const confirming = this.confirmingClear;
    return html`
      <section part="saved-gallery" aria-labelledby="saved-gallery-title">
        <div class="section-header" part="saved-gallery-header">
          <h3 id="saved-gallery-title" class="hint">Saved in this browser (${this.entries.length})</h3>
          ${this.entries.length > 0 && !confirming ? this.renderClearAll() : nothing}
        </div>
        ${confirming ? this.renderClearQuestion() : nothing}
        ${this.question ? this.renderQuestion(this.question) : nothing}
        <ul class="saved-gallery">
          ${this.entries.map((entry) => this.renderEntry(entry))}
        </ul>
      </section>
    `;
  }

  private renderClearAll(): TemplateResult {
    return html`<button
      type="button"
      class="small"
      part="clear-gallery-button"
      @click=${() => this.askToClear()}
    >
      Clear all
    </button>`;
  }

  private renderClearQuestion(): TemplateResult {
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
    const { prompt, seed, steps, width } = entry.settings;
    const label = `${prompt || 'empty prompt'}, seed ${seed}`;
    const meta = `seed ${seed} · ${plural(steps, 'step')}`;
    return html`<li class="saved-card" part="saved-image" data-prompt=${prompt}>
      <img
        class=${width < THUMBNAIL_CSS_PX ? 'small' : ''}
        part="saved-thumbnail"
        src=${this.thumbnailUrl(entry)}
        alt=${label}
        width="192"
        height="192"
      />
      <p class="saved-caption" part="saved-caption" title=${`${prompt || 'Empty prompt'}\n${meta}`}>
        <span class="saved-prompt">${prompt || 'empty prompt'}</span><span class="visually-hidden"> · </span
        ><span class="saved-meta">${meta}</span>
      </p>
      <div class="saved-actions" part="saved-actions">
        <button
          type="button"
          class="small"
          part="saved-download-button"
          title="Download PNG"
          aria-label=${`Download ${label}`}
          @click=${() => this.actions?.download(entry)}
        >
          Download
        </button>
        <button
          type="button"
          class="small"
          part="use-settings-button"
          title="Reuse this prompt, seed and steps"
          aria-label=${`Reuse settings: ${label}`}
          @click=${() => this.actions?.useSettings(entry)}
        >
          Reuse
        </button>
        <button
          type="button"
          class="small"
          part="saved-delete-button"
          title="Delete"
          aria-label=${`Delete ${label}`}
          @click=${() => this.actions?.delete(entry)}
        >
          Delete
        </button>
      </div>
    </li>`;
  }
}
