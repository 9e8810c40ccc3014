/**
 * The Settings drawer's own part (the prompt bar holds the drawer): the execution provider, memory, how the
 * model was loaded, the models stored in this browser, and Your own files (model files from this device). A complete model is deleted only after a question that
 * says how much would have to be downloaded again.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import {
  isLocalModelId,
  WEBNN_DEVICE_TYPES,
  type LoadedModel,
  type ModelProgress,
  type MemoryPreference,
  type ProviderPreference,
  type StoredModel,
  type WebNnCapabilities,
  type WebNnDeviceType,
} from '../../pipeline/index.js';
import { focusCancel, renderConfirmQuestion } from './confirm-question.js';
import { formatBytes, formatSeconds } from '../format.js';
import { isWebNnDeviceType } from '../input-checks.js';
import { LightElement } from '../light-element.js';
import type { LocalFilesActions } from './local-files-panel.js';

/** What Settings shows of Your own files (see local-files-panel.ts). */
export interface LocalFilesView {
  actions: LocalFilesActions;
  storing: boolean;
  cancelling: boolean;
  progress?: ModelProgress;
  notes: readonly string[];
}

export interface SettingsActions {
  providerChange(provider: ProviderPreference): void;
  memoryChange(memory: MemoryPreference): void;
  webnnDeviceTypeChange(deviceType: WebNnDeviceType): void;
  deleteStored(modelId: string): void;
}

const MEMORY_LABELS: [MemoryPreference, string][] = [
  ['auto', 'Automatic (one stage at a time only where all would not fit)'],
  ['resident', 'Keep every stage loaded'],
  ['low', 'Low memory: one stage at a time, reloaded for every image'],
];

const PROVIDER_LABELS: [ProviderPreference, string][] = [
  ['auto', 'Automatic (WebGPU when possible)'],
  ['webgpu', 'WebGPU'],
  ['wasm', 'wasm (CPU)'],
  ['webnn', 'WebNN'],
];

export class SettingsPanel extends LightElement {
  @property({ attribute: false }) actions?: SettingsActions;
  /** The `provider` as given, which may be one this element does not know. */
  @property({ attribute: false }) provider = 'auto';
  /** The `memory` attribute as given. */
  @property({ attribute: false }) memory = 'auto';
  /** The `webnn-device-type` as given, and WebNN's answer for it (undefined until asked). */
  @property({ attribute: false }) webnnDeviceType = 'gpu';
  @property({ attribute: false }) webnn?: WebNnCapabilities;
  @property({ attribute: false }) providerError?: string;
  @property({ attribute: false }) loaded?: LoadedModel;
  @property({ attribute: false }) stored: StoredModel[] = [];
  @property({ attribute: false }) modelNames = new Map<string, string>();
  @property({ attribute: false }) busy = false;
  /** The complete model whose Delete was pressed: the question waits for an answer. */
  @state() private confirmingDelete?: StoredModel;
  @property({ attribute: false }) localFiles?: LocalFilesView;

