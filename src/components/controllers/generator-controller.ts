/**
 * Making images: one at a time, cancellable, with the stage and elapsed time of the run in progress, and
 * the session's images (newest first). Only this controller asks the pipeline for images.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  PipelineError,
  type GeneratorClient,
  type ImageProgress,
  type ImageResult,
  type LoadedModel,
} from '../../pipeline/index.js';
import type { SdImageDetail } from '../events.js';
import { toImageDetail } from '../image-detail.js';

export interface ImageRequest {
  prompt: string;
  seed: number;
  steps: number;
  /** Image to image: the picture to start from, and how much of it is replaced (0–1). */
  sourceImage?: ImageBitmap | Blob;
  strength?: number;
  /** The image size; a side left out is the model's own. */
  width?: number;
  height?: number;
}

/** loading: waiting for the model to load · generating: the pipeline is making the image. */
export type GeneratorStage = 'loading' | 'generating';

export interface GalleryEntry {
  id: number;
  image: SdImageDetail;
}

/**
 * Whether the images are made in one batched pass: several text-to-image requests (a batch shares its
 * prompt and steps) at the loaded model's own size (the one `maxBatch` is for) that it takes at once;
 * else one after another.
 */
function inOnePass(requests: readonly ImageRequest[], loaded: LoadedModel | undefined): boolean {
  if (!loaded) return false;
  const plain = (request: ImageRequest) =>
    !request.sourceImage &&
    (request.width ?? loaded.width) === loaded.width &&
    (request.height ?? loaded.height) === loaded.height;
  return requests.length > 1 && requests.length <= loaded.maxBatch && requests.every(plain);
}

const GALLERY_LIMIT = 24;
/** How often the elapsed time on screen is refreshed. */
const TICK_MS = 100;

export class GeneratorController implements ReactiveController {
  stage?: GeneratorStage;
  /** The steps of the image being made. */
  steps = 0;
  /** The stage of the image being made that started last; undefined until its first stage starts. */
  progress?: ImageProgress;
  gallery: GalleryEntry[] = [];
  /** The images of the latest Generate that asked for more than one, in seed order: shown as a grid. */
  batch: GalleryEntry[] = [];
  shownId?: number;
  private running?: AbortController;
  private startedAt = 0;
  private ticker?: ReturnType<typeof setInterval>;
  private nextImageId = 1;

  constructor(
    private readonly host: ReactiveControllerHost,
    /** Told each stage of an image as it starts (the element fires it as `sd-progress`). */
    private readonly onProgress?: (progress: ImageProgress) => void,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.cancel();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  get elapsedMs(): number {
    return this.busy ? performance.now() - this.startedAt : 0;
  }

  get shown(): SdImageDetail | undefined {
    return this.gallery.find((entry) => entry.id === this.shownId)?.image;
  }

  /**
   * Makes the requested images (in one batched pass where the loaded model takes them at once, else one
   * after another) once `prepare` (loading the model) is done; each is
   * shown and handed to `onImage` as it is ready, and together they are the grid (`batch`). A run already
   * in progress is an error, so a second click cannot silently replace the first. Cancelling stops the
   * images not yet made.
   */
  async generate(
    requests: readonly ImageRequest[],
    prepare: (signal: AbortSignal) => Promise<GeneratorClient>,
    onImage?: (image: SdImageDetail) => void,
  ): Promise<SdImageDetail[]> {
    if (this.running)
      throw new PipelineError('busy', 'An image is already being made: wait for it, or cancel it.');
    const controller = new AbortController();
    this.start(controller, requests[0]?.steps ?? 1);
    this.batch = [];
    try {
      const client = await prepare(controller.signal);
      this.stage = 'generating';
      this.host.requestUpdate();
      const onImageProgress = (progress: ImageProgress) => {
        if (this.running !== controller) return;
        this.progress = progress;
        this.host.requestUpdate();
        this.onProgress?.(progress);
      };
      const images: SdImageDetail[] = [];
      const count = requests.length;
      const received = (result: ImageResult, index: number) => {
        const image = toImageDetail(result, count > 1 ? { index, count } : undefined);
        this.add(image);
        if (count > 1) this.batch = [...this.batch, this.gallery[0]];
        images.push(image);
        onImage?.(image);
      };
      if (inOnePass(requests, await client.loadedModel)) {
        const { prompt, steps } = requests[0];
        const seeds = requests.map((request) => request.seed);
        (await client.generateBatch({ prompt, seeds, steps }, { signal: controller.signal })).forEach(
          received,
        );
        return images;
      }
      for (const [index, request] of requests.entries()) {
        received(await client.generate(request, { signal: controller.signal, onImageProgress }), index);
      }
      return images;
    } finally {
      this.stop();
    }
  }

  cancel(): void {
    this.running?.abort();
  }

  show(id: number): void {
    this.shownId = id;
    this.host.requestUpdate();
  }

  private start(controller: AbortController, steps: number): void {
    this.running = controller;
    this.stage = 'loading';
    this.steps = steps;
    this.startedAt = performance.now();
    this.ticker = setInterval(() => this.host.requestUpdate(), TICK_MS);
    this.host.requestUpdate();
  }

  private stop(): void {
    clearInterval(this.ticker);
    this.running = undefined;
    this.stage = undefined;
    this.progress = undefined;
    this.host.requestUpdate();
  }

  /** Shows an image and puts it first in the gallery; real-time mode adds its images here too. */
  add(image: SdImageDetail): void {
    const entry = { id: this.nextImageId++, image };
    const kept = [entry, ...this.gallery];
    // Older images give their GPU memory back; a listener that wants to keep one keeps its toBlob() PNG.
    for (const evicted of kept.splice(GALLERY_LIMIT)) evicted.image.bitmap.close();
    this.gallery = kept;
    this.batch = this.batch.filter((shown) => kept.includes(shown));
    this.shownId = entry.id;
    this.host.requestUpdate();
  }
}
