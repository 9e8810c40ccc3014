/** This session's images as a grid of thumbnails; a click shows one again. */
import { html, nothing, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import type { GalleryEntry } from '../controllers/generator-controller.js';
import { drawBitmap } from '../image-detail.js';
import { LightElement } from '../light-element.js';

export class GalleryView extends LightElement {
  @property({ attribute: false }) entries: GalleryEntry[] = [];
  @property({ attribute: false }) shownId?: number;
  @property({ attribute: false }) show?: (id: number) => void;

  protected override updated(): void {
    for (const canvas of this.querySelectorAll<HTMLCanvasElement>('canvas[data-thumbnail]')) {
      const entry = this.entries.find((candidate) => String(candidate.id) === canvas.dataset.thumbnail);
      if (entry && canvas.dataset.drawn !== canvas.dataset.thumbnail) {
        drawBitmap(canvas, entry.image.bitmap);
        canvas.dataset.drawn = canvas.dataset.thumbnail;
      }
    }
  }

  protected override render(): TemplateResult | typeof nothing {
    if (this.entries.length < 2) return nothing;
    const count = this.entries.length;
    return html`
      <section part="gallery" aria-labelledby="gallery-title">
        <h3 id="gallery-title" class="hint">This session's images</h3>
        <ul class="gallery">
          ${this.entries.map(
            (entry, index) =>
              html`<li>
                <button
                  type="button"
                  aria-current=${entry.id === this.shownId ? 'true' : 'false'}
                  aria-label=${`Show image ${count - index}: ${entry.image.prompt || 'empty prompt'}, seed ${entry.image.seed}`}
                  @click=${() => this.show?.(entry.id)}
                >
                  <canvas data-thumbnail=${entry.id}></canvas>
                </button>
              </li>`,
          )}
        </ul>
      </section>
    `;
  }
}
