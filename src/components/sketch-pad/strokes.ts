/**
 * The drawing as data, and how it is painted. Every picture the pad shows is painted from this data alone,
 * so an undo repaints the earlier state exactly rather than trying to take pixels back.
 */

export type SketchTool = 'pen' | 'eraser';

/** A point in canvas pixels; `pressure` (0-1) only for a pen, whose width follows it. */
export interface StrokePoint {
  x: number;
  y: number;
  pressure?: number;
}

export interface Stroke {
  tool: SketchTool;
  /** A CSS colour; an eraser paints the background colour instead. */
  color: string;
  /** The line width in canvas pixels, at the pen's middle pressure. */
  size: number;
  points: StrokePoint[];
}

/** What Undo takes back: a stroke, or a Clear (which hides everything before it). */
export type SketchEntry = { kind: 'stroke'; stroke: Stroke } | { kind: 'clear' };

export interface SketchDocument {
  background: string;
  /** The picture the drawing starts from, drawn to cover the canvas; gone after a Clear. */
  picture?: CanvasImageSource & { width: number; height: number };
  entries: readonly SketchEntry[];
}

/** The strokes a viewer sees: those after the last Clear. */
export function visibleStrokes(entries: readonly SketchEntry[]): Stroke[] {
  const lastClear = entries.findLastIndex((entry) => entry.kind === 'clear');
  return entries.slice(lastClear + 1).flatMap((entry) => (entry.kind === 'stroke' ? [entry.stroke] : []));
}

/** Whether the canvas shows anything but the background, i.e. whether Clear would change it. */
export function hasContent(document: SketchDocument): boolean {
  const cleared = document.entries.some((entry) => entry.kind === 'clear');
  return visibleStrokes(document.entries).length > 0 || (document.picture !== undefined && !cleared);
}

/** The background, the picture unless cleared since, then the visible strokes in order. */
export function paintDocument(context: CanvasRenderingContext2D, document: SketchDocument): void {
  const { width, height } = context.canvas;
  context.save();
  context.globalCompositeOperation = 'source-over';
  context.fillStyle = document.background;
  context.fillRect(0, 0, width, height);
  const cleared = document.entries.some((entry) => entry.kind === 'clear');
  if (document.picture && !cleared) drawCover(context, document.picture);
  context.restore();
  for (const stroke of visibleStrokes(document.entries)) paintStroke(context, stroke, document.background);
}

/** Draws a picture scaled to cover the canvas, center-cropped (as the pipeline crops a source image). */
function drawCover(
  context: CanvasRenderingContext2D,
  picture: CanvasImageSource & { width: number; height: number },
): void {
  const { width, height } = context.canvas;
  const scale = Math.max(width / picture.width, height / picture.height);
  const drawnWidth = picture.width * scale;
  const drawnHeight = picture.height * scale;
  context.drawImage(picture, (width - drawnWidth) / 2, (height - drawnHeight) / 2, drawnWidth, drawnHeight);
}

/** A pen's width: the brush size at pressure 0.5 (what a pen without pressure sensing reports), a quarter
 * of it at the lightest touch, 1.75 times it at full pressure. */
export function widthAt(stroke: Stroke, point: StrokePoint): number {
  return point.pressure === undefined ? stroke.size : stroke.size * (0.25 + 1.5 * point.pressure);
}

const midpoint = (a: StrokePoint, b: StrokePoint): StrokePoint => ({
  x: (a.x + b.x) / 2,
  y: (a.y + b.y) / 2,
});

/**
 * A smooth line through the points: quadratic curves whose control points are the recorded points and
 * whose ends are the midpoints between them, with round caps and joins. A stroke with pressure is drawn
 * curve by curve, each at its own width; a single point is a dot.
 */
export function paintStroke(context: CanvasRenderingContext2D, stroke: Stroke, background: string): void {
  const { points } = stroke;
  if (points.length === 0) return;
  context.save();
  const color = stroke.tool === 'eraser' ? background : stroke.color;
  context.strokeStyle = color;
  context.fillStyle = color;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  if (points.length === 1) {
    context.beginPath();
    context.arc(points[0].x, points[0].y, widthAt(stroke, points[0]) / 2, 0, Math.PI * 2);
    context.fill();
  } else if (points.some((point) => point.pressure !== undefined)) {
    paintCurvesByWidth(context, stroke);
  } else {
    context.lineWidth = stroke.size;
    context.beginPath();
    context.moveTo(points[0].x, points[0].y);
    for (let i = 1; i < points.length - 1; i++) {
      const end = midpoint(points[i], points[i + 1]);
      context.quadraticCurveTo(points[i].x, points[i].y, end.x, end.y);
    }
    const last = points[points.length - 1];
    context.lineTo(last.x, last.y);
    context.stroke();
  }
  context.restore();
}

function paintCurvesByWidth(context: CanvasRenderingContext2D, stroke: Stroke): void {
  const { points } = stroke;
  let start = points[0];
  for (let i = 1; i < points.length; i++) {
    const isLast = i === points.length - 1;
    const end = isLast ? points[i] : midpoint(points[i], points[i + 1]);
    context.lineWidth = widthAt(stroke, points[i]);
    context.beginPath();
    context.moveTo(start.x, start.y);
    if (isLast) context.lineTo(end.x, end.y);
    else context.quadraticCurveTo(points[i].x, points[i].y, end.x, end.y);
    context.stroke();
    start = end;
  }
}
