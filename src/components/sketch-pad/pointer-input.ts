/**
 * Pointer Events on the canvas turned into stroke points in canvas pixels: one pointer at a time (a second
 * finger is ignored), captured so a line can leave the canvas and come back, with the coalesced events a
 * fast hand produces between frames, and a pen's pressure.
 */
import type { StrokePoint } from './strokes.js';

export interface StrokeInputHandlers {
  begin(point: StrokePoint): void;
  extend(points: StrokePoint[]): void;
  end(): void;
  /** The browser took the pointer away (a touch became a scroll, a pen left range): drop the stroke. */
  cancel(): void;
}

export class PointerStrokeInput {
  private pointerId: number | undefined;
  private lastPoint: StrokePoint | undefined;
  private readonly listeners: [keyof HTMLElementEventMap, (event: PointerEvent) => void][] = [
    ['pointerdown', (event) => this.onDown(event)],
    ['pointermove', (event) => this.onMove(event)],
    ['pointerup', (event) => this.onUp(event)],
    ['pointercancel', (event) => this.onCancel(event)],
  ];

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly handlers: StrokeInputHandlers,
  ) {}

  connect(): void {
    for (const [type, listener] of this.listeners)
      this.canvas.addEventListener(type, listener as EventListener);
  }

  disconnect(): void {
    for (const [type, listener] of this.listeners) {
      this.canvas.removeEventListener(type, listener as EventListener);
    }
    this.pointerId = undefined;
  }

  get drawing(): boolean {
    return this.pointerId !== undefined;
  }

  private onDown(event: PointerEvent): void {
    // Only the main button of a mouse, or a pen's tip, draws; a right click keeps its menu.
    if (this.drawing || event.button !== 0) return;
    event.preventDefault();
    this.canvas.focus({ preventScroll: true });
    this.pointerId = event.pointerId;
    try {
      this.canvas.setPointerCapture(event.pointerId);
    } catch {
      // A pointer the browser does not know as active (a script's synthetic event) cannot be captured;
      // the stroke still follows it while it stays over the canvas.
    }
    this.lastPoint = this.toPoint(event);
    this.handlers.begin(this.lastPoint);
  }

  private onMove(event: PointerEvent): void {
    if (event.pointerId !== this.pointerId) return;
    const coalesced = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    const points: StrokePoint[] = [];
    for (const sample of coalesced.length > 0 ? coalesced : [event]) {
      const point = this.toPoint(sample);
      if (point.x === this.lastPoint?.x && point.y === this.lastPoint.y) continue;
      points.push(point);
      this.lastPoint = point;
    }
    if (points.length > 0) this.handlers.extend(points);
  }

  private onUp(event: PointerEvent): void {
    // No point from the pointerup itself: it is where the last move was, and a pen's says pressure 0.
    if (event.pointerId !== this.pointerId) return;
    this.release(event);
    this.handlers.end();
  }

  private onCancel(event: PointerEvent): void {
    if (event.pointerId !== this.pointerId) return;
    this.release(event);
    this.handlers.cancel();
  }

  private release(event: PointerEvent): void {
    this.pointerId = undefined;
    this.lastPoint = undefined;
    if (this.canvas.hasPointerCapture(event.pointerId)) this.canvas.releasePointerCapture(event.pointerId);
  }

  /** From the canvas's box on screen (it is scaled with CSS) to its own pixels. */
  private toPoint(event: PointerEvent): StrokePoint {
    const box = this.canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * this.canvas.width) / box.width;
    const y = ((event.clientY - box.top) * this.canvas.height) / box.height;
    return event.pointerType === 'pen' ? { x, y, pressure: event.pressure } : { x, y };
  }
}
