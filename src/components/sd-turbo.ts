/**
 * `<sd-turbo>`: a text-to-image generator in one element. The prompt comes first; the first-run panel,
 * the result with its busy state, the gallery and the settings are parts of their own (each a file), and
 * this class says what each action does.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { isLocalModelId, type LocalModelImport, type ProviderPreference } from '../pipeline/index.js';
import type { ModelEntry } from '../pipeline/index.js';
import { LocalFilesController } from './controllers/local-files-controller.js';
import type { Phase } from './controllers/model-controller.js';
import { localFilesGuidance } from './error-guidance.js';
import type { FirstRunActions } from './parts/first-run-panel.js';
import type { LocalFilesPanel } from './parts/local-files-panel.js';
import { copyImage, downloadPng } from './gallery/image-actions.js';
import { isMemoryMode, isProvider, parseSeed } from './input-checks.js';
import type { Remedy } from './messages.js';
import type { ProblemActions } from './parts/problem-panel.js';
import type { PromptBarActions } from './parts/prompt-bar.js';
import type { ResultActions } from './parts/result-details.js';
import type { LocalFilesView, SettingsActions } from './parts/settings-panel.js';
import { isManifestUrl } from './input-checks.js';
import type { SdTurboElement as SdTurboElementApi } from './sd-turbo-api.js';
import { NEEDS_DOWNLOAD, SdTurboModes } from './sd-turbo-modes.js';

export { randomSeed, type GenerateOptions, type SdErrorCode } from './sd-turbo-core.js';

/** The generated random-weight models: offered in the picker only with `test-models`. */
const isTestModel = (modelId: string): boolean => modelId.startsWith('tiny-');

export class SdTurboElement extends SdTurboModes implements SdTurboElementApi {
  constructor() {
    super();
    this.addEventListener('keydown', (event) => this.onKeydown(event as KeyboardEvent));
  }

