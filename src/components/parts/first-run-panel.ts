/**
 * The first run: what will be downloaded and how big, the download with Pause and Resume, a confirmation
 * before a partial download is deleted, and instead of all that, why this device cannot run the model,
 * or, for a model made of the user's own files that are no longer stored, a way to choose them again.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import {
  canRun,
  checkRequirements,
  chooseMemoryMode,
  lowMemoryReloadSeconds,
  isLocalModelId,
  requirementAdvice,
  type DeviceCapabilities,
  type MemoryPreference,
  type ModelEntry,
  type ModelProgress,
  type ProviderPreference,
  type RequirementCheck,
  type StoredModel,
  WIDENED_NOTE,
} from '../../pipeline/index.js';
import type { Phase } from '../controllers/model-settings.js';
import { formatBytes } from '../format.js';
import { LightElement } from '../light-element.js';
import { modelLabel } from '../model-names.js';

export interface FirstRunActions {
  download(): void;
  pause(): void;
  deletePartial(): void;
  useModel(modelId: string): void;
  /** Your own files, no longer stored: the picker of Settings → Your own files, to store them again. */
  chooseFilesAgain(model: ModelEntry): void;
  /** …or the model's entry deleted. */
  forget(model: ModelEntry): void;
}

function fileBytes(model: ModelEntry): { path: string; bytes: number }[] {
  return Object.values(model.stages).map(({ file }) => ({
    path: file.path,
    bytes: file.bytes ?? file.approxBytes ?? 0,
  }));
}

/** Each reason once, with the providers it stops: ["WebGPU", "…shader-f16…"], ["wasm (CPU)", "…memory…"]. */
function unmetByLack(check: RequirementCheck): [string, string][] {
  const providers = new Map<string, string[]>();
  const add = (label: string, unmet: { lack: string }[]) =>
    unmet.forEach(({ lack }) => providers.set(lack, [...(providers.get(lack) ?? []), label]));
  add('WebGPU', check.webgpu.unmet);
  add('wasm (CPU)', check.wasm.unmet);
  return [...providers].map(([lack, labels]) => [labels.join(' and '), lack]);
}

export class FirstRunPanel extends LightElement {
  @property({ attribute: false }) actions?: FirstRunActions;
  @property({ attribute: false }) phase: Phase = 'starting';
  @property({ attribute: false }) model?: ModelEntry;
  @property({ attribute: false }) models: ModelEntry[] = [];
  @property({ attribute: false }) device?: DeviceCapabilities;
  @property({ attribute: false }) provider: ProviderPreference = 'auto';
  @property({ attribute: false }) memory: MemoryPreference = 'auto';
  @property({ attribute: false }) stored?: StoredModel;
  @property({ attribute: false }) progress?: ModelProgress;
  @property({ attribute: false }) storagePersisted?: boolean;
  /** Set while "Delete the partial download?" waits for an answer. */
  @state() private confirmingDelete = false;

  protected override render(): TemplateResult | typeof nothing {
    const model = this.model;
    if (!model) return nothing;
    if (this.phase === 'unsupported' && this.device) return this.renderUnsupported(model, this.device);
    // Nothing can download your own files: a stored entry without them asks for them again.
    if (isLocalModelId(model.id) && this.phase === 'first-run') return this.renderFilesGone(model);
    if (['first-run', 'paused', 'downloading'].includes(this.phase)) return this.renderFirstRun(model);
    if (this.phase === 'loading') {
      return html`<section class="panel" part="progress" aria-label="Loading">
        <p>Loading the model…</p>
        <progress aria-label="Loading the model"></progress>
      </section>`;
    }
    if (this.phase === 'idle' && this.stored?.complete) {
      return html`<p class="hint" part="stored-note">
        ${model.name} is stored in this browser (${formatBytes(this.stored.bytesStored)}): no download needed.
      </p>`;
    }
    return nothing;
  }

