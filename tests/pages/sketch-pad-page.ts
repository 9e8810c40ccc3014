/**
 * Test page: one `<sd-sketch-pad>` at half scale, its events as `window.sketchTest.events`, and helpers that
 * read its pixels and dispatch pen and touch Pointer Events in canvas pixels.
 */
import '../../src/components/sketch-pad/index.js';
import type { SketchChangeDetail } from '../../src/components/sketch-pad/index.js';

export interface RecordedEvent {
  type: string;
  strokes: number;
  time: number;
}

export interface DispatchedPoint {
  x: number;
  y: number;
  pressure?: number;
}

const pad = document.querySelector('sd-sketch-pad')!;
const events: RecordedEvent[] = [];
for (const type of ['sd-sketch-change', 'sd-sketch-input'] as const) {
  document.addEventListener(type, (event) => {
    const { strokes } = (event as CustomEvent<SketchChangeDetail>).detail;
    events.push({ type, strokes, time: performance.now() });
  });
}

function canvas(): HTMLCanvasElement {
  return pad.shadowRoot!.querySelector('canvas')!;
}

/** From canvas pixels to the page's CSS pixels, through the canvas's box as laid out. */
function clientPoint(x: number, y: number): { clientX: number; clientY: number } {
  const box = canvas().getBoundingClientRect();
  return {
    clientX: box.left + (x * box.width) / canvas().width,
    clientY: box.top + (y * box.height) / canvas().height,
  };
}

const snapshots = new Map<string, Uint8ClampedArray>();
const WHITE = '255,255,255,255';

/** Calls `visit` with each pixel's "r,g,b,a" in a rectangle of canvas pixels (ends included). */
function eachPixel([x0, y0, x1, y1]: number[], visit: (rgba: string, x: number, y: number) => void): void {
  const { data, width } = pad.toImageData();
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const offset = (y * width + x) * 4;
      visit(Array.from(data.subarray(offset, offset + 4)).join(','), x, y);
    }
  }
}

const sketchTest = {
  events,
  /** Keeps a copy of the pad's pixels under a name. */
  snapshot(name: string): void {
    snapshots.set(name, pad.toImageData().data.slice());
  },
  /** How many bytes of the pad's pixels differ from a snapshot (0: the same picture exactly). */
  differenceFrom(name: string): number {
    const before = snapshots.get(name)!;
    const now = pad.toImageData().data;
    let differing = Math.abs(before.length - now.length);
    for (let i = 0; i < Math.min(before.length, now.length); i++) if (before[i] !== now[i]) differing++;
    return differing;
  },
  /** How many pixels of each RGBA colour a rectangle holds. */
  colorsIn(rectangle: number[]): Record<string, number> {
    const counts: Record<string, number> = {};
    eachPixel(rectangle, (rgba) => (counts[rgba] = (counts[rgba] ?? 0) + 1));
    return counts;
  },
  /** The smallest rectangle holding every pixel that is not white, or undefined on a white canvas. */
  inkBounds(): number[] | undefined {
    let bounds: number[] | undefined;
    eachPixel([0, 0, pad.width - 1, pad.height - 1], (rgba, x, y) => {
      if (rgba === WHITE) return;
      bounds = bounds
        ? [Math.min(bounds[0], x), Math.min(bounds[1], y), Math.max(bounds[2], x), Math.max(bounds[3], y)]
        : [x, y, x, y];
    });
    return bounds;
  },
  /** How many pixels of one column are not white: a horizontal line's thickness there. */
  inkInColumn(x: number): number {
    let ink = 0;
    eachPixel([x, 0, x, pad.height - 1], (rgba) => (ink += rgba === WHITE ? 0 : 1));
    return ink;
  },
  /** The canvas's top-left corner and scale on the page, for page.mouse. */
  canvasBox() {
    const box = canvas().getBoundingClientRect();
    return { left: box.left, top: box.top, scale: box.width / canvas().width };
  },
  /** A whole stroke as synthetic Pointer Events (what a pen or a finger sends), in canvas pixels. */
  dispatchStroke(
    pointerType: 'pen' | 'touch',
    points: DispatchedPoint[],
    { pointerId = 7, cancel = false } = {},
  ): void {
    const send = (type: string, point: DispatchedPoint) =>
      canvas().dispatchEvent(
        new PointerEvent(type, {
          pointerId,
          pointerType,
          isPrimary: true,
          button: type === 'pointermove' ? -1 : 0,
          buttons: type === 'pointerup' || type === 'pointercancel' ? 0 : 1,
          pressure: type === 'pointerup' ? 0 : (point.pressure ?? 0.5),
          bubbles: true,
          cancelable: true,
          composed: true,
          ...clientPoint(point.x, point.y),
        }),
      );
    send('pointerdown', points[0]);
    for (const point of points.slice(1)) send('pointermove', point);
    send(cancel ? 'pointercancel' : 'pointerup', points[points.length - 1]);
  },
};

declare global {
  interface Window {
    sketchTest: typeof sketchTest;
  }
}
window.sketchTest = sketchTest;
await customElements.whenDefined('sd-sketch-pad');
await pad.updateComplete;
document.body.dataset.ready = 'true';