  /** Enter in the prompt generates; Esc anywhere in the element cancels the image being made. */
  private onKeydown(event: KeyboardEvent): void {
    if (event.key === 'Escape' && this.busy) {
      event.preventDefault();
      this.cancel();
      return;
    }
    const inPrompt = event.composedPath().some((target) => (target as Element).id === 'prompt');
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || !inPrompt) return;
    event.preventDefault();
    if (!this.busy) this.startGenerating();
  }

  private readonly promptActions: PromptBarActions = {
    promptInput: (prompt) => (this.prompt = prompt),
    // The second click of a double click is not a Cancel: it would stop the image the first one started.
    generateClick: (event) => {
      if (event.detail > 1) return;
      if (this.busy) this.cancel();
      else this.startGenerating();
    },
    seedChange: (text) => {
      this.seedText = text;
      this.seed = parseSeed(text) ?? null;
    },
    randomSeed: () => {
      this.seedText = '';
      this.seed = null;
    },
    stepsChange: (steps) => (this.steps = steps),
    modelChange: (modelId) => (this.model = modelId),
    realtimeChange: (on) => (this.realtime = on),
  };

  private startGenerating(): void {
    if (NEEDS_DOWNLOAD.includes(this.models.phase)) {
      this.pointAtFirstRun();
      return;
    }
    const problems = this.inputProblems;
    if (Object.values(problems).some(Boolean)) {
      this.notify('Fix the setting marked in red first.');
      this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    this.generate().catch(() => undefined);
  }

  /**
   * Shows the first-run panel and says why nothing happened. Focus stays where it is: moved to the
   * Download button, the next keystroke would start a download of gigabytes nobody agreed to.
   */
  private pointAtFirstRun(): void {
    const reasons: Partial<Record<Phase, string>> = {
      starting: 'Still checking this device and the stored models…',
      unsupported: 'This device cannot run the model; the panel says why.',
      // Your own files, no longer stored: the panel offers to choose them again.
      ...(isLocalModelId(this.modelId ?? '') && { 'first-run': "Choose the model's files again first." }),
    };
    this.notify(
      reasons[this.models.phase] ?? 'Download the model first: the panel says what it is and how big.',
    );
    this.renderRoot.querySelector('[part~="first-run"]')?.scrollIntoView({ block: 'nearest' });
  }

  private readonly firstRunActions: FirstRunActions = {
    download: () => this.load().catch(() => undefined),
    pause: () => this.models.pause(),
    deletePartial: () => void this.models.deletePartial(),
    useModel: (modelId) => (this.model = modelId),
    // The same picker as Settings → Your own files; the files replace the model whose files are gone.
    chooseFilesAgain: (model) =>
      this.renderRoot
        .querySelector<LocalFilesPanel>('sd-local-files-panel')
        ?.chooseFilesAgain(model.image.width, model.id),
    forget: (model) => void this.forget(model).catch((error: unknown) => this.report(error)),
  };

  /** A local model whose files are gone: its entry goes too, and the manifest's default model is used. */
  private async forget(model: ModelEntry): Promise<void> {
    await this.models.client?.deleteModel(model.id);
    if (this.modelId === model.id) this.model = '';
    this.notify(`Forgot ${model.name}: choose its files under Settings → Your own files to use it again.`);
  }

  private readonly resultActions: ResultActions = {
    downloadPng: (image) => void downloadPng(image),
    copyImage: (image) => void copyImage(image).then((outcome) => this.notify(outcome)),
    reuseSeed: (seed) => (this.seed = seed),
  };

  private readonly settingsActions: SettingsActions = {
    providerChange: (provider: ProviderPreference) => (this.provider = provider),
    memoryChange: (memory) => (this.memory = memory),
    webnnDeviceTypeChange: (deviceType) => {
      this.webnnDeviceType = deviceType;
      this.models.probeWebNn().catch(() => undefined);
    },
    // WebNN is asked about only now (or with provider="webnn"): it creates an MLContext where it exists.
    opened: () => this.models.webnn.status ?? this.models.probeWebNn().catch(() => undefined),
    deleteStored: (modelId) => void this.deleteStored(modelId),
  };

  private async deleteStored(modelId: string): Promise<void> {
    await this.models.deleteStored(modelId);
    this.notify(`Deleted the stored ${modelId} model.`);
    // A local model is gone with its files: out of the list, and no longer the element's model.
    if (!isLocalModelId(modelId)) return;
    if (this.modelId === modelId) this.model = '';
    else void this.models.inspect();
  }

  protected readonly localFiles = new LocalFilesController(this, {
    client: () => this.models.client,
    stored: (result) => this.onLocalModelStored(result),
    report: (error) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.reported.add(failure);
      this.showProblem(localFilesGuidance(failure), failure.message);
    },
    announce: (text) => this.announce(text),
    notify: (text) => this.notify(text),
  });

  private readonly localFilesView = (): LocalFilesView => ({
    actions: {
      choose: (files, imageSize, replaces) => void this.localFiles.store(files, imageSize, replaces),
      cancel: () => this.localFiles.cancel(),
      failed: (error) => this.localFiles.fail(error),
    },
    storing: this.localFiles.storing,
    cancelling: this.localFiles.cancelling,
    progress: this.localFiles.progress,
    notes: this.localFiles.notes,
  });

  /** The stored files are the element's model from now on (a manifest given as `model` stays in use). */
  private onLocalModelStored({ model, alreadyStored }: LocalModelImport): void {
    this.problem = undefined;
    if (isManifestUrl(this.model)) this.manifest = this.model;
    if (this.model === model.id) void this.models.inspect();
    else this.model = model.id;
    this.notify(
      alreadyStored
        ? `${model.name} was already stored in this browser; it is selected.`
        : `${model.name} is stored in this browser and selected: press Generate.`,
    );
  }

  private readonly problemActions: ProblemActions = {
    remedy: (remedy) => void this.onRemedy(remedy),
    dismiss: () => (this.problem = undefined),
  };

  private async onRemedy(remedy: Remedy): Promise<void> {
    this.problem = undefined;
    if (remedy === 'use-wasm') this.provider = 'wasm';
    if (remedy === 'redownload' && this.modelId) await this.models.deleteStored(this.modelId);
    if (remedy === 'resume-download' || remedy === 'redownload') this.load().catch(() => undefined);
    else this.loadAndGenerate().catch(() => undefined);
  }

  /** The remedy answers a failed Download or Generate: loading (and downloading) is what was asked for. */
  private async loadAndGenerate(): Promise<void> {
    if (!this.models.isLoadCurrent()) await this.load();
    await this.generate();
  }

  protected override render(): TemplateResult {
    return html`
      ${this.renderPromptBar()} ${this.renderSourceImage()}
      <div class="layout">
        <div class="top-column">
          <sd-problem-panel .problem=${this.problem} .actions=${this.problemActions}></sd-problem-panel>
          ${this.notice ? html`<p class="hint" part="notice" role="note">${this.notice}</p>` : nothing}
          ${this.renderFirstRun()}
        </div>
        <sd-result-view
          .image=${this.generator.shown}
          .stage=${this.generator.stage}
          .steps=${this.generator.steps}
          .progress=${this.generator.progress}
          .elapsedMs=${this.generator.elapsedMs}
        ></sd-result-view>
        <div class="side-column">
          <sd-result-details
            .actions=${this.resultActions}
            .image=${this.generator.shown}
          ></sd-result-details>
          ${this.renderRealtimeStats()}
          <sd-gallery-view
            .entries=${this.generator.gallery}
            .shownId=${this.generator.shownId}
            .show=${(id: number) => this.generator.show(id)}
          ></sd-gallery-view>
          ${this.renderSettings()}
        </div>
        ${this.renderSavedGallery()}
      </div>
      <sd-toast-stack></sd-toast-stack>
      <p class="visually-hidden" role="status" aria-live="polite" part="status">${this.announcement}</p>
    `;
  }

  private renderPromptBar(): TemplateResult {
    const problems = this.inputProblems;
    const models = (this.models.manifest?.models ?? []).filter(
      (model) => this.testModels || !isTestModel(model.id) || model.id === this.modelId,
    );
    return html`<sd-prompt-bar
      .actions=${this.promptActions}
      .prompt=${this.prompt}
      .tokens=${this.tokens}
      .busy=${this.busy}
      .generateDisabled=${this.models.phase === 'starting' || this.models.phase === 'downloading'}
      .seedText=${this.seedText}
      .seedError=${problems.seed}
      .steps=${this.steps}
      .stepsError=${problems.steps}
      .models=${models}
      .modelId=${this.modelId}
      .realtime=${this.realtime}
    ></sd-prompt-bar>`;
  }

  private renderFirstRun(): TemplateResult {
    const models = this.models;
    // A load that an image waits for is shown by the result view's busy state, not a second panel.
    const phase = models.phase === 'loading' && this.busy ? 'ready' : models.phase;
    return html`<sd-first-run-panel
      .actions=${this.firstRunActions}
      .phase=${phase}
      .model=${models.model}
      .models=${models.manifest?.models ?? []}
      .device=${models.device}
      .provider=${isProvider(this.provider) ? this.provider : 'auto'}
      .memory=${isMemoryMode(this.memory) ? this.memory : 'auto'}
      .stored=${models.storedModel}
      .progress=${models.download.progress}
      .storagePersisted=${models.download.storagePersisted}
    ></sd-first-run-panel>`;
  }

  private renderSettings(): TemplateResult {
    const names = new Map(this.models.manifest?.models.map((model) => [model.id, model.name]));
    return html`<sd-settings-panel
      .actions=${this.settingsActions}
      .provider=${this.provider}
      .providerError=${this.inputProblems.provider}
      .memory=${this.memory}
      .webnnDeviceType=${this.webnnDeviceType}
      .webnn=${this.models.webnn.status}
      .loaded=${this.models.loaded}
      .stored=${this.models.stored}
      .modelNames=${names}
      .busy=${this.busy}
      .localFiles=${this.localFilesView()}
    ></sd-settings-panel>`;
  }
}
