/** What `<sd-sketch-pad>` tells its page: `sd-sketch-change` and, while a stroke is drawn, `sd-sketch-input`. */

/** The detail of both events: how many strokes the canvas shows (with one in progress for an input). */
export interface SketchChangeDetail {
  strokes: number;
}

export type SketchEventType = 'sd-sketch-change' | 'sd-sketch-input';

/**
 * How often, at most, `sd-sketch-input` reports a stroke in progress: often enough for real-time mode to
 * follow the hand, seldom enough that it is not asked for an image per pointer move.
 */
export const SKETCH_INPUT_INTERVAL_MS = 150;

/** Bubbles and crosses shadow roots, so `<sd-turbo>` (or a page) can listen on itself or the document. */
export function sketchEvent(type: SketchEventType, strokes: number): CustomEvent<SketchChangeDetail> {
  return new CustomEvent(type, { detail: { strokes }, bubbles: true, composed: true });
}

declare global {
  interface HTMLElementEventMap {
    'sd-sketch-change': CustomEvent<SketchChangeDetail>;
    'sd-sketch-input': CustomEvent<SketchChangeDetail>;
  }
}
