import { html, nothing, type TemplateResult } from 'lit';
import type { SizePreset } from '../../pipeline/index.js';

/**
 * The Size control: the presets, and a size that is none of them as an extra, selected choice: as typed
 * (with "not allowed") where it cannot be made. Nothing for a model without sizes.
 */
export function sizeField(
  presets: readonly SizePreset[],
  size: { width: string; height: string } | undefined,
  error: string | undefined,
  change: (size: { width: number; height: number }) => void,
): TemplateResult | typeof nothing {
  if (presets.length === 0 || !size) return nothing;
  const current = `${size.width}x${size.height}`;
  const preset = presets.find((choice) => `${choice.width}x${choice.height}` === current);
  return html`
    <div class="field" part="size">
      <label for="size">Size</label>
      <select
        id="size"
        part="size-select"
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby=${error ? 'size-error' : nothing}
        @change=${(event: Event) => {
          const [width, height] = (event.target as HTMLSelectElement).value.split('x').map(Number);
          change({ width, height });
        }}
      >
        ${
          preset
            ? nothing
            : html`<option value="" selected disabled>${current} ${error ? '(not allowed)' : ''}</option>`
        }
        ${presets.map(
          (choice) =>
            html`<option value=${`${choice.width}x${choice.height}`} ?selected=${choice === preset}>
              ${choice.label} (${choice.width}×${choice.height})
            </option>`,
        )}
      </select>
    </div>
  `;
}
