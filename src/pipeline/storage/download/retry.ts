import { abortError, DownloadError } from '../errors.js';

export interface RetryOptions {
  /** Tries per request, the first included. */
  maxAttempts: number;
  /** Delay before the first retry; doubles each time (with ±20% jitter) up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the request fails at once. */
  maxRetryAfterMs: number;
  /** Injectable so that tests need not wait. Must reject with an AbortError when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  sleep: abortableSleep,
};

export interface RetryNotice {
  /** The attempt that failed; the next one is `attempt + 1` of `maxAttempts`. */
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  error: DownloadError;
}

/** '<what failed>; retrying in 1.0 s (attempt 2 of 6)': what a progress note or a log line says. */
export function describeRetry({ attempt, maxAttempts, delayMs, error }: RetryNotice): string {
  const seconds = (delayMs / 1000).toFixed(1);
  return `${error.message}; retrying in ${seconds} s (attempt ${attempt + 1} of ${maxAttempts})`;
}

/** Runs `request` until it succeeds, fails for good, or retries run out. */
export async function withRetry<T>(
  request: () => Promise<T>,
  options: RetryOptions,
  signal: AbortSignal | undefined,
  onRetry?: (notice: RetryNotice) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof DownloadError) || !error.retryable || signal?.aborted) throw error;
      if (attempt >= options.maxAttempts) {
        throw new DownloadError(error.kind, `${error.message} (gave up after ${attempt} attempts)`, {
          status: error.status,
          resumable: true,
          cause: error,
        });
      }
      const delayMs = retryDelay(error, attempt, options);
      onRetry?.({ attempt, maxAttempts: options.maxAttempts, delayMs, error });
      await options.sleep(delayMs, signal);
    }
  }
}

function retryDelay(error: DownloadError, attempt: number, options: RetryOptions): number {
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > options.maxRetryAfterMs) {
      throw new DownloadError(
        error.kind,
        `${error.message}; the server asks to retry after ${Math.round(error.retryAfterMs / 1000)} s`,
        { status: error.status, resumable: true, cause: error },
      );
    }
    return error.retryAfterMs;
  }
  const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(backoff * (0.8 + 0.4 * Math.random()));
}

/** Retry-After as milliseconds: either delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError('Download was cancelled.'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError('Download was cancelled.'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
