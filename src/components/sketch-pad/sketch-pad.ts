/**
 * `<sd-sketch-pad>`: a drawing to start image to image from. Mouse, touch and pen draw strokes; the strokes
 * are kept as data and every state of the canvas is painted from that data, so Undo gives back the earlier
 * pixels exactly.
 */
import { html, LitElement, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { PointerStrokeInput } from './pointer-input.js';
import { SKETCH_INPUT_INTERVAL_MS, sketchEvent, type SketchEventType } from './sketch-events.js';
import { checkedColor, checkedSide, checkedTool } from './sketch-checks.js';
import { sketchPadStyles } from './sketch-pad-styles.js';
import {
  hasContent,
  paintDocument,
  paintStroke,
  visibleStrokes,
  type SketchDocument,
  type SketchEntry,
  type SketchTool,
  type Stroke,
  type StrokePoint,
} from './strokes.js';
import { Throttle } from './throttle.js';
import { renderToolbar } from './toolbar.js';

export class SketchPadElement extends LitElement {
  static override styles = sketchPadStyles;

  /** The line width in canvas pixels. */
  @property({ type: Number, attribute: 'brush-size' }) brushSize = 12;
  @state() private entries: readonly SketchEntry[] = [];
  @state() private picture: ImageBitmap | undefined;

  /** Made here, not in render(), so the methods work before the element is connected. */
  private readonly canvas = Object.assign(document.createElement('canvas'), { width: 512, height: 512 });
  private readonly context = this.canvas.getContext('2d', { willReadFrequently: true })!;
  /** Everything but the stroke in progress, which is repainted on top of it as it grows. */
  private readonly committed = Object.assign(document.createElement('canvas'), { width: 512, height: 512 });
  private readonly committedContext = this.committed.getContext('2d', { willReadFrequently: true })!;
  private current: Stroke | undefined;
  private readonly inputThrottle = new Throttle(SKETCH_INPUT_INTERVAL_MS, () =>
    this.emit('sd-sketch-input', this.strokeCount + (this.current ? 1 : 0)),
  );
  private readonly input = new PointerStrokeInput(this.canvas, {
    begin: (point) => this.beginStroke(point),
    extend: (points) => this.extendStroke(points),
    end: () => this.endStroke(),
    cancel: () => this.cancelStroke(),
  });

  private backgroundColor = '#ffffff';
  private penColor = '#000000';
  private chosenTool: SketchTool = 'pen';

  constructor() {
    super();
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('part', 'sketch-canvas');
    this.canvas.setAttribute('role', 'img');
    this.addEventListener('keydown', (event) => this.onKeyDown(event));
    this.repaint();
  }

  /** The colour the canvas starts from and the eraser paints (any CSS colour; default white). */
  @property()
  get background(): string {
    return this.backgroundColor;
  }
  set background(value: string) {
    if (value === this.backgroundColor) return;
    this.backgroundColor = checkedColor('background', value);
    this.repaint();
  }

  /** The pen's colour (any CSS colour; default black). */
  @property()
  get color(): string {
    return this.penColor;
  }
  set color(value: string) {
    this.penColor = checkedColor('color', value);
  }

  @property()
  get tool(): SketchTool {
    return this.chosenTool;
  }
  set tool(value: SketchTool) {
    this.chosenTool = checkedTool(value);
  }

  /** The canvas's width in pixels (1-4096, default 512); the drawing keeps its pixel coordinates. */
  @property({ type: Number })
  get width(): number {
    return this.canvas.width;
  }
  set width(value: number) {
    this.resize(checkedSide('width', value), this.canvas.height);
  }

  /** The canvas's height in pixels (1-4096, default 512). */
  @property({ type: Number })
  get height(): number {
    return this.canvas.height;
  }
  set height(value: number) {
    this.resize(this.canvas.width, checkedSide('height', value));
  }

  /** The strokes the canvas shows (those since the last Clear). */
  get strokeCount(): number {
    return visibleStrokes(this.entries).length;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.input.connect();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.input.disconnect();
    this.dropCurrentStroke();
  }

  /** The drawing as an image file (PNG unless another type the browser can encode is asked for). */
  toBlob(type = 'image/png'): Promise<Blob> {
    return new Promise((resolve, reject) =>
      this.canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error(`The sketch could not be encoded as ${type}`))),
        type,
      ),
    );
  }

  /** The drawing's pixels, at the canvas's size. */
  toImageData(): ImageData {
    return this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Blanks the canvas (the picture too); Undo brings it all back. Does nothing on a blank canvas. */
  clear(): void {
    if (!hasContent(this.document)) return;
    this.commit({ kind: 'clear' });
  }

  /** Takes back the last stroke or Clear. */
  undo(): void {
    if (this.entries.length === 0) return;
    this.dropCurrentStroke();
    this.entries = this.entries.slice(0, -1);
    this.repaint();
    this.emit('sd-sketch-change', this.strokeCount);
  }

  /** Starts over from a picture, scaled to cover the canvas; the strokes and their undo history go. */
  async loadImage(source: ImageBitmap | HTMLImageElement | Blob): Promise<void> {
    const isImage = source instanceof HTMLImageElement;
    if (!(source instanceof ImageBitmap || source instanceof Blob || isImage)) {
      throw new TypeError('loadImage needs an ImageBitmap, an HTMLImageElement or a Blob');
    }
    if (isImage) await source.decode();
    const picture = await createImageBitmap(source).catch((error: unknown) => {
      throw new Error(`The picture could not be decoded: ${(error as Error).message}`, { cause: error });
    });
    this.dropCurrentStroke();
    this.picture?.close();
    this.picture = picture;
    this.entries = [];
    this.repaint();
    this.emit('sd-sketch-change', this.strokeCount);
  }

  protected override updated(): void {
    this.canvas.setAttribute('aria-label', `Sketch, ${this.strokeCount} strokes`);
  }

  protected override render(): TemplateResult {
    return html`
      ${renderToolbar(
        {
          tool: this.tool,
          color: this.color,
          brushSize: this.brushSize,
          canUndo: this.entries.length > 0,
          canClear: hasContent(this.document),
        },
        {
          chooseTool: (tool) => (this.tool = tool),
          chooseColor: (color) => {
            this.color = color;
            this.tool = 'pen';
          },
          chooseSize: (size) => (this.brushSize = size),
          undo: () => this.undo(),
          clear: () => this.clear(),
        },
      )}
      <div class="board" part="sketch-board">${this.canvas}</div>
    `;
  }

  private get document(): SketchDocument {
    return { background: this.background, picture: this.picture, entries: this.entries };
  }

  private resize(width: number, height: number): void {
    if (width === this.canvas.width && height === this.canvas.height) return;
    this.dropCurrentStroke();
    for (const canvas of [this.canvas, this.committed]) Object.assign(canvas, { width, height });
    this.repaint();
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (
      (event.ctrlKey || event.metaKey) &&
      !event.shiftKey &&
      !event.altKey &&
      event.key.toLowerCase() === 'z'
    ) {
      event.preventDefault();
      this.undo();
    }
  }

  private beginStroke(point: StrokePoint): void {
    this.current = { tool: this.tool, color: this.color, size: this.brushSize, points: [point] };
    this.present();
    this.inputThrottle.request();
  }

  private extendStroke(points: StrokePoint[]): void {
    if (!this.current) return;
    this.current.points.push(...points);
    this.present();
    this.inputThrottle.request();
  }

  private endStroke(): void {
    const stroke = this.current;
    if (!stroke) return;
    this.current = undefined;
    this.commit({ kind: 'stroke', stroke });
  }

  private cancelStroke(): void {
    this.dropCurrentStroke();
    // A follower may have seen the stroke through sd-sketch-input: tell it the drawing is back as it was.
    this.emit('sd-sketch-input', this.strokeCount);
  }

  private dropCurrentStroke(): void {
    this.inputThrottle.cancel();
    if (!this.current) return;
    this.current = undefined;
    this.present();
  }

  private commit(entry: SketchEntry): void {
    this.inputThrottle.cancel();
    this.entries = [...this.entries, entry];
    // The same drawing calls as a full repaint would make after the earlier entries, so the same pixels.
    if (entry.kind === 'stroke') paintStroke(this.committedContext, entry.stroke, this.background);
    else paintDocument(this.committedContext, this.document);
    this.present();
    this.emit('sd-sketch-change', this.strokeCount);
  }

  private repaint(): void {
    paintDocument(this.committedContext, this.document);
    this.present();
  }

  /** The committed drawing, with the stroke in progress on top. */
  private present(): void {
    this.context.globalCompositeOperation = 'copy';
    this.context.drawImage(this.committed, 0, 0);
    this.context.globalCompositeOperation = 'source-over';
    if (this.current) paintStroke(this.context, this.current, this.background);
  }

  private emit(type: SketchEventType, strokes: number): void {
    this.dispatchEvent(sketchEvent(type, strokes));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sd-sketch-pad': SketchPadElement;
  }
}
