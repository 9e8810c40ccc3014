/**
 * Real-time generation over a GeneratorClient: every edit asks for an image, but at most one image is
 * being made and at most one request waits. A newer request replaces the waiting one (it is never
 * queued behind it), so after a burst of keystrokes the next image made is for the latest text. Images
 * are delivered in request order: a result for an older request never arrives after a newer one's.
 */
import type { ClientGenerateRequest, RequestOptions } from './generator-client.js';
import type { ImageResult } from './worker-protocol.js';

/** The part of GeneratorClient this needs; tests pass a fake. */
export interface ImageGenerator<Request = ClientGenerateRequest, Result = ImageResult> {
  generate(request: Request, options?: RequestOptions): Promise<Result>;
}

export interface RealtimeImage<Result = ImageResult> {
  /** The id `request()` returned for the request this image answers. */
  requestId: number;
  result: Result;
  /** From that request to this delivery. */
  latencyMs: number;
}

export interface LatencySummary {
  /** Edits answered so far (an edit is answered by the first image for it or for a later edit). */
  count: number;
  medianMs: number;
  p90Ms: number;
}

export interface RealtimeStats {
  /** Calls to request(). */
  requested: number;
  /** Images made (each one delivered). */
  generated: number;
  /** Requests replaced while waiting, never generated. */
  superseded: number;
  failed: number;
  /** Images delivered per second of the time since the first generation began. */
  imagesPerSecond: number;
  /** Edit-to-image latency: from each edit until an image for it, or for a newer edit, is shown. */
  editToImage: LatencySummary;
}

export interface RealtimeOptions<Result> {
  /** Called with each image, in request order. */
  onImage?: (image: RealtimeImage<Result>) => void;
  /** Called when a generation fails; the next waiting request still runs. */
  onError?: (error: unknown, requestId: number) => void;
  /** Milliseconds clock; tests pass a fake. */
  now?: () => number;
}

interface Pending<Request, Result> {
  id: number;
  request: Request;
  requestedAt: number;
  resolve: (image: RealtimeImage<Result> | undefined) => void;
  reject: (error: unknown) => void;
}

export class LatestRequestScheduler<Request = ClientGenerateRequest, Result = ImageResult> {
  private nextId = 1;
  private inFlight?: Pending<Request, Result>;
  private waiting?: Pending<Request, Result>;
  private disposed = false;
  private readonly now: () => number;
  /** Requests not yet answered by any image, oldest first: [id, requestedAt]. */
  private unanswered: [number, number][] = [];
  private readonly latencies: number[] = [];
  private counts = { requested: 0, generated: 0, superseded: 0, failed: 0 };
  private firstStartedAt?: number;
  private lastDeliveredAt?: number;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly generator: ImageGenerator<Request, Result>,
    private readonly options: RealtimeOptions<Result> = {},
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Asks for an image for `request` and returns at once with the request's id. The promise resolves with
   * the image, or with undefined when a newer request replaced this one before it started.
   */
  request(request: Request): { id: number; image: Promise<RealtimeImage<Result> | undefined> } {
    if (this.disposed) throw new Error('This real-time generator was disposed.');
    const id = this.nextId++;
    const requestedAt = this.now();
    this.counts.requested++;
    this.unanswered.push([id, requestedAt]);
    let resolve!: Pending<Request, Result>['resolve'];
    let reject!: Pending<Request, Result>['reject'];
    const image = new Promise<RealtimeImage<Result> | undefined>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const pending = { id, request, requestedAt, resolve, reject };
    if (this.waiting) {
      this.counts.superseded++;
      this.waiting.resolve(undefined);
    }
    this.waiting = pending;
    if (!this.inFlight) void this.runNext();
    return { id, image };
  }

  /** Whether an image is being made or a request waits. */
  get busy(): boolean {
    return this.inFlight !== undefined || this.waiting !== undefined;
  }

  /** Resolves once nothing is in flight or waiting. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): RealtimeStats {
    const elapsed =
      this.firstStartedAt !== undefined && this.lastDeliveredAt !== undefined
        ? this.lastDeliveredAt - this.firstStartedAt
        : 0;
    return {
      ...this.counts,
      imagesPerSecond: elapsed > 0 ? (this.counts.generated * 1000) / elapsed : 0,
      editToImage: summarize(this.latencies),
    };
  }

  /** Drops the waiting request (its promise resolves undefined); the image in flight still finishes. */
  dispose(): void {
    this.disposed = true;
    if (this.waiting) {
      this.counts.superseded++;
      this.waiting.resolve(undefined);
      this.waiting = undefined;
    }
  }

  private async runNext(): Promise<void> {
    const next = this.waiting;
    if (!next) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    this.waiting = undefined;
    this.inFlight = next;
    this.firstStartedAt ??= this.now();
    try {
      const result = await this.generator.generate(next.request);
      this.deliver(next, result);
    } catch (error) {
      this.counts.failed++;
      this.options.onError?.(error, next.id);
      next.reject(error);
    } finally {
      this.inFlight = undefined;
    }
    await this.runNext();
  }

  private deliver(answered: Pending<Request, Result>, result: Result): void {
    const deliveredAt = this.now();
    this.counts.generated++;
    this.lastDeliveredAt = deliveredAt;
    // This image answers its own edit and every earlier one still unanswered (their text was replaced).
    while (this.unanswered.length > 0 && this.unanswered[0][0] <= answered.id) {
      const [, requestedAt] = this.unanswered.shift()!;
      this.latencies.push(deliveredAt - requestedAt);
    }
    const image = { requestId: answered.id, result, latencyMs: deliveredAt - answered.requestedAt };
    this.options.onImage?.(image);
    answered.resolve(image);
  }
}

/** Median and 90th percentile (nearest rank) of `values`. */
export function summarize(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, medianMs: NaN, p90Ms: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  const middle = sorted.length / 2;
  const medianMs =
    sorted.length % 2 === 1 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { count: sorted.length, medianMs, p90Ms: rank(0.9) };
}
