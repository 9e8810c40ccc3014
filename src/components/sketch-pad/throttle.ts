/**
 * Calls `fire` at most once per interval however often it is asked: at once when the last call is an
 * interval old, otherwise once at the end of the interval, so the last request is never lost.
 */
export class Throttle {
  private lastFired = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly fire: () => void,
  ) {}

  request(): void {
    if (this.timer !== undefined) return;
    const wait = this.lastFired + this.intervalMs - performance.now();
    if (wait <= 0) this.run();
    else this.timer = setTimeout(() => this.run(), wait);
  }

  /** Drops a pending call (the caller is about to report something newer itself). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    this.timer = undefined;
    this.lastFired = performance.now();
    this.fire();
  }
}