  /** Instead of a download that cannot end in an image: what this device lacks, each reason once. */
  private renderUnsupported(model: ModelEntry, device: DeviceCapabilities): TemplateResult {
    const check = checkRequirements(model, device);
    const lacks = unmetByLack(check);
    const runnable = this.models.filter((other) => canRun(checkRequirements(other, device), 'auto'));
    return html`
      <section class="panel" part="first-run unsupported" aria-labelledby="first-run-title">
        <h2 id="first-run-title">This device cannot run ${model.name}</h2>
        <p>Nothing was downloaded: here the download could not end in an image.</p>
        ${
          runnable.length > 0
            ? html`<div class="row">
                ${runnable.map(
                  (other, index) =>
                    html`<button
                      type="button"
                      class=${index === 0 ? 'primary' : ''}
                      part="runnable-model-button"
                      @click=${() => this.actions?.useModel(other.id)}
                    >
                      Use ${other.name}
                    </button>`,
                )}
              </div>`
            : nothing
        }
        <details part="first-run-details">
          <summary>Why, and what would help</summary>
          <ul part="unmet-requirements">
            ${lacks.map(([providers, lack]) => html`<li><strong>${providers}:</strong> ${lack}</li>`)}
          </ul>
          <p part="requirement-advice">${requirementAdvice(check, 'auto')}</p>
        </details>
      </section>
    `;
  }

  private renderFilesGone(model: ModelEntry): TemplateResult {
    return html`
      <section class="panel" part="first-run files-gone" aria-labelledby="first-run-title">
        <h2 id="first-run-title">The files of ${model.name} are no longer stored</h2>
        <p>
          ${model.name} is made of your own files, and this browser no longer has them all (its site data may
          have been cleared). They cannot be downloaded: choose them again on this device (or their folder,
          under Settings → Your own files), or forget the model.
        </p>
        <ul class="files">
          ${fileBytes(model).map((file) => html`<li>${file.path} — ${formatBytes(file.bytes)}</li>`)}
        </ul>
        <div class="row">
          <button
            type="button"
            class="primary"
            part="choose-files-again-button"
            @click=${() => this.actions?.chooseFilesAgain(model)}
          >
            Choose the files again…
          </button>
          <button type="button" part="forget-model-button" @click=${() => this.actions?.forget(model)}>
            Forget this model
          </button>
        </div>
      </section>
    `;
  }

  private renderFirstRun(model: ModelEntry): TemplateResult {
    const files = fileBytes(model);
    const total = files.reduce((sum, file) => sum + file.bytes, 0);
    // The progress can be ahead of the stored status, which is read only now and then; while one file is
    // hashed the others' bytes are still there, so every phase of a download counts, not only 'downloading'.
    const progress = this.progress;
    const shownBytes =
      progress?.modelId === model.id && progress.phase !== 'loading' ? progress.bytesDone : 0;
    const storedBytes = Math.max(this.stored?.bytesStored ?? 0, shownBytes);
    const title =
      this.phase === 'paused'
        ? 'Download paused'
        : `${storedBytes > 0 && this.phase === 'first-run' ? 'Finish downloading' : 'Download'} the model (${formatBytes(total)})`;
    return html`
      <section class="panel" part="first-run" aria-labelledby="first-run-title">
        <h2 id="first-run-title">${title}</h2>
        <p>
          ${modelLabel(model)} runs entirely in this browser: it is downloaded once and stays here for next
          time.
        </p>
        ${
          storedBytes > 0 && this.phase !== 'downloading'
            ? html`<p part="resume-note">
                ${formatBytes(storedBytes)} of ${formatBytes(this.stored?.bytesTotal || total)} are already
                stored; the download continues from there.
              </p>`
            : nothing
        }
        ${this.renderProviderNote(model)} ${this.renderMemoryNote(model)}
        ${
          this.phase === 'downloading' || this.phase === 'paused'
            ? html`<sd-download-progress
                .progress=${this.progress}
                .paused=${this.phase === 'paused'}
              ></sd-download-progress>`
            : nothing
        }
        ${this.renderButtons(storedBytes)}
        <details part="first-run-details">
          <summary>What is downloaded</summary>
          <ul class="files">
            ${files.map((file) => html`<li>${file.path} — ${formatBytes(file.bytes)}</li>`)}
          </ul>
          <p class="hint" part="own-files-hint">
            Have these ONNX files on this device already? Use them under Settings → Your own files.
          </p>
          ${this.renderPersistenceNote()}
        </details>
      </section>
    `;
  }

