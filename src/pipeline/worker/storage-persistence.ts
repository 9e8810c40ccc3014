/** What GeneratorClient needs besides its worker: errors revived from the worker, persistent storage. */
import { requestPersistence } from '../storage/quota.js';
import { abortError, PipelineError } from '../errors.js';
import type { RequestOptions } from './generator-client.js';
import type { SerializedError } from './worker-protocol.js';

export function reviveError(error: SerializedError): Error {
  if (error.name === 'AbortError') return abortError(error.message);
  if (error.code) {
    const revived = new PipelineError(error.code, error.message, { resumable: error.resumable });
    // Keeps subclasses recognisable by name across the worker boundary (e.g. NoImageEncoderError).
    revived.name = error.name;
    return revived;
  }
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}

/** One persist() request per page; persist() exists on the page's navigator.storage, not in Workers. */
let persistence: Promise<boolean | undefined> | undefined;

export function persistStorage(): Promise<boolean | undefined> {
  persistence ??= requestPersistence(globalThis.navigator?.storage).catch(() => undefined);
  return persistence;
}

/** Asks for persistent storage now, and adds the answer to the progress reports that follow it. */
export function reportingPersistence(onProgress: RequestOptions['onProgress']): RequestOptions['onProgress'] {
  let persisted: boolean | undefined;
  void persistStorage().then((answer) => (persisted = answer));
  if (!onProgress) return undefined;
  return (progress) =>
    onProgress(persisted === undefined ? progress : { ...progress, storagePersisted: persisted });
}
