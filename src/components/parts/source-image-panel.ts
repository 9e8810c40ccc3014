/**
 * Image to image: the picture to start from (file picker, drag and drop, or Draw, which shows the sketch pad;
 * paste is heard by the element) and the strength, with its error when steps × strength would run no UNet
 * step. Only shown for a model with a VAE encoder.
 */
import { css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { drawBitmap } from '../image-detail.js';
import { LightElement } from '../light-element.js';

export interface SourceImageActions {
  choose(image: Blob): void;
  remove(): void;
  strengthChange(strength: number): void;
  /** Shows or hides the sketch pad. */
  toggleDrawing(): void;
}

/** The drop zone, the preview and the strength, side by side where they fit. The element adopts it (light-DOM parts have no shadow root of their own). */
export const sourceImageStyles = css`
  /* Image to image: a quiet line of small buttons in a faint dashed zone that lights up while a file is
     dragged over it; it is not the image, so it does not weigh as much. */
  .drop-zone {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
    padding: 4px 6px;
    font-size: 0.92em;
    border: 1px dashed var(--_border);
    border-radius: var(--_radius);
  }
  .drop-zone .hint {
    font-size: 0.9em;
  }
  .drop-zone.dragging {
    border-color: var(--_accent);
    outline: 2px solid var(--_accent);
  }
  canvas.source-preview {
    width: 64px;
    height: 64px;
    object-fit: cover;
    border-radius: var(--_radius);
  }
  /* Image to image: the drop zone and, once there is a picture, its strength beside it (under it on a phone). */
  section[part~='source-image'] {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px var(--_gap);
  }
  section[part~='source-image'] > * {
    min-width: 0;
    max-width: 100%;
  }
  section[part~='source-image'] > .drop-zone {
    flex: 1 1 auto;
  }
  section[part~='source-image'] > [part~='strength'] {
    flex: 1 1 200px;
    max-width: 320px;
  }
  section[part~='source-image'] > .field-error {
    flex-basis: 100%;
  }
  /* The pad on a line of its own: wide enough to draw on, never wider than the screen. */
  section[part~='source-image'] > .sketch-area {
    flex: 1 1 100%;
  }
  /* Draw stays lit while the pad is shown, as the pad's own Pen and Eraser do. */
  button[part~='draw-button'][aria-pressed='true'] {
    color: var(--_on-accent);
    background: var(--_accent);
    border-color: var(--_accent);
  }
  .sketch-area > sd-sketch-pad {
    max-width: 420px;
  }
  input#strength {
    min-width: 0;
    max-width: 100%;
  }
  input#strength {
    accent-color: var(--_accent);
  }
`;

export class SourceImagePanel extends LightElement {
  @property({ attribute: false }) actions?: SourceImageActions;
  @property({ attribute: false }) image?: ImageBitmap | Blob;
  /** Why the last file chosen or dropped was refused. */
  @property({ attribute: false }) error?: string;
  @property({ attribute: false }) strength = 0.5;
  /** The strength as shown: the attribute as written when it is no number. */
  @property({ attribute: false }) strengthText = '0.50';
  @property({ attribute: false }) strengthError?: string;
  /** Whether the sketch pad is shown, and the pad itself (rendered by its owner, placed here). */
  @property({ attribute: false }) drawing = false;
  @property({ attribute: false }) sketch: TemplateResult | typeof nothing = nothing;
  @state() private dragging = false;
  @query('canvas.source-preview') private preview?: HTMLCanvasElement;
  @query('#source-file') private fileInput?: HTMLInputElement;

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('image') && this.image) void this.drawPreview(this.image);
  }

  /** A Blob is decoded here only for the thumbnail; the worker decodes its own copy. */
  private async drawPreview(image: ImageBitmap | Blob): Promise<void> {
    const bitmap = image instanceof Blob ? await createImageBitmap(image).catch(() => undefined) : image;
    if (bitmap && this.preview && image === this.image) drawBitmap(this.preview, bitmap);
    if (bitmap && bitmap !== image) bitmap.close();
  }

  protected override render(): TemplateResult {
    return html`
      <section part="source-image" aria-label="Image to image">
        <div
          class="drop-zone ${this.dragging ? 'dragging' : ''}"
          part="drop-zone"
          @dragover=${(event: DragEvent) => this.onDragOver(event)}
          @dragleave=${() => (this.dragging = false)}
          @drop=${(event: DragEvent) => this.onDrop(event)}
        >
          ${this.image ? html`<canvas class="source-preview" part="source-preview"></canvas>` : nothing}
          <button
            type="button"
            class="small"
            part="choose-source-button"
            aria-invalid=${this.error ? 'true' : 'false'}
            aria-describedby=${this.error ? 'source-error' : nothing}
            @click=${() => this.fileInput?.click()}
          >
            ${this.image ? 'Choose another image…' : 'Start from an image…'}
          </button>
          <!-- Hidden: its own text would say "No file chosen" beside the chosen picture's preview. -->
          <input
            id="source-file"
            part="source-image-input"
            type="file"
            accept="image/*"
            hidden
            aria-invalid=${this.error ? 'true' : 'false'}
            @change=${(event: Event) => this.onFileChosen(event.target as HTMLInputElement)}
          />
          <button
            type="button"
            class="small"
            part="draw-button"
            aria-pressed=${this.drawing ? 'true' : 'false'}
            aria-controls=${this.drawing ? 'sketch-pad' : nothing}
            @click=${() => this.actions?.toggleDrawing()}
          >
            Draw
          </button>
          <span class="hint">or drop or paste an image here</span>
          ${
            this.image
              ? html`<button
                  type="button"
                  class="small"
                  part="remove-source-button"
                  @click=${() => this.actions?.remove()}
                >
                  Remove
                </button>`
              : nothing
          }
        </div>
        ${
          this.error
            ? html`<p class="field-error" id="source-error" part="field-error source-error" role="alert">
                ${this.error}
              </p>`
            : nothing
        }
        ${this.image ? this.renderStrength() : nothing} ${this.sketch}
      </section>
    `;
  }

  private renderStrength(): TemplateResult {
    return html`
      <div class="field" part="strength">
        <label for="strength">Strength <output part="strength-value">${this.strengthText}</output></label>
        <input
          id="strength"
          part="strength-input"
          type="range"
          min="0"
          max="1"
          step="0.05"
          .value=${String(this.strength)}
          aria-invalid=${this.strengthError ? 'true' : 'false'}
          aria-describedby=${this.strengthError ? 'strength-error' : nothing}
          @input=${(event: Event) => this.actions?.strengthChange(Number((event.target as HTMLInputElement).value))}
        />
      </div>
      ${
        this.strengthError
          ? html`<p class="field-error" id="strength-error" part="field-error strength-error">
              ${this.strengthError}
            </p>`
          : nothing
      }
    `;
  }

  private onFileChosen(input: HTMLInputElement): void {
    const file = input.files?.[0];
    if (file) this.actions?.choose(file);
    // The same file chosen again after Remove must fire change again.
    input.value = '';
  }

  private onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    this.dragging = true;
  }

  private onDrop(event: DragEvent): void {
    event.preventDefault();
    this.dragging = false;
    const file = event.dataTransfer?.files[0];
    if (file) this.actions?.choose(file);
  }
}
