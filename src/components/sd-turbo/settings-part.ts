/**
 * The element's side of Settings: the provider and WebNN device type, the stored models, and your own
 * files (the local-files controller that stores them, and what happens once they are stored).
 */
import { html, type TemplateResult } from 'lit';
import { isLocalModelId, type LocalModelImport } from '../../pipeline/index.js';
import { LocalFilesController } from '../controllers/local-files-controller.js';
import { localFilesGuidance } from '../error-guidance.js';
import { isManifestUrl } from '../input-checks.js';
import type { LocalFilesView, SettingsActions } from '../parts/settings-panel.js';
import type { ElementHost } from './element-host.js';

export class SettingsPart {
  readonly localFiles: LocalFilesController;

  private readonly actions: SettingsActions = {
    providerChange: (provider) => (this.el.provider = provider),
    memoryChange: (memory) => (this.el.memory = memory),
    webnnDeviceTypeChange: (deviceType) => {
      this.el.webnnDeviceType = deviceType;
      this.el.models.probeWebNn().catch(() => undefined);
    },
    deleteStored: (modelId) => void this.deleteStored(modelId),
  };

  constructor(private readonly el: ElementHost) {
    this.localFiles = new LocalFilesController(el, {
      client: () => el.models.client,
      stored: (result) => this.onLocalModelStored(result),
      report: (error) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        el.feedback.reportAs(failure, localFilesGuidance(failure));
      },
      announce: (text) => el.feedback.announce(text),
      notify: (text) => el.feedback.notify(text),
    });
  }

  private async deleteStored(modelId: string): Promise<void> {
    const el = this.el;
    await el.models.deleteStored(modelId);
    el.feedback.notify(`Deleted the stored ${modelId} model.`);
    // A local model is gone with its files: out of the list, and no longer the element's model.
    if (!isLocalModelId(modelId)) return;
    if (el.modelId === modelId) el.model = '';
    else void el.models.inspect();
  }

  /** The stored files are the element's model from now on (a manifest given as `model` stays in use). */
  private onLocalModelStored({ model, alreadyStored }: LocalModelImport): void {
    const el = this.el;
    el.feedback.clearProblem();
    if (isManifestUrl(el.model)) el.manifest = el.model;
    if (el.model === model.id) void el.models.inspect();
    else el.model = model.id;
    el.feedback.notify(
      alreadyStored
        ? `${model.name} was already stored in this browser; it is selected.`
        : `${model.name} is stored in this browser and selected: press Generate.`,
    );
  }

  private localFilesView(): LocalFilesView {
    const localFiles = this.localFiles;
    return {
      actions: {
        choose: (files, imageSize, replaces) => void localFiles.store(files, imageSize, replaces),
        cancel: () => localFiles.cancel(),
        failed: (error) => localFiles.fail(error),
      },
      storing: localFiles.storing,
      cancelling: localFiles.cancelling,
      progress: localFiles.progress,
      notes: localFiles.notes,
    };
  }

  /** Placed in the prompt bar's Settings drawer. */
  render(): TemplateResult {
    const el = this.el;
    const names = new Map(el.models.manifest?.models.map((model) => [model.id, model.name]));
    return html`<sd-settings-panel
      .actions=${this.actions}
      .provider=${el.provider}
      .providerError=${el.inputProblems.provider}
      .memory=${el.memory}
      .webnnDeviceType=${el.webnnDeviceType}
      .webnn=${el.models.webnn.status}
      .loaded=${el.models.loaded}
      .stored=${el.models.stored}
      .modelNames=${names}
      .busy=${el.busy}
      .localFiles=${this.localFilesView()}
    ></sd-settings-panel>`;
  }
}