  private renderButtons(storedBytes: number): TemplateResult {
    const active = this.phase === 'downloading';
    if (this.confirmingDelete) {
      return html`<div class="row confirm" part="confirm-delete" role="group" aria-label="Confirm">
        <p>Delete the ${formatBytes(storedBytes)} downloaded so far? The download starts over next time.</p>
        <button type="button" class="danger" part="confirm-delete-button" @click=${this.onConfirmDelete}>
          Delete partial download
        </button>
        <button type="button" part="keep-download-button" @click=${() => (this.confirmingDelete = false)}>
          Keep it
        </button>
      </div>`;
    }
    return html`<div class="row">
      ${
        active
          ? html`<button type="button" part="pause-button" @click=${() => this.actions?.pause()}>
              Pause
            </button>`
          : html`<button
              type="button"
              class="primary"
              part="download-button"
              @click=${() => this.actions?.download()}
            >
              ${storedBytes > 0 ? 'Resume download' : 'Download'}
            </button>`
      }
      ${
        active || storedBytes > 0
          ? html`<button
              type="button"
              part="cancel-download-button"
              @click=${() => (this.confirmingDelete = true)}
            >
              Cancel download…
            </button>`
          : nothing
      }
    </div>`;
  }

  private onConfirmDelete(): void {
    this.confirmingDelete = false;
    this.actions?.deletePartial();
  }

  /** What the chosen provider lacks for this model, said once, before the download. */
  private renderProviderNote(model: ModelEntry): TemplateResult | typeof nothing {
    if (!this.device) return nothing;
    const check = checkRequirements(model, this.device);
    const provider = this.provider === 'auto' ? 'webgpu' : this.provider;
    const support = check[provider];
    if (support.runnable && support.precision === 'fp32-widened') {
      return html`<p class="hint" part="provider-note precision-note">
        ${WIDENED_NOTE}. This GPU lacks "shader-f16", so the FP16 weights (the same download) are widened to
        FP32 as they load: ${formatBytes(support.widenedWeightBytes ?? 0)} of GPU memory.
      </p>`;
    }
    if (support.runnable) return nothing;
    const lacks = check[provider].unmet.map((unmet) => unmet.lack).join(' ');
    const then =
      this.provider === 'auto'
        ? 'It will run on wasm (CPU), more slowly.'
        : 'Choose another execution provider under Settings.';
    return html`<p class="hint" part="provider-note">${lacks} ${then}</p>`;
  }

  /** What low-memory mode costs per image, where it will be used. */
  private renderMemoryNote(model: ModelEntry): TemplateResult | typeof nothing {
    const provider = this.provider === 'auto' ? 'webgpu' : this.provider;
    const precision = this.device ? checkRequirements(model, this.device)[provider].precision : undefined;
    if (chooseMemoryMode(model, this.device, this.memory, precision).mode !== 'low') return nothing;
    const seconds = Math.max(1, Math.round(lowMemoryReloadSeconds(model, precision)));
    return html`<p class="hint" part="memory-note">
      Low-memory mode: each image reloads the three stages, about ${seconds} s more per image.
    </p>`;
  }

  private renderPersistenceNote(): TemplateResult | typeof nothing {
    if (this.storagePersisted === undefined) return nothing;
    return html`<p class="hint" part="persistence-note">
      ${
        this.storagePersisted
          ? 'Storage is persistent: the browser keeps the model until you delete it.'
          : 'The browser did not grant persistent storage: it may delete the model when disk space runs low.'
      }
    </p>`;
  }
}
