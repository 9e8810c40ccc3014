/**
 * One download per model per manifest on a page, whichever element starts it: the others follow its
 * progress. Pausing aborts the transfer; what is stored stays, and the next download resumes from it.
 */
import type { GeneratorClient, ModelProgress, StoredModel } from '../../pipeline/index.js';

interface Download {
  promise: Promise<StoredModel>;
  controller: AbortController;
  listeners: Set<(progress: ModelProgress) => void>;
}

const downloads = new Map<string, Download>();

function keyOf(client: GeneratorClient, modelId: string): string {
  return `${client.manifestUrl}#${modelId}`;
}

/** Starts the model's download, or joins the one in flight; `onProgress` hears every report from now on. */
export function sharedDownload(
  client: GeneratorClient,
  modelId: string,
  mirrorBaseUrl: string | undefined,
  onProgress: (progress: ModelProgress) => void,
): Promise<StoredModel> {
  const key = keyOf(client, modelId);
  let download = downloads.get(key);
  if (!download) {
    const controller = new AbortController();
    const listeners = new Set<(progress: ModelProgress) => void>();
    const promise = client.download(modelId, {
      mirrorBaseUrl,
      signal: controller.signal,
      onProgress: (progress) => listeners.forEach((listener) => listener(progress)),
    });
    download = { promise, controller, listeners };
    downloads.set(key, download);
    const settled = () => downloads.delete(key);
    promise.then(settled, settled);
  }
  download.listeners.add(onProgress);
  const current = download;
  const unsubscribe = () => current.listeners.delete(onProgress);
  current.promise.then(unsubscribe, unsubscribe);
  return current.promise;
}

/** Stops the model's download for every element following it. */
export function stopDownload(client: GeneratorClient, modelId: string): void {
  downloads.get(keyOf(client, modelId))?.controller.abort();
}