  protected override render(): TemplateResult {
    return html`
      <div class="settings-panel" part="settings-panel">
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
                  ?disabled=${value === 'webnn' && this.provider !== 'webnn' && !this.webnn?.available}
                  aria-describedby=${value === 'webnn' ? 'webnn-status' : nothing}
                  @change=${() => this.actions?.providerChange(value)}
                />
                ${label}${value === 'webnn' && this.webnn && !this.webnn.available ? ' (not available here)' : ''}</label
              >`,
          )}
          ${this.renderWebNn()}
        </fieldset>
        ${
          this.providerError
            ? html`<p class="field-error" id="provider-error" part="field-error provider-error">
                ${this.providerError}
              </p>`
            : nothing
        }
        <fieldset part="memory">
          <legend>Memory</legend>
          ${MEMORY_LABELS.map(
            ([value, label]) =>
              html`<label class="choice"
                ><input
                  type="radio"
                  name="memory"
                  .value=${value}
                  .checked=${this.memory === value}
                  @change=${() => this.actions?.memoryChange(value)}
                />
                ${label}</label
              >`,
          )}
        </fieldset>
        ${this.renderLoaded()} ${this.renderStored()}
        <sd-local-files-panel
          .actions=${this.localFiles?.actions}
          .storing=${this.localFiles?.storing ?? false}
          .cancelling=${this.localFiles?.cancelling ?? false}
          .progress=${this.localFiles?.progress}
          .notes=${this.localFiles?.notes ?? []}
        ></sd-local-files-panel>
      </div>
    `;
  }

  /** The WebNN device type, and what `navigator.ml.createContext` said for it: offered only where it works. */
  private renderWebNn(): TemplateResult {
    const type = this.webnnDeviceType;
    const webnn = this.webnn;
    const status = !webnn
      ? `Checking whether WebNN gives a ${type} context…`
      : webnn.available
        ? `WebNN gives a ${webnn.deviceType} context here.`
        : `WebNN (${webnn.deviceType}) is not available here: ${webnn.error}`;
    return html`
      <div class="field">
        <label for="webnn-device-type">WebNN device</label>
        <select
          id="webnn-device-type"
          part="webnn-device-type"
          aria-describedby="webnn-status"
          @change=${(event: Event) => {
            const value = (event.target as HTMLSelectElement).value;
            if (isWebNnDeviceType(value)) this.actions?.webnnDeviceTypeChange(value);
          }}
        >
          ${isWebNnDeviceType(type) ? nothing : html`<option value="" selected disabled>${type} (not allowed)</option>`}
          ${WEBNN_DEVICE_TYPES.map((t) => html`<option value=${t} ?selected=${t === type}>${t.toUpperCase()}</option>`)}
        </select>
      </div>
      <p class="hint" id="webnn-status" part="webnn-status">${status}</p>
    `;
  }

  /** Loading and its warm-up image are paid once, so they are shown here, not in the seconds per image. */
  private renderLoaded(): TemplateResult | typeof nothing {
    const loaded = this.loaded;
    if (!loaded) return nothing;
    return html`<p class="hint" part="load-note">
      Running on: ${loaded.provider.reason} Loaded in ${formatSeconds(loaded.loadMs)}, including a
      ${formatSeconds(loaded.warmupMs)} warm-up image.
      ${loaded.memory === 'low' ? 'Low-memory mode: ' : ''}${loaded.memoryReason}
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
      </table>
      ${this.confirmingDelete ? this.renderDeleteQuestion(this.confirmingDelete) : nothing}`;
  }

  private renderDeleteQuestion(model: StoredModel): TemplateResult {
    const name = this.modelNames.get(model.modelId) ?? model.modelId;
    const size = formatBytes(model.bytesTotal);
    // Your own files come back only from the disk they were chosen on, not from a download.
    const again = isLocalModelId(model.modelId) ? 'choosing its files again' : `downloading ${size} again`;
    return renderConfirmQuestion({
      part: 'confirm-delete-model',
      message: `Delete ${name} from this browser? Using it again means ${again}.`,
      confirmLabel: `Delete ${size}`,
      cancelLabel: 'Keep it',
      confirmDisabled: this.busy,
      confirm: () => {
        this.confirmingDelete = undefined;
        this.actions?.deleteStored(model.modelId);
      },
      cancel: () => void this.keep(model),
    });
  }

  /** No: the question goes and focus returns to the Delete button that asked it. */
  private async keep(model: StoredModel): Promise<void> {
    this.confirmingDelete = undefined;
    await this.updateComplete;
    this.querySelector<HTMLElement>(`[part~="delete-button"][data-model="${model.modelId}"]`)?.focus();
  }

  /** A partial download is deleted at once (Resume is the way to keep it); a complete one is asked about. */
  private onDelete(model: StoredModel): void {
    if (!model.complete) {
      this.actions?.deleteStored(model.modelId);
      return;
    }
    this.confirmingDelete = model;
    void focusCancel(this, 'confirm-delete-model');
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
          data-model=${model.modelId}
          aria-label=${`Delete ${model.modelId} (${formatBytes(model.bytesStored)})`}
          ?disabled=${this.busy}
          @click=${() => this.onDelete(model)}
        >
          Delete
        </button>
      </td>
    </tr>`;
  }
}
