/**
 * What is known about the shown image and what to do with it (its prompt is under the image itself): in
 * small type seed, steps, provider and seconds per image, Download / Copy / Reuse seed, and the stage
 * timings behind a disclosure. Beside the image on a wide element, under it on a narrow one.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import type { SdImageDetail } from '../events.js';
import { formatMilliseconds, formatSeconds } from '../format.js';
import { plural } from '../input-checks.js';
import { icon } from '../icons.js';
import { LightElement } from '../light-element.js';

export interface ResultActions {
  downloadPng(image: SdImageDetail): void;
  copyImage(image: SdImageDetail): void;
  reuseSeed(seed: number): void;
}

export class ResultDetails extends LightElement {
  @property({ attribute: false }) actions?: ResultActions;
  @property({ attribute: false }) image?: SdImageDetail;

  protected override render(): TemplateResult | typeof nothing {
    const image = this.image;
    if (!image) return nothing;
    const timings = image.timings;
    const unetTotal = timings.unetMs.reduce((sum, ms) => sum + ms, 0);
    return html`
      <figure class="figure" part="result">
        <figcaption>
          <p class="hint result-meta">
            seed <output part="image-seed">${image.seed}</output> · ${plural(image.steps, 'step')} ·
            ${image.provider === 'webgpu' ? 'WebGPU' : 'wasm (CPU)'} ·
            <span part="seconds-per-image">${formatSeconds(timings.totalMs)} per image</span>
          </p>
        </figcaption>
        <div class="row result-actions">
          <button type="button" part="download-png-button" @click=${() => this.actions?.downloadPng(image)}>
            ${icon('download')} Download PNG
          </button>
          <button type="button" part="copy-button" @click=${() => this.actions?.copyImage(image)}>
            Copy image
          </button>
          <button
            type="button"
            part="reuse-seed-button"
            title=${`Use seed ${image.seed} for the next image`}
            @click=${() => this.actions?.reuseSeed(image.seed)}
          >
            Reuse seed
          </button>
        </div>
        <details part="timings-disclosure">
          <summary>Stage timings</summary>
          <dl class="timings" part="timings">
            <dt>Tokenizer</dt>
            <dd>${formatMilliseconds(timings.tokenizeMs)}</dd>
            <dt>Text encoder</dt>
            <dd>${formatMilliseconds(timings.textEncoderMs)}</dd>
            <dt>UNet (${plural(timings.unetMs.length, 'step')})</dt>
            <dd>${formatMilliseconds(unetTotal)}</dd>
            <dt>VAE decoder</dt>
            <dd>${formatMilliseconds(timings.vaeMs)}</dd>
            <dt>Pipeline overhead</dt>
            <dd>${formatMilliseconds(timings.overheadMs)}</dd>
          </dl>
        </details>
      </figure>
    `;
  }
}
