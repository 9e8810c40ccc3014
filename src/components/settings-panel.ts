/**
 * Settings: the execution provider, how the model was loaded, the models stored in this browser, and
 * Your own files (model files from this device).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import type { LoadedModel, ModelProgress, ProviderPreference, StoredModel } from '../pipeline/index.js';
import { formatBytes, formatSeconds } from './format.js';
import { LightElement } from './light-element.js';
import type { LocalFilesActions } from './local-files-panel.js';

/** What Settings shows of Your own files (see local-files-panel.ts). */
export interface LocalFilesView {
  actions: LocalFilesActions;
  storing: boolean;
  progress?: ModelProgress;
  notes: readonly string[];
}

export interface SettingsActions {
  providerChange(provider: ProviderPreference): void;
  deleteStored(modelId: string): void;
}

const PROVIDER_LABELS: [ProviderPreference, string][] = [
  ['auto', 'Automatic (WebGPU when possible)'],
  ['webgpu', 'WebGPU'],
  ['wasm', 'wasm (CPU)'],
];

export class SettingsPanel extends LightElement {
  @property({ attribute: false }) actions?: SettingsActions;
  /** The `provider` as given, which may be one this element does not know. */
  @property({ attribute: false }) provider = 'auto';
  @property({ attribute: false }) providerError?: string;
  @property({ attribute: false }) loaded?: LoadedModel;
  @property({ attribute: false }) stored: StoredModel[] = [];
  @property({ attribute: false }) modelNames = new Map<string, string>();
  @property({ attribute: false }) busy = false;
  @property({ attribute: false }) localFiles?: LocalFilesView;

  protected override render(): TemplateResult {
    return html`
      <details part="settings" ?open=${this.providerError !== undefined}>
        <summary>Settings</summary>
        <fieldset
          part="provider"
          aria-invalid=${this.providerError ? 'true' : 'false'}
          aria-describedby=${this.providerError ? 'provider-error' : nothing}
        >
          <legend>Execution provider</legend>
          ${PROVIDER_LABELS.map(
            ([value, label]) =>
              html`<label class="choice"
                ><input
                  type="radio"
                  name="provider"
                  .value=${value}
                  .checked=${this.provider === value}
                  @change=${() => this.actions?.providerChange(value)}
                />
                ${label}</label
              >`,
          )}
        </fieldset>
        ${
          this.providerError
            ? html`<p class="field-error" id="provider-error" part="field-error provider-error">
                ${this.providerError}
              </p>`
            : nothing
        }
        ${this.renderLoaded()} ${this.renderStored()}
        <sd-local-files-panel
          .actions=${this.localFiles?.actions}
          .storing=${this.localFiles?.storing ?? false}
          .progress=${this.localFiles?.progress}
          .notes=${this.localFiles?.notes ?? []}
        ></sd-local-files-panel>
      </details>
    `;
  }

  /** Loading and its warm-up image are paid once, so they are shown here, not in the seconds per image. */
  private renderLoaded(): TemplateResult | typeof nothing {
    const loaded = this.loaded;
    if (!loaded) return nothing;
    return html`<p class="hint" part="load-note">
      Running on: ${loaded.provider.reason} Loaded in ${formatSeconds(loaded.loadMs)}, including a
      ${formatSeconds(loaded.warmupMs)} warm-up image.
    </p>`;
  }

  private renderStored(): TemplateResult {
    const stored = this.stored.filter((model) => model.bytesStored > 0);
    return html`<table part="stored-models">
      <caption class="hint">
        Models stored in this browser
      </caption>
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">Size</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${
          stored.length === 0
            ? html`<tr>
                <td colspan="3">None yet.</td>
              </tr>`
            : stored.map((model) => this.renderStoredRow(model))
        }
      </tbody>
    </table>`;
  }

  private renderStoredRow(model: StoredModel): TemplateResult {
    const size = model.complete
      ? formatBytes(model.bytesStored)
      : `${formatBytes(model.bytesStored)} of ${formatBytes(model.bytesTotal)} (partial)`;
    return html`<tr>
      <td>${this.modelNames.get(model.modelId) ?? model.modelId}</td>
      <td>${size}</td>
      <td>
        <button
          type="button"
          part="delete-button"
          aria-label=${`Delete ${model.modelId} (${formatBytes(model.bytesStored)})`}
          ?disabled=${this.busy}
          @click=${() => this.actions?.deleteStored(model.modelId)}
        >
          Delete
        </button>
      </td>
    </tr>`;
  }
}
