/**
 * Settings → Your own files: SD-Turbo ONNX files from this device, picked as a folder or as files, with
 * the image size for files that leave it open. The files go to the pipeline, which checks them and stores
 * them; this part shows the storing (with its Cancel) and what the check noted.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { DEFAULT_IMAGE_SIZE, type LocalModelFile, type ModelProgress } from '../../pipeline/index.js';
import { formatBytes, percent } from '../format.js';
import { imageSizeProblem } from '../input-checks.js';
import { LightElement } from '../light-element.js';
import { canPickFiles, canPickFolder, filesFromInput, pickFiles, pickFolder } from './local-file-picking.js';

export interface LocalFilesActions {
  /** @param replaces the local model whose files were chosen again (see chooseFilesAgain) */
  choose(files: LocalModelFile[], imageSize: number, replaces?: string): void;
  /** Stop the storing in flight. */
  cancel(): void;
  /** A picker failed (not a cancel): the element reports it. */
  failed(error: unknown): void;
}

export class LocalFilesPanel extends LightElement {
  @property({ attribute: false }) actions?: LocalFilesActions;
  @property({ attribute: false }) storing = false;
  @property({ attribute: false }) cancelling = false;
  @property({ attribute: false }) progress?: ModelProgress;
  /** What the last check decided that the user may not expect. */
  @property({ attribute: false }) notes: readonly string[] = [];
  @state() private imageSize = DEFAULT_IMAGE_SIZE;
  @query('#local-files-input') private filesInput?: HTMLInputElement;
  @query('#local-folder-input') private folderInput?: HTMLInputElement;
  /** Set by chooseFilesAgain until files are chosen: the image size and id of the model they restore. */
  private again?: { imageSize: number; replaces: string };

  protected override render(): TemplateResult {
    const sizeError = imageSizeProblem(this.imageSize);
    return html`
      <section part="local-files" aria-labelledby="local-files-title">
        <h3 id="local-files-title">Your own files</h3>
        <p class="hint">
          SD-Turbo as ONNX files on this device: the text encoder, UNet and VAE decoder (and a VAE encoder for
          image to image). Each file's inputs and outputs are checked, then the files are stored in this
          browser like a download.
        </p>
        <div class="field">
          <label for="local-image-size">Image size where the files leave it open (pixels)</label>
          <input
            id="local-image-size"
            part="local-image-size"
            type="number"
            min="64"
            step="64"
            .value=${String(this.imageSize)}
            aria-invalid=${sizeError ? 'true' : 'false'}
            aria-describedby=${sizeError ? 'local-image-size-error' : nothing}
            @input=${(event: Event) => (this.imageSize = (event.target as HTMLInputElement).valueAsNumber)}
          />
        </div>
        ${
          sizeError
            ? html`<p class="field-error" id="local-image-size-error" part="field-error">${sizeError}</p>`
            : nothing
        }
        <div class="row">
          <button type="button" part="local-folder-button" ?disabled=${this.storing} @click=${this.onFolder}>
            Choose a folder…
          </button>
          <button type="button" part="local-files-button" ?disabled=${this.storing} @click=${this.onFiles}>
            Choose files…
          </button>
        </div>
        <input
          id="local-files-input"
          part="local-files-input"
          type="file"
          multiple
          accept=".onnx"
          hidden
          @change=${(event: Event) => this.onInput(event.target as HTMLInputElement)}
        />
        <input
          id="local-folder-input"
          part="local-folder-input"
          type="file"
          webkitdirectory
          hidden
          @change=${(event: Event) => this.onInput(event.target as HTMLInputElement)}
        />
        ${this.renderStoring()} ${this.renderNotes()}
      </section>
    `;
  }

  private renderStoring(): TemplateResult | typeof nothing {
    if (!this.storing) return nothing;
    const progress = this.progress;
    const done = progress ? percent(progress.bytesDone, progress.bytesTotal) : 0;
    const amount = progress
      ? `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`
      : '';
    const label = this.cancelling
      ? 'Stopping, and deleting what was stored…'
      : `Checking and storing your files: ${done}%`;
    return html`<div class="field" part="local-files-progress">
      <label for="local-files-progress">${label}</label>
      <progress id="local-files-progress" max="100" .value=${done}></progress>
      <div class="row">
        <p class="hint">${amount}</p>
        <button
          type="button"
          part="cancel-local-files-button"
          ?disabled=${this.cancelling}
          @click=${() => this.actions?.cancel()}
        >
          Cancel
        </button>
      </div>
    </div>`;
  }

  private renderNotes(): TemplateResult | typeof nothing {
    if (this.notes.length === 0) return nothing;
    return html`<ul class="hint" part="local-files-notes">
      ${this.notes.map((note) => html`<li>${note}</li>`)}
    </ul>`;
  }

  /**
   * Choose files… for a local model whose stored files are gone: the files chosen are stored at its
   * image size and replace it. Settings opens, to show the storing.
   */
  chooseFilesAgain(imageSize: number, replaces: string): void {
    this.closest('details')?.setAttribute('open', '');
    this.again = { imageSize, replaces };
    this.openFilesPicker();
  }

  private readonly onFolder = (): void => {
    this.again = undefined;
    if (canPickFolder()) void this.pick(pickFolder);
    else this.folderInput?.click();
  };

  private readonly onFiles = (): void => {
    this.again = undefined;
    this.openFilesPicker();
  };

  private openFilesPicker(): void {
    if (canPickFiles()) void this.pick(pickFiles);
    else this.filesInput?.click();
  }

  private async pick(picker: () => Promise<LocalModelFile[] | undefined>): Promise<void> {
    try {
      const files = await picker();
      if (files) this.choose(files);
    } catch (error) {
      this.actions?.failed(error);
    }
  }

  private onInput(input: HTMLInputElement): void {
    const files = filesFromInput(input);
    // Cleared, so that choosing the same files again (after fixing one) is a change too.
    input.value = '';
    this.choose(files);
  }

  private choose(files: LocalModelFile[]): void {
    const again = this.again;
    this.again = undefined;
    if (again) {
      this.actions?.choose(files, again.imageSize, again.replaces);
      return;
    }
    if (imageSizeProblem(this.imageSize)) {
      this.renderRoot.querySelector<HTMLElement>('#local-image-size')?.focus();
      return;
    }
    this.actions?.choose(files, this.imageSize);
  }
}
