/**
 * One download per model across tabs and workers: a Web Lock named after the model, and a BroadcastChannel
 * on which the tab holding it posts progress for the tabs that wait.
 */
import { abortError, isAbortError } from './errors.js';
import type { DownloadProgress } from './progress.js';

/** The part of the Web Locks API used here (navigator.locks satisfies it). */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>;
}

/**
 * Exclusive locks within one JavaScript realm, for Node (20 has no navigator.locks) and tests. Same
 * contract as navigator.locks for what is used: FIFO, `ifAvailable` gives null when held or queued for,
 * `signal` gives up waiting.
 */
export class InProcessLockManager implements LockManagerLike {
  /** Per name, a promise that settles when the last holder or waiter so far is done. */
  private readonly queues = new Map<string, Promise<void>>();

  async request<T>(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T> {
    const previous = this.queues.get(name);
    if (previous && options.ifAvailable) return callback(null);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const queue = (previous ?? Promise.resolve()).then(() => mine);
    this.queues.set(name, queue);
    try {
      if (previous) await untilSettledOrAborted(previous, options.signal);
      return await callback({ name });
    } finally {
      release();
      if (this.queues.get(name) === queue) this.queues.delete(name);
    }
  }
}

function untilSettledOrAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError('Waiting for the download lock was cancelled.'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const inProcessLocks = new InProcessLockManager();

/** navigator.locks where there is one, else one lock manager shared by this realm. */
export function defaultLockManager(): LockManagerLike {
  const locks =
    typeof navigator === 'undefined' ? undefined : (navigator.locks as LockManagerLike | undefined);
  return locks ?? inProcessLocks;
}

function lockName(modelId: string): string {
  return `sd-turbo-download:${modelId}`;
}

/** Runs `task` holding the model's lock, so that it never overlaps a download of the model (in any tab). */
export function withModelLock<T>(
  locks: LockManagerLike,
  modelId: string,
  task: () => Promise<T>,
): Promise<T> {
  return locks.request(lockName(modelId), {}, task);
}

/**
 * Runs `task` holding the model's download lock. When another holder has it, `onWaiting` is called and,
 * while waiting, progress that holder broadcasts is passed to `onRemoteProgress`.
 */
export async function withDownloadLock<T>(
  locks: LockManagerLike,
  modelId: string,
  options: {
    signal?: AbortSignal;
    onWaiting?: () => void;
    onRemoteProgress?: (progress: DownloadProgress) => void;
  },
  task: (channel: ProgressChannel) => Promise<T>,
): Promise<T> {
  const name = lockName(modelId);
  const run = async () => {
    const channel = new ProgressChannel(name);
    try {
      return await task(channel);
    } finally {
      channel.close();
    }
  };
  const now = await locks.request(name, { ifAvailable: true }, async (lock) =>
    lock ? { value: await run() } : undefined,
  );
  if (now) return now.value;

  options.onWaiting?.();
  const listener = new ProgressChannel(name, options.onRemoteProgress);
  try {
    return await locks.request(name, { signal: options.signal }, () => {
      listener.close();
      return run();
    });
  } catch (error) {
    throw isAbortError(error) ? abortError(`Download of model ${modelId} was cancelled.`) : error;
  } finally {
    listener.close();
  }
}

/** Progress between tabs; does nothing where BroadcastChannel is missing. */
export class ProgressChannel {
  private readonly channel: BroadcastChannel | undefined;

  constructor(name: string, onProgress?: (progress: DownloadProgress) => void) {
    if (typeof BroadcastChannel === 'undefined') return;
    this.channel = new BroadcastChannel(name);
    if (onProgress)
      this.channel.onmessage = (event: MessageEvent<DownloadProgress>) => onProgress(event.data);
  }

  post(progress: DownloadProgress): void {
    this.channel?.postMessage(progress);
  }

  close(): void {
    this.channel?.close();
  }
}
