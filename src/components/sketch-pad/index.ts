/**
 * The sketch pad's public face. Importing it defines `<sd-sketch-pad>` (once, even if two bundles load it).
 */
import { SketchPadElement } from './sketch-pad.js';

export { SketchPadElement } from './sketch-pad.js';
export { SKETCH_INPUT_INTERVAL_MS, type SketchChangeDetail } from './sketch-events.js';
export type { SketchTool, Stroke, StrokePoint } from './strokes.js';
export { BRUSH_SIZES, SWATCHES } from './toolbar.js';

if (!customElements.get('sd-sketch-pad')) customElements.define('sd-sketch-pad', SketchPadElement);
