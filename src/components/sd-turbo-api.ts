/**
 * `<sd-turbo>` as a page sees it: the element's public properties, methods and events, as plain DOM
 * types. The npm package declares `SdTurboElement` with this interface rather than as the Lit class it
 * is, because Lit and ONNX Runtime are bundled: a page's TypeScript needs neither installed, and gets
 * no `LitElement` type that its own copy of Lit would not match at run time. sd-turbo.ts's class
 * `implements` it, so the two cannot drift apart.
 */
import type {
  LoadedModel,
  MemoryPreference,
  ProviderPreference,
  WebNnDeviceType,
} from '../pipeline/types.js';
import type { SdImageDetail, SdTurboEventMap } from './events.js';

/** What `generate()` may override; anything left out comes from the element's properties. */
export interface GenerateOptions {
  prompt?: string;
  /** uint32; a random one when neither this nor the `seed` property is set. */
  seed?: number;
  steps?: number;
  /** Images to make, 1 to 8, from seeds seed, seed + 1, ...; each fires its own `sd-image`. */
  count?: number;
  sourceImage?: ImageBitmap | Blob;
  strength?: number;
  /** Image width and height in pixels, within the model's sizes (see `width`); default the properties. */
  width?: number;
  height?: number;
}

/** A listener for one of `<sd-turbo>`'s events, with its detail typed. */
export type SdTurboListener<K extends keyof SdTurboEventMap> = (
  this: SdTurboElement,
  event: SdTurboEventMap[K],
) => unknown;

export interface SdTurboElement extends HTMLElement {
  /** A model id from the manifest, or a manifest URL (ending in .json) whose default model is used. */
  model: string;
  /** The manifest URL (resolved against document.baseURI); default: the catalogue the package carries. */
  manifest: string;
  prompt: string;
  /** uint32 seed for the next image; null (no attribute) draws a random seed for each image. */
  seed: number | null;
  /** Denoising steps, 1 to 4; any other value is shown as an error on the steps control. */
  steps: number;
  /** 'auto' (WebGPU, falling back to wasm with a note), 'webgpu', 'wasm' or 'webnn'; others are refused. */
  provider: ProviderPreference;
  /** With provider 'webnn': the MLContext device type, 'gpu', 'cpu' or 'npu'; others are refused. */
  webnnDeviceType: WebNnDeviceType;
  /** 'auto' (default), 'resident' (every stage loaded) or 'low' (one stage at a time); others are refused. */
  memory: MemoryPreference;
  /** Download (if needed) and load the model as soon as the element is connected. */
  autoload: boolean;
  /** A self-hosted copy of the weights (`npm run models:pull`): replaces the model's baseUrl. */
  mirror: string;
  /** Offer the generated random-weight test models (ids `tiny-*`) in the model picker. */
  testModels: boolean;
  /** Real-time mode: every change of prompt, seed or steps makes a new image (the newest edit wins). */
  realtime: boolean;
  /** Image to image: the picture to start from; ignored by a model without a VAE encoder. */
  sourceImage?: ImageBitmap | Blob;
  /** Image to image: how much of the source is replaced, above 0 to 1; steps × strength must be ≥ 1. */
  strength: number;
  /** Images per Generate, 1 to 8, from seeds seed, seed + 1, ...; any other value is shown as an error. */
  count: number;
  /**
   * Image width in pixels: for a model whose manifest declares `sizes` (SD-Turbo: a multiple of 64 from
   * 256 to 1024), any within them; otherwise its one size. null (no attribute): the model's own. Any
   * other value is shown as an error on the Size control.
   */
  width: number | null;
  /** Image height in pixels, as `width`. */
  height: number | null;
  /**
   * `compact` for a small slot: the prompt bar and the image, with seed and steps behind a disclosure and
   * no galleries; anything else is the full element.
   */
  variant: string;

  /** The manifest URL in use, after the `model` and `manifest` attributes are taken into account. */
  readonly manifestUrl: string;
  /** The model id in use: the `model` attribute, or the manifest's default model. */
  readonly modelId: string | undefined;
  /** True while an image is being made. */
  readonly busy: boolean;
  /** True while any image is being made or waits: on request (`busy`) or in real-time mode. */
  readonly generating: boolean;
  /** Whether the model in use has a VAE encoder, so it can start from a source image. */
  readonly canUseSourceImage: boolean;
  /** Resolves once the element has rendered its latest property changes (Lit's `updateComplete`). */
  readonly updateComplete: Promise<boolean>;

  /**
   * Downloads the weights if they are not stored yet (with progress), then loads them. Several elements
   * on one page with the same manifest and model share the download and the loaded model.
   */
  load(): Promise<LoadedModel>;
  /**
   * Makes `count` images (seeds seed, seed + 1, ...), each with its own `sd-image` event; resolves with the
   * first one's detail, rejects with an AbortError on cancel().
   */
  generate(options?: GenerateOptions): Promise<SdImageDetail>;
  /** Stops the image being made, or pauses a download (what is downloaded is kept). */
  cancel(): void;

  addEventListener<K extends keyof SdTurboEventMap>(
    type: K,
    listener: SdTurboListener<K>,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener<K extends keyof HTMLElementEventMap>(
    type: K,
    listener: (this: HTMLElement, event: HTMLElementEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof SdTurboEventMap>(
    type: K,
    listener: SdTurboListener<K>,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener<K extends keyof HTMLElementEventMap>(
    type: K,
    listener: (this: HTMLElement, event: HTMLElementEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): void;
}

/** The element's class as a value: `instanceof`, `customElements.get('sd-turbo') === SdTurboElement`. */
export interface SdTurboElementConstructor {
  new (): SdTurboElement;
  readonly prototype: SdTurboElement;
}

declare global {
  interface HTMLElementTagNameMap {
    'sd-turbo': SdTurboElement;
  }
}
