/**
 * Draw to start from: `<sd-sketch-pad>` in the image-to-image panel, at the model's image size. Each finished
 * stroke, Undo or Clear makes the drawing the element's source image; in real-time mode a stroke in progress
 * does too (at most every 150 ms), and the source image's change asks for a new image as a prompt edit does,
 * so the newest drawing wins.
 */
import { html, nothing, type ReactiveControllerHost, type TemplateResult } from 'lit';
import '../sketch-pad/index.js';
import type { SketchPadElement } from '../sketch-pad/index.js';

export interface SketchSourceHooks {
  /** The model's image size, which the pad's canvas takes; undefined before a model is known. */
  imageSize(): { width: number; height: number } | undefined;
  /** Real-time mode: a stroke in progress counts as well as a finished one. */
  followsStrokes(): boolean;
  /** The drawing's pixels, to become the source image. */
  use(picture: ImageBitmap): void;
  announce(text: string): void;
}

export class SketchSource {
  /** Whether the pad is shown. */
  open = false;
  /** Once shown, the pad is kept (hidden), so showing it again brings back the drawing and its Undo. */
  private kept = false;
  /** Counts the drawings read, so a picture that took longer to copy never replaces a newer one. */
  private reads = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly hooks: SketchSourceHooks,
  ) {}

  /** Shows or hides the pad; what was drawn stays the source image until it is replaced or removed. */
  toggle(): void {
    this.open = !this.open;
    this.kept = true;
    this.host.requestUpdate();
    this.hooks.announce(
      this.open
        ? 'Sketch pad shown: each stroke you draw with a mouse, pen or finger becomes the source image.'
        : 'Sketch pad hidden.',
    );
  }

  /** A picture chosen or removed after the last stroke wins over that stroke's copy, if it is still being made. */
  supersede(): void {
    this.reads++;
  }

  render(): TemplateResult | typeof nothing {
    const size = this.hooks.imageSize();
    if (!this.kept || !size) return nothing;
    return html`<div class="sketch-area" ?hidden=${!this.open}>
      <sd-sketch-pad
        id="sketch-pad"
        part="sketch-pad"
        .width=${size.width}
        .height=${size.height}
        @sd-sketch-change=${(event: Event) => void this.read(event.target as SketchPadElement)}
        @sd-sketch-input=${(event: Event) => {
          if (this.hooks.followsStrokes()) void this.read(event.target as SketchPadElement);
        }}
      ></sd-sketch-pad>
    </div>`;
  }

  private async read(pad: SketchPadElement): Promise<void> {
    const read = ++this.reads;
    const picture = await createImageBitmap(pad.toImageData());
    if (read !== this.reads) return picture.close();
    this.hooks.use(picture);
  }
}
