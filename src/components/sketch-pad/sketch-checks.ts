/** The pad's attributes and properties checked as they are set, so a bad value fails with what was wrong. */
import type { SketchTool } from './strokes.js';

const MAX_SIDE = 4096;

export function checkedSide(name: 'width' | 'height', value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE) {
    throw new RangeError(
      `sd-sketch-pad ${name} must be a whole number of pixels from 1 to ${MAX_SIDE}, not ${value}`,
    );
  }
  return value;
}

export function checkedTool(value: string): SketchTool {
  if (value !== 'pen' && value !== 'eraser') {
    throw new RangeError(`sd-sketch-pad tool must be "pen" or "eraser", not ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkedColor(name: 'color' | 'background', value: string): string {
  if (typeof value !== 'string' || !CSS.supports('color', value)) {
    throw new RangeError(`sd-sketch-pad ${name} must be a CSS colour, not ${JSON.stringify(value)}`);
  }
  return value;
}
