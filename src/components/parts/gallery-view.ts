/**
 * One gallery of the user's images, newest first: this session's images (saved in this browser or not:
 * real-time previews, an image the user chose not to save, or storage that failed) and then the images
 * saved in earlier visits. Each is a card: the thumbnail (a button that shows one of this session's images
 * large), the prompt on one line (the whole prompt in its tooltip) with seed and steps small under it
 * ("not saved" where it is not), and small buttons named in words: Download, Reuse (its prompt, seed and
 * steps) and Delete (saved images only). Clear all sits on the header line beside the count of saved
 * images and asks first, saying how many go; the question asked before the oldest images are deleted to
 * make room sits under the header.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { GalleryEntry as SavedEntry } from '../../gallery/index.js';
import type { GalleryEntry as SessionEntry } from '../controllers/generator-controller.js';
import type { QuotaQuestion } from '../controllers/gallery-controller.js';
import { plural } from '../input-checks.js';
import { LightElement } from '../light-element.js';
import { drawThumbnails } from './batch-grid.js';
import { focusCancel, renderConfirmQuestion } from './confirm-question.js';

/** Images narrower than a card are drawn with crisp pixels, not blurred. */
const THUMBNAIL_CSS_PX = 160;

/** One image in the gallery: one of this session's (`session`), saved (`saved`), or both. */
export interface GalleryCard {
  session?: SessionEntry;
  saved?: SavedEntry;
}

export interface GalleryActions {
  show(sessionId: number): void;
  download(card: GalleryCard): void;
  reuse(card: GalleryCard): void;
  delete(saved: SavedEntry): void;
  clearAll(): void;
  freeAndSave(): void;
  dismissQuestion(): void;
}

function settingsOf({ session, saved }: GalleryCard): { prompt: string; seed: number; steps: number } {
  return session?.image ?? saved!.settings;
}

export class GalleryView extends LightElement {
  @property({ attribute: false }) actions?: GalleryActions;
  @property({ attribute: false }) cards: GalleryCard[] = [];
  @property({ attribute: false }) shownId?: number;
  @property({ attribute: false }) question?: QuotaQuestion;
  /** Clear all was pressed: the question is shown until the user answers it. */
  @state() private confirmingClear = false;
  /** Object URLs of the saved thumbnails shown, by entry id; revoked when their entry goes. */
  private readonly thumbnailUrls = new Map<string, string>();

  private get savedCount(): number {
    return this.cards.filter((card) => card.saved).length;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const url of this.thumbnailUrls.values()) URL.revokeObjectURL(url);
    this.thumbnailUrls.clear();
  }

  /** A question about images that are all gone already (deleted one by one) is not asked again later. */
  protected override willUpdate(): void {
    if (this.savedCount === 0) this.confirmingClear = false;
  }

  protected override updated(): void {
    drawThumbnails(
      this,
      this.cards.flatMap((card) => (card.session ? [card.session] : [])),
    );
  }

  private thumbnailUrl(entry: SavedEntry): string {
    let url = this.thumbnailUrls.get(entry.id);
    if (!url) this.thumbnailUrls.set(entry.id, (url = URL.createObjectURL(entry.thumbnail)));
    return url;
  }

  private forgetGone(): void {
    const ids = new Set(this.cards.map((card) => card.saved?.id));
    for (const [id, url] of this.thumbnailUrls) {
      if (ids.has(id)) continue;
      URL.revokeObjectURL(url);
      this.thumbnailUrls.delete(id);
    }
  }

  protected override render(): TemplateResult | typeof nothing {
    this.forgetGone();
    if (this.cards.length === 0 && !this.question) return nothing;
    const saved = this.savedCount;
    return html`
      <section part="gallery" aria-labelledby="gallery-title">
        <div class="section-header" part="gallery-header">
          <h3 id="gallery-title" class="hint">Your images</h3>
          <span class="hint" part="gallery-count">${saved} saved in this browser</span>
          ${saved > 0 && !this.confirmingClear ? this.renderClearAll() : nothing}
        </div>
        ${this.confirmingClear ? this.renderClearQuestion() : nothing}
        ${this.question ? this.renderQuestion(this.question) : nothing}
        <ul class="cards">
          ${this.cards.map((card) => this.renderCard(card))}
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
    const count = this.savedCount;
    const images = plural(count, 'saved image');
    return renderConfirmQuestion({
      part: 'confirm-clear',
      message: `Delete ${count === 1 ? 'the' : 'all'} ${images} from this browser? This cannot be undone.`,
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

  /** This session's images are shown large on a click; one saved in an earlier visit is a picture only. */
  private renderThumbnail({ session, saved }: GalleryCard, label: string): TemplateResult {
    if (!session) {
      return html`<img
        class=${saved!.settings.width < THUMBNAIL_CSS_PX ? 'small' : ''}
        part="gallery-thumbnail"
        src=${this.thumbnailUrl(saved!)}
        alt=${label}
        width="192"
        height="192"
      />`;
    }
    const small = session.image.width < THUMBNAIL_CSS_PX ? 'small' : '';
    return html`<button
      type="button"
      part="show-image-button"
      aria-current=${session.id === this.shownId ? 'true' : 'false'}
      aria-label=${`Show ${label}`}
      @click=${() => this.actions?.show(session.id)}
    >
      <canvas class=${small} part="gallery-thumbnail" data-thumbnail=${session.id}></canvas>
    </button>`;
  }

  private renderCard(card: GalleryCard): TemplateResult {
    const { prompt, seed, steps } = settingsOf(card);
    const label = `${prompt || 'empty prompt'}, seed ${seed}`;
    const meta = `seed ${seed} · ${plural(steps, 'step')}${card.saved ? '' : ' · not saved'}`;
    const saved = card.saved;
    return html`<li
      class="card"
      part=${saved ? 'gallery-image saved-image' : 'gallery-image unsaved-image'}
      data-prompt=${prompt}
    >
      ${this.renderThumbnail(card, label)}
      <p class="card-caption" part="gallery-caption" title=${`${prompt || 'Empty prompt'}\n${meta}`}>
        <span class="card-prompt">${prompt || 'empty prompt'}</span><span class="visually-hidden"> · </span
        ><span class="card-meta">${meta}</span>
      </p>
      <div class="card-actions" part="gallery-actions">
        <button
          type="button"
          class="small"
          part="gallery-download-button"
          title="Download PNG"
          aria-label=${`Download ${label}`}
          @click=${() => this.actions?.download(card)}
        >
          Download
        </button>
        <button
          type="button"
          class="small"
          part="gallery-reuse-button"
          title="Reuse this prompt, seed and steps"
          aria-label=${`Reuse settings: ${label}`}
          @click=${() => this.actions?.reuse(card)}
        >
          Reuse
        </button>
        ${
          saved
            ? html`<button
                type="button"
                class="small"
                part="gallery-delete-button"
                title="Delete from this browser"
                aria-label=${`Delete ${label}`}
                @click=${() => this.actions?.delete(saved)}
              >
                Delete
              </button>`
            : nothing
        }
      </div>
    </li>`;
  }
}
