/**
 * Real-time mode: every edit of prompt, seed or steps asks for an image through the pipeline's
 * LatestRequestScheduler, so at most one image is being made and only the newest edit waits behind it.
 * The scheduler delivers images in request order, so an image for older text is never shown over one for
 * newer text.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  LatestRequestScheduler,
  type ClientGenerateRequest,
  type GeneratorClient,
  type ImageResult,
  type RealtimeImage,
} from '../../pipeline/index.js';

export interface RealtimeHooks {
  /** Loads the model if needed and returns the client that makes the images. */
  client(): Promise<GeneratorClient>;
  image(result: ImageResult): void;
  error(error: unknown): void;
}

export class RealtimeController implements ReactiveController {
  /** Images per second since real-time mode was turned on; 0 until the first image. */
  imagesPerSecond = 0;
  /** From the edit that the last shown image answers until it was shown; undefined before the first. */
  lastLatencyMs?: number;
  private scheduler?: LatestRequestScheduler;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly hooks: RealtimeHooks,
  ) {
    host.addController(this);
  }

  /** Whether a real-time image is being made or waits. */
  get busy(): boolean {
    return this.scheduler?.busy ?? false;
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** Asks for an image for the latest settings; a request still waiting is replaced, not queued. */
  request(request: ClientGenerateRequest): void {
    this.scheduler ??= this.createScheduler();
    // The image promise also settles through onImage/onError; nothing more to do with it here.
    this.scheduler.request(request).image.catch(() => undefined);
  }

  /** Drops the waiting edit; the image in flight still arrives. Stats start again on the next request. */
  stop(): void {
    this.scheduler?.dispose();
    this.scheduler = undefined;
  }

  private createScheduler(): LatestRequestScheduler {
    const scheduler: LatestRequestScheduler = new LatestRequestScheduler(
      { generate: async (request) => (await this.hooks.client()).generate(request) },
      {
        onImage: (image: RealtimeImage) => {
          // Stats belong to the scheduler that made the image; a stopped one's late image is still shown.
          this.imagesPerSecond = scheduler.stats().imagesPerSecond;
          this.lastLatencyMs = image.latencyMs;
          this.hooks.image(image.result);
          this.host.requestUpdate();
        },
        onError: (error) => this.hooks.error(error),
      },
    );
    this.imagesPerSecond = 0;
    this.lastLatencyMs = undefined;
    return scheduler;
  }
}
