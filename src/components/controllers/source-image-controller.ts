/**
 * Image to image from the element's side: the picture chosen, dropped, pasted or drawn becomes the element's
 * `sourceImage`, a file that is no picture is refused on the panel, and the steps follow the strength so
 * that the default strength never runs zero UNet steps.
 */
import {
  html,
  nothing,
  type ReactiveController,
  type ReactiveControllerHost,
  type TemplateResult,
} from 'lit';
import { DEFAULT_IMAGE_TO_IMAGE_STEPS } from '../../pipeline/index.js';
import { strengthProblem } from '../input-checks.js';
import type { SourceImageActions } from '../parts/source-image-panel.js';
import { SketchSource } from './sketch-source.js';

/** The element's image-to-image settings, which this controller reads and sets. */
export interface SourceImageHost extends ReactiveControllerHost, EventTarget {
  sourceImage?: ImageBitmap | Blob;
  strength: number;
  steps: number;
  readonly realtime: boolean;
  readonly canUseSourceImage: boolean;
  /** The model in use, whose image size the sketch pad takes. */
  readonly models: { readonly model?: { readonly image: { width: number; height: number } } };
}

export interface SourceImageHooks {
  /** `notify` shows and says it; `announce` says it to screen readers only. */
  feedback: { notify(text: string): void; announce(text: string): void };
  /** Why the strength cannot be used with the steps; shown on the strength control. */
  strengthError(): string | undefined;
  /** The strength as written (an attribute's text), shown when it is no number. */
  strengthText(): string;
}

export class SourceImageController implements ReactiveController {
  /** Why the last file chosen, dropped or pasted cannot be a source image; shown on the panel. */
  private refusal?: string;

  private readonly actions: SourceImageActions = {
    choose: (image) => void this.choose(image),
    remove: () => {
      this.sketch.supersede();
      this.host.sourceImage = undefined;
      this.setRefusal(undefined);
    },
    strengthChange: (strength) => (this.host.strength = strength),
    toggleDrawing: () => this.sketch.toggle(),
  };
  private readonly sketch: SketchSource;

  constructor(
    private readonly host: SourceImageHost,
    private readonly hooks: SourceImageHooks,
  ) {
    host.addController(this);
    this.sketch = new SketchSource(host, {
      imageSize: () => host.models.model?.image,
      followsStrokes: () => host.realtime,
      use: (picture) => this.use(picture),
      announce: (text) => hooks.feedback.announce(text),
    });
  }

  hostConnected(): void {
    this.host.addEventListener('paste', this.onPaste);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('paste', this.onPaste);
  }

  /** A pasted picture becomes the source image; pasted text goes where it was pasted. */
  private readonly onPaste = (event: Event): void => {
    if (!(event instanceof ClipboardEvent)) return;
    const image = [...(event.clipboardData?.files ?? [])].find((file) => file.type.startsWith('image/'));
    if (!image || !this.host.canUseSourceImage) return;
    event.preventDefault();
    void this.choose(image);
  };

  /**
   * From the picker, a drop or a paste. At the default strength one step would run no UNet step, so the
   * steps go to image to image's default, and the user is told.
   */
  private async choose(image: Blob): Promise<void> {
    this.sketch.supersede();
    const name = image instanceof File && image.name ? `"${image.name}"` : 'That file';
    if (!image.type.startsWith('image/')) {
      this.refuse(
        `${name} is not a picture (${image.type || 'unknown type'}): use a PNG, JPEG, WebP or GIF image.`,
      );
      return;
    }
    // Decoded now, so a damaged file is refused here as an image problem, not later at Generate.
    const decoded = await createImageBitmap(image).catch(() => undefined);
    if (!decoded) {
      this.refuse(
        `${name} could not be read as an image (${image.type}, ${image.size} bytes): it is damaged or cut ` +
          'short. Use another PNG, JPEG, WebP or GIF image.',
      );
      return;
    }
    decoded.close();
    this.use(image);
  }

  /** A picture that can be used: chosen, dropped, pasted or drawn. */
  private use(image: ImageBitmap | Blob): void {
    const host = this.host;
    if (this.refusal) this.setRefusal(undefined);
    host.sourceImage = image;
    if (strengthProblem(host.strength, host.steps) && host.steps < DEFAULT_IMAGE_TO_IMAGE_STEPS) {
      host.steps = DEFAULT_IMAGE_TO_IMAGE_STEPS;
      this.hooks.feedback.notify(
        `Steps set to ${host.steps}: at strength ${host.strength} one step would change nothing.`,
      );
    }
  }

  /**
   * The new file was meant to replace the source: keeping the old one would make images from a picture the
   * user has just put aside.
   */
  private refuse(reason: string): void {
    const replaced = this.host.sourceImage ? ' The previous source image was removed.' : '';
    this.host.sourceImage = undefined;
    this.setRefusal(`${reason}${replaced}`);
    this.hooks.feedback.notify(`${reason}${replaced}`);
  }

  private setRefusal(refusal: string | undefined): void {
    this.refusal = refusal;
    this.host.requestUpdate();
  }

  render(): TemplateResult | typeof nothing {
    if (!this.host.canUseSourceImage) return nothing;
    return html`<sd-source-image-panel
      .actions=${this.actions}
      .image=${this.host.sourceImage}
      .drawing=${this.sketch.open}
      .sketch=${this.sketch.render()}
      .error=${this.refusal}
      .strength=${this.host.strength}
      .strengthText=${Number.isFinite(this.host.strength) ? this.host.strength.toFixed(2) : this.hooks.strengthText()}
      .strengthError=${this.hooks.strengthError()}
    ></sd-source-image-panel>`;
  }
}
