/** The element's events and their details. All bubble and cross shadow roots (composed). */
import type {
  ImageProgress,
  LoadedModel,
  ModelProgress,
  ProviderChoice,
  StageTimings,
} from '../pipeline/types.js';
import type { SdErrorCode } from './messages.js';

/** `sd-image`: one finished image. The pixels stay on the GPU until `toBlob()` asks for a PNG. */
export interface SdImageDetail {
  /** The image, ready for `drawImage`/`transferFromImageBitmap`; no pixel read-back has happened. */
  bitmap: ImageBitmap;
  /** Encodes a PNG (with prompt, seed, steps and model as tEXt metadata) on request; cached after the first call. */
  toBlob(): Promise<Blob>;
  /** A file name with the seed, the prompt and the size in it, e.g. `sd-turbo_1234_a-cat_512x768.png`. */
  fileName: string;
  seed: number;
  prompt: string;
  steps: number;
  /** Image to image only: how much of the source picture was replaced. */
  strength?: number;
  /** One of several images of one Generate (`count` > 1): its place (from 0) and how many there were. */
  batch?: { index: number; count: number };
  /** True when the prompt was longer than 75 tokens and its end was dropped. */
  truncated: boolean;
  width: number;
  height: number;
  provider: ProviderChoice['provider'];
  modelId: string;
  /** Stage times in milliseconds; `totalMs / 1000` is the seconds per image. */
  timings: StageTimings;
}

/**
 * `sd-progress`: download and load progress for the whole model and per file, or (`phase: 'generating'`)
 * the stage of the image being made on request: `stage` 'text-encoder', 'vae-encoder', 'unet' (step
 * `step` of `steps`) or 'vae-decoder', each as it starts.
 */
export type SdProgressDetail = ModelProgress | ImageProgress;

/** `sd-ready`: the model is loaded; `provider.fellBack` and `provider.reason` say why wasm was used. */
export type SdReadyDetail = LoadedModel;

/** `sd-error`: what went wrong (`code`), the pipeline's `message`, and `advice` that says what to do. */
export interface SdErrorDetail {
  code: SdErrorCode;
  message: string;
  advice: string;
}

export interface SdTurboEventMap {
  'sd-progress': CustomEvent<SdProgressDetail>;
  'sd-ready': CustomEvent<SdReadyDetail>;
  'sd-image': CustomEvent<SdImageDetail>;
  'sd-error': CustomEvent<SdErrorDetail>;
}

/** Every `sd-*` event bubbles out of the shadow root, so a page can listen on any ancestor. */
export function emitEvent<K extends keyof SdTurboEventMap>(
  target: EventTarget,
  type: K,
  detail: SdTurboEventMap[K]['detail'],
): void {
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}
