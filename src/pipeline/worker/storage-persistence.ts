/** Persistent storage, asked for from the page (GeneratorClient's download, load and import ask first). */
import { requestPersistence } from '../storage/quota.js';
import type { ModelProgress } from '../types.js';

type ProgressListener = ((progress: ModelProgress) => void) | undefined;

/** One persist() request per page; persist() exists on the page's navigator.storage, not in Workers. */
let persistence: Promise<boolean | undefined> | undefined;

export function persistStorage(): Promise<boolean | undefined> {
  persistence ??= requestPersistence(globalThis.navigator?.storage).catch(() => undefined);
  return persistence;
}

/** Asks for persistent storage now, and adds the answer to the progress reports that follow it. */
export function reportingPersistence(onProgress: ProgressListener): ProgressListener {
  let persisted: boolean | undefined;
  void persistStorage().then((answer) => (persisted = answer));
  if (!onProgress) return undefined;
  return (progress) =>
    onProgress(persisted === undefined ? progress : { ...progress, storagePersisted: persisted });
}
