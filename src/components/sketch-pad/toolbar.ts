/**
 * The pad's controls: Pen and Eraser as toggle buttons, the colours and brush sizes as native radio groups
 * (arrow keys move within a group, Tab moves between groups), Undo and Clear.
 */
import { html, type TemplateResult } from 'lit';
import type { SketchTool } from './strokes.js';

export const SWATCHES: readonly { name: string; color: string }[] = [
  { name: 'Black', color: '#000000' },
  { name: 'White', color: '#ffffff' },
  { name: 'Red', color: '#dc2626' },
  { name: 'Orange', color: '#f97316' },
  { name: 'Yellow', color: '#facc15' },
  { name: 'Green', color: '#16a34a' },
  { name: 'Blue', color: '#2563eb' },
  { name: 'Brown', color: '#8b5a2b' },
];

/** In canvas pixels: from a fine outline to filling a 512-pixel canvas in a few strokes. */
export const BRUSH_SIZES: readonly { name: string; size: number }[] = [
  { name: 'Fine', size: 4 },
  { name: 'Medium', size: 12 },
  { name: 'Thick', size: 28 },
  { name: 'Broad', size: 56 },
];

export interface ToolbarState {
  tool: SketchTool;
  color: string;
  brushSize: number;
  canUndo: boolean;
  canClear: boolean;
}

export interface ToolbarActions {
  chooseTool(tool: SketchTool): void;
  chooseColor(color: string): void;
  chooseSize(size: number): void;
  undo(): void;
  clear(): void;
}

export function renderToolbar(state: ToolbarState, actions: ToolbarActions): TemplateResult {
  const toolButton = (tool: SketchTool, label: string) => html`
    <button
      type="button"
      class="tool"
      part="sketch-tool ${tool}-button"
      aria-pressed=${state.tool === tool ? 'true' : 'false'}
      @click=${() => actions.chooseTool(tool)}
    >
      ${label}
    </button>
  `;
  return html`
    <div class="toolbar" part="sketch-toolbar">
      <div class="group" role="group" aria-label="Tool">
        ${toolButton('pen', 'Pen')} ${toolButton('eraser', 'Eraser')}
      </div>
      <fieldset class="group" role="radiogroup" aria-label="Colour">
        ${SWATCHES.map(
          ({ name, color }) => html`
            <label class="choice" title=${name}>
              <input
                type="radio"
                name="sketch-color"
                aria-label=${name}
                .value=${color}
                .checked=${state.color.toLowerCase() === color}
                @change=${() => actions.chooseColor(color)}
              />
              <span class="swatch" style="background: ${color}"></span>
            </label>
          `,
        )}
      </fieldset>
      <fieldset class="group" role="radiogroup" aria-label="Brush size">
        ${BRUSH_SIZES.map(
          ({ name, size }) => html`
            <label class="choice" title="${name}, ${size} px">
              <input
                type="radio"
                name="sketch-size"
                aria-label="${name}, ${size} pixels"
                .value=${String(size)}
                .checked=${state.brushSize === size}
                @change=${() => actions.chooseSize(size)}
              />
              <span class="size"><span style="--dot: ${Math.min(size, 28)}px"></span></span>
            </label>
          `,
        )}
      </fieldset>
      <div class="group">
        <button
          type="button"
          part="sketch-undo-button"
          aria-keyshortcuts="Control+Z Meta+Z"
          ?disabled=${!state.canUndo}
          @click=${() => actions.undo()}
        >
          Undo
        </button>
        <button
          type="button"
          part="sketch-clear-button"
          ?disabled=${!state.canClear}
          @click=${() => actions.clear()}
        >
          Clear
        </button>
      </div>
    </div>
  `;
}
