/** The images of one Generate with a count above 1, in seed order, as a grid; a click shows one large. */
import { css, html, nothing, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import type { GalleryEntry } from '../controllers/generator-controller.js';
import { drawBitmap } from '../image-detail.js';
import { LightElement } from '../light-element.js';

/** Draws each `canvas[data-thumbnail]` from its session image, once per image. */
export function drawThumbnails(root: ParentNode, entries: readonly GalleryEntry[]): void {
  for (const canvas of root.querySelectorAll<HTMLCanvasElement>('canvas[data-thumbnail]')) {
    const entry = entries.find((candidate) => String(candidate.id) === canvas.dataset.thumbnail);
    if (entry && canvas.dataset.drawn !== canvas.dataset.thumbnail) {
      drawBitmap(canvas, entry.image.bitmap);
      canvas.dataset.drawn = canvas.dataset.thumbnail;
    }
  }
}

export class BatchGrid extends LightElement {
  @property({ attribute: false }) entries: GalleryEntry[] = [];
  @property({ attribute: false }) shownId?: number;
  @property({ attribute: false }) show?: (id: number) => void;

  protected override updated(): void {
    drawThumbnails(this, this.entries);
  }

  protected override render(): TemplateResult | typeof nothing {
    if (this.entries.length < 2) return nothing;
    return html`
      <section part="batch" aria-label="The images of the latest Generate">
        <ul class="gallery batch-grid">
          ${this.entries.map(
            (entry) =>
              html`<li>
                <button
                  type="button"
                  part="batch-image"
                  data-seed=${entry.image.seed}
                  aria-current=${entry.id === this.shownId ? 'true' : 'false'}
                  aria-label=${`Show the image with seed ${entry.image.seed}`}
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

/** Two columns for up to four images, four columns above: each thumbnail stays large enough to judge. */
export const batchGridStyles = css`
  ul.batch-grid {
    grid-template-columns: repeat(2, minmax(0, 1fr));
  }
  ul.batch-grid:has(> li:nth-child(5)) {
    grid-template-columns: repeat(4, minmax(0, 1fr));
  }
`;
