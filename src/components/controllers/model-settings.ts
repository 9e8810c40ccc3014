/** What the model controller needs from its element, and the phases it moves through. */
import type {
  LoadedModel,
  MemoryPreference,
  ModelProgress,
  ProviderPreference,
  WebNnDeviceType,
} from '../../pipeline/index.js';

/**
 * starting: reading the manifest and what is stored · unsupported: this device cannot run the model on
 * any provider · first-run: weights not (fully) stored · idle: stored, not loaded · downloading / paused /
 * loading · ready: loaded.
 */
export type Phase =
  'starting' | 'unsupported' | 'first-run' | 'idle' | 'downloading' | 'paused' | 'loading' | 'ready';

/** What the controller needs from its element: the chosen model and provider, and a way to speak. */
export interface ModelSettings {
  manifestUrl(): string;
  /** The `model` attribute when it names a model (not a manifest URL). */
  requestedModel(): string | undefined;
  provider(): ProviderPreference;
  /** For provider 'webnn': the MLContext device type. */
  webnnDeviceType(): WebNnDeviceType;
  /** 'low': one stage loaded at a time; 'auto': only where the stages together would not fit. */
  memory(): MemoryPreference;
  mirrorBaseUrl(): string | undefined;
  autoload(): boolean;
  report(error: unknown): void;
  announce(text: string): void;
  progress(progress: ModelProgress): void;
  ready(loaded: LoadedModel): void;
  deviceLost(error: Error | undefined): void;
}

/** What a load is made with besides the model: when it changes, the loaded model is not the one asked for. */
export interface LoadChoice {
  provider: ProviderPreference;
  webnnDeviceType: WebNnDeviceType;
  memory: MemoryPreference;
}

export function loadChoice(settings: ModelSettings): LoadChoice {
  return {
    provider: settings.provider(),
    webnnDeviceType: settings.webnnDeviceType(),
    memory: settings.memory(),
  };
}

/** The WebNN device type matters only to WebNN. */
export function sameLoadChoice(a: LoadChoice, b: LoadChoice): boolean {
  return (
    a.provider === b.provider &&
    a.memory === b.memory &&
    (a.provider !== 'webnn' || a.webnnDeviceType === b.webnnDeviceType)
  );
}
