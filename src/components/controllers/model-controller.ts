/**
 * The model's state machine: what the manifest offers, what is stored, whether this device can run it,
 * the first-run download (through DownloadController) and the load. Several elements on one page with the
 * same manifest share one client, one download and one loaded model.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  GeneratorClient,
  PipelineError,
  canRun,
  checkRequirements,
  isAbortError,
  requirementError,
  type DeviceCapabilities,
  type LoadedModel,
  type Manifest,
  type ModelEntry,
  type RequirementCheck,
  type StoredModel,
} from '../../pipeline/index.js';
import { DownloadController } from './download-controller.js';
import { loadChoice, sameLoadChoice, type ModelSettings, type Phase } from './model-settings.js';
import { WebNnProbe } from './webnn-probe.js';

export class ModelController implements ReactiveController {
  phase: Phase = 'starting';
  manifest?: Manifest;
  stored: StoredModel[] = [];
  /** The adapter and memory as the pipeline worker sees them, with WebNN's answer once asked (probeWebNn). */
  device?: DeviceCapabilities;
  loaded?: LoadedModel;
  /** A note when 'auto' fell back to wasm. */
  fallbackNote = '';
  client?: GeneratorClient;
  readonly download: DownloadController;
  readonly webnn: WebNnProbe;
  /** The client's load promise this model came from: another element's load replaces it. */
  private loadedVia?: Promise<LoadedModel>;
  /** The provider, WebNN device type and memory mode `loaded` was loaded with. */
  private loadedWith?: ReturnType<typeof loadChoice>;
  private loading?: Promise<LoadedModel>;
  private inspection = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly settings: ModelSettings,
  ) {
    host.addController(this);
    this.download = new DownloadController(host, settings);
    this.webnn = new WebNnProbe(() => settings.webnnDeviceType());
  }

  hostConnected(): void {
    this.attach();
  }

  hostDisconnected(): void {
    this.detach();
  }

  get modelId(): string | undefined {
    return this.settings.requestedModel() ?? this.manifest?.defaultModel;
  }

  get model(): ModelEntry | undefined {
    return this.manifest?.models.find((model) => model.id === this.modelId);
  }

  get storedModel(): StoredModel | undefined {
    return this.stored.find((model) => model.modelId === this.modelId);
  }

  get isLoading(): boolean {
    return this.loading !== undefined;
  }

  /** The model's requirements against this device; undefined until both are known. */
  requirementCheck(model = this.model): RequirementCheck | undefined {
    return model && this.device && checkRequirements(model, this.device);
  }

  isLoadCurrent(): boolean {
    return (
      this.loaded?.modelId === this.modelId &&
      this.client?.loadedModel === this.loadedVia &&
      this.loadedWith !== undefined &&
      sameLoadChoice(this.loadedWith, loadChoice(this.settings))
    );
  }

  /** After the manifest URL, the model or the provider changed (before the first update too). */
  settingsChanged(): void {
    if (!this.client) return;
    if (this.client.manifestUrl !== this.settings.manifestUrl()) this.attach(true);
    else void this.inspect();
    if (this.phase === 'ready' && !this.isLoadCurrent()) this.setPhase('idle');
  }

  attach(anotherManifest = false): void {
    this.detach();
    if (anotherManifest) Object.assign(this, { manifest: undefined, stored: [], phase: 'starting' });
    this.client = GeneratorClient.shared(this.settings.manifestUrl());
    this.client.addEventListener('device-lost', this.onDeviceLost);
    this.client.addEventListener('model-changed', this.onModelChanged);
    this.client.addEventListener('model-corrupt', this.onModelCorrupt);
    Object.assign(this, { loaded: undefined, loadedVia: undefined });
    void this.inspect();
  }

  private detach(): void {
    this.client?.removeEventListener('device-lost', this.onDeviceLost);
    this.client?.removeEventListener('model-changed', this.onModelChanged);
    this.client?.removeEventListener('model-corrupt', this.onModelCorrupt);
    this.client = undefined;
  }

  /** Every element on the client hears this; the one whose generate() failed reports it once. */
  private readonly onDeviceLost = (event: Event): void => {
    this.dropLoaded();
    this.settings.deviceLost((event as CustomEvent<Error | undefined>).detail);
  };

  /** The loaded model's bytes failed their digest after it was ready: every element showing it says so. */
  private readonly onModelCorrupt = (event: Event): void => {
    const { modelId, error } = (event as CustomEvent<{ modelId: string; error: Error }>).detail;
    if (modelId !== this.modelId) return;
    this.dropLoaded();
    this.settings.report(error);
  };

  private dropLoaded(): void {
    Object.assign(this, { loaded: undefined, loadedVia: undefined });
    if (this.phase === 'ready') this.setPhase('idle');
  }

  private readonly onModelChanged = (): void => {
    if (this.phase === 'ready' && !this.isLoadCurrent()) this.setPhase('idle');
  };

  /** Reads the manifest and what is stored, to show the first-run panel or the "already stored" note. */
  async inspect(): Promise<void> {
    const inspection = ++this.inspection;
    const client = this.client!;
    try {
      const [manifest, stored, device] = await Promise.all([
        client.manifest(),
        client.storedModels(),
        client.deviceCapabilities(),
      ]);
      if (this.settings.provider() === 'webnn') await this.probeWebNn();
      if (inspection !== this.inspection) return;
      Object.assign(this, { manifest, stored, device: this.webnn.join(device) });
      if (this.modelId && !manifest.models.some((model) => model.id === this.modelId)) {
        throw new PipelineError('manifest', `The manifest has no model "${this.modelId}".`);
      }
      if (!this.loading) this.setPhase(this.isLoadCurrent() ? 'ready' : this.storedPhase());
      if (this.settings.autoload() && this.phase !== 'ready') await this.load();
    } catch (error) {
      if (inspection === this.inspection && !isAbortError(error)) this.settings.report(error);
    }
  }

  /** Asks the worker whether WebNN gives a context for the chosen device type; the answer joins `device`. */
  async probeWebNn(): Promise<void> {
    const client = this.client;
    if (!client || !(await this.webnn.ask(client)) || client !== this.client) return;
    if (this.device) this.device = this.webnn.join(this.device);
    this.host.requestUpdate();
  }

  storedPhase(): Phase {
    const check = this.requirementCheck();
    if (check && !canRun(check, 'auto')) return 'unsupported';
    return this.storedModel?.complete ? 'idle' : 'first-run';
  }

  /** Downloads the weights if they are not stored yet (with progress), then loads them. */
  load(): Promise<LoadedModel> {
    this.loading ??= this.runLoad().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Loads stored weights (joining a load in flight); only a Download click or load() may download. */
  async ensureLoaded(signal: AbortSignal): Promise<void> {
    if (this.isLoadCurrent()) return;
    await this.refuseUnrunnable();
    if (!this.loading && !(await this.isStored(this.modelId!))) {
      throw new PipelineError(
        'not-loaded',
        'The model is not downloaded yet: press Download in the panel (or call load()) first.',
      );
    }
    const aborted = new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () => reject(new DOMException('Cancelled.', 'AbortError')), {
        once: true,
      }),
    );
    aborted.catch(() => undefined);
    // The load is shared with other elements, so cancelling only stops this element waiting for it.
    await Promise.race([this.load(), aborted]);
  }

  private async runLoad(): Promise<LoadedModel> {
    const client = this.client!;
    try {
      this.manifest ??= await client.manifest();
      const modelId = this.modelId!;
      await this.refuseUnrunnable();
      if (!(await this.isStored(modelId))) await this.downloadWeights(client, modelId);
      this.setPhase('loading');
      this.settings.announce('Loading the model…');
      const choice = loadChoice(this.settings);
      const loading = client.load(modelId, {
        ...choice,
        mirrorBaseUrl: this.settings.mirrorBaseUrl(),
        onProgress: (progress) => this.download.onProgress(progress),
      });
      const loaded = await loading;
      Object.assign(this, { loaded, loadedVia: loading, loadedWith: choice });
      this.fallbackNote = loaded.provider.fellBack
        ? `${loaded.provider.reason} Running on wasm (CPU) instead.`
        : '';
      this.setPhase('ready');
      this.settings.ready(loaded);
      void this.refreshStored();
      return loaded;
    } catch (error) {
      if (this.phase === 'loading') this.setPhase(this.storedPhase());
      if (!isAbortError(error)) this.settings.report(error);
      throw error;
    }
  }

  private async downloadWeights(client: GeneratorClient, modelId: string): Promise<void> {
    this.setPhase('downloading');
    try {
      await this.download.download(client, modelId, this.settings.mirrorBaseUrl());
    } catch (error) {
      this.setPhase(isAbortError(error) ? 'paused' : 'first-run');
      void this.refreshStored();
      throw error;
    }
  }

  /** Pauses the download in flight; what is stored stays. */
  pause(): void {
    if (this.phase === 'downloading' && this.modelId && this.client) {
      this.download.pause(this.client, this.modelId);
    }
  }

  async deletePartial(): Promise<void> {
    const modelId = this.modelId;
    if (!modelId || !this.client) return;
    this.download.pause(this.client, modelId);
    await this.loading?.catch(() => undefined);
    await this.download.deletePartial(this.client, modelId);
    await this.refreshStored();
    this.setPhase('first-run');
  }

  async deleteStored(modelId: string): Promise<void> {
    await this.client?.deleteModel(modelId);
    // The client unloaded it too: nothing generates with weights that are gone.
    if (this.loaded?.modelId === modelId) Object.assign(this, { loaded: undefined, loadedVia: undefined });
    await this.refreshStored();
    if (modelId === this.modelId && ['idle', 'ready'].includes(this.phase)) this.setPhase('first-run');
    this.settings.announce(`Deleted the stored ${modelId} model.`);
  }

  /** Throws, before any download, when this device cannot run the model with the chosen provider. */
  private async refuseUnrunnable(): Promise<void> {
    this.manifest ??= await this.client!.manifest();
    this.device ??= await this.client!.deviceCapabilities();
    if (this.settings.provider() === 'webnn' && !this.webnn.status) await this.probeWebNn();
    const check = this.requirementCheck();
    const refusal = check && requirementError(check, this.settings.provider());
    if (refusal) throw refusal;
  }

  private async isStored(modelId: string): Promise<boolean> {
    await this.refreshStored();
    return this.stored.find((model) => model.modelId === modelId)?.complete ?? false;
  }

  async refreshStored(): Promise<void> {
    if (!this.client) return;
    this.stored = await this.client.storedModels();
    this.host.requestUpdate();
  }

  private setPhase(phase: Phase): void {
    this.phase = phase;
    this.host.requestUpdate();
  }
}
