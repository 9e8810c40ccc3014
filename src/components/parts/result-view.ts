/**
 * The shown image with its prompt beneath it (its details and actions are `sd-result-details`). While a
 * run is in progress the previous image stays, dimmed, under the stage, the time and Cancel.
 */
import { css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query } from 'lit/decorators.js';
import type { GenerationStage, ImageProgress } from '../../pipeline/index.js';
import type { GeneratorStage } from '../controllers/generator-controller.js';
import type { SdImageDetail } from '../events.js';
import { drawBitmap } from '../image-detail.js';
import { plural } from '../input-checks.js';
import { LightElement } from '../light-element.js';

const STAGE_LABELS: Record<GeneratorStage, string> = {
  loading: 'Loading the model',
  generating: 'Generating',
};

/** What the pipeline is doing now; the UNet says which of its steps. */
const PROGRESS_LABELS: Record<Exclude<GenerationStage, 'unet'>, string> = {
  'text-encoder': 'reading the prompt',
  'vae-encoder': 'encoding the source image',
  'vae-decoder': 'decoding the image',
};

function progressLabel(progress: ImageProgress): string {
  if (progress.stage === 'unet') return `step ${progress.step} of ${progress.steps}`;
  return PROGRESS_LABELS[progress.stage];
}

/** The image and its busy state: the picture dims under a spinner and the time so far. The element adopts it (light-DOM parts have no shadow root of their own). */
export const resultViewStyles = css`
  /* The whole image, its caption and the gallery fit one screen. */
  .stage {
    position: relative;
    width: min(100%, 72vh);
  }
  .stage.busy :is(canvas.image, .placeholder) {
    opacity: 0.35;
    filter: grayscale(0.6);
    transition: opacity 0.2s;
  }
  .busy-overlay {
    position: absolute;
    inset: 0;
    display: grid;
    place-content: center;
    justify-items: center;
    gap: 6px;
    text-align: center;
    font-variant-numeric: tabular-nums;
  }
  .busy-overlay [part='elapsed'] {
    font-size: 1.6em;
    font-weight: 700;
  }
  .image-caption {
    width: min(100%, 72vh);
    margin: 8px 0 0;
    font-size: 1.05em;
    line-height: 1.4;
    display: -webkit-box;
    -webkit-line-clamp: 3;
    -webkit-box-orient: vertical;
    overflow: hidden;
  }
  .stage button.cancel {
    position: absolute;
    left: 50%;
    bottom: var(--_gap);
    transform: translateX(-50%);
    min-width: 12ch;
    background: var(--_bg);
    border-color: var(--_fg);
    font-weight: 600;
  }
  .spinner {
    width: 32px;
    height: 32px;
    border: 3px solid var(--_border);
    border-top-color: var(--_accent);
    border-radius: 50%;
    animation: spin 0.9s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(1turn);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation: none;
    }
  }
`;

export class ResultView extends LightElement {
  @property({ attribute: false }) image?: SdImageDetail;
  @property({ attribute: false }) stage?: GeneratorStage;
  @property({ attribute: false }) steps = 0;
  /** The stage of the image being made, once its first stage has started. */
  @property({ attribute: false }) progress?: ImageProgress;
  @property({ attribute: false }) elapsedMs = 0;
  /** Cancel on the busy image: never where a second click on Generate lands. */
  @property({ attribute: false }) cancel?: () => void;

  @query('canvas.image') private canvas?: HTMLCanvasElement;
  private drawn?: SdImageDetail;

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('image') && this.canvas && this.image && this.drawn !== this.image) {
      drawBitmap(this.canvas, this.image.bitmap);
      this.drawn = this.image;
    }
  }

  protected override render(): TemplateResult {
    const busy = this.stage !== undefined;
    return html`
      <div class="stage ${busy ? 'busy' : ''}" aria-busy=${busy ? 'true' : 'false'}>
        ${this.image ? this.renderImage(this.image) : this.renderPlaceholder(busy)}
        ${busy ? this.renderBusy() : nothing}
        ${
          busy
            ? html`<button type="button" class="cancel" part="cancel-button" @click=${() => this.cancel?.()}>
                Cancel
              </button>`
            : nothing
        }
      </div>
      ${
        this.image
          ? html`<p class="image-caption" part="image-caption" title=${this.image.prompt}>
              ${this.image.prompt || 'Empty prompt'}
            </p>`
          : nothing
      }
    `;
  }

  private renderPlaceholder(busy: boolean): TemplateResult {
    return html`<div class="placeholder" part="placeholder">
      ${busy ? '' : 'Your image will appear here.'}
    </div>`;
  }

  private renderImage(image: SdImageDetail): TemplateResult {
    return html`<canvas
      class="image ${image.width < 256 ? 'small' : ''}"
      part="image"
      role="img"
      tabindex="0"
      aria-label=${`Generated image for "${image.prompt}", seed ${image.seed}`}
    ></canvas>`;
  }

  /** The live region already says that a run started; this is the picture of it. */
  private renderBusy(): TemplateResult {
    const stage = this.stage ?? 'generating';
    let detail = '';
    if (stage === 'generating') {
      detail = ` · ${this.progress ? progressLabel(this.progress) : plural(this.steps, 'step')}`;
    }
    return html`<div class="busy-overlay" part="busy">
      <span class="spinner" aria-hidden="true"></span>
      <strong part="busy-stage">${STAGE_LABELS[stage]}${detail}</strong>
      <span part="elapsed">${(this.elapsedMs / 1000).toFixed(1)} s</span>
      <span class="hint">Esc cancels</span>
    </div>`;
  }
}
