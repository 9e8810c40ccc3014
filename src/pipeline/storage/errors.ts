/**
 * Errors the downloader throws. Every message names the file or URL so that a one-line report is enough.
 * They are PipelineErrors, so the worker and the UI read `code` ('download-failed', 'quota', 'corrupt')
 * as for any other failure; `kind` says more precisely what went wrong.
 */
import { PipelineError, type PipelineErrorCode } from '../errors.js';

/** Cancelling rejects with a DOMException named 'AbortError', as fetch does. */
export { abortError, isAbortError } from '../errors.js';

export type DownloadErrorKind =
  | 'http' // an HTTP status that is not worth retrying (404, 403, ...) or retries ran out
  | 'network' // the connection failed or dropped mid-body
  | 'stalled' // no bytes arrived for too long
  | 'bad-response' // Content-Range, length or size does not match what was asked for
  | 'size-mismatch' // the server's size differs from the manifest's exact `bytes`
  | 'not-a-model' // the server answered with something else: an HTML page, or bytes no ONNX model starts with
  | 'file-changed' // the server's file changed while it was being downloaded
  | 'integrity' // the stored file's SHA-256 differs from the manifest's, or from the one recorded at download
  | 'quota' // not enough storage
  | 'not-stored'; // a read asked for a file that is not completely stored

export class DownloadError extends PipelineError {
  override name = 'DownloadError';
  readonly kind: DownloadErrorKind;
  /** Whether trying the same request again at once may succeed. */
  readonly retryable: boolean;
  /** Whether downloading again later resumes past this failure; false when it would only repeat it. */
  declare readonly resumable: boolean;
  readonly status?: number;
  /** Server-requested delay before a retry, from Retry-After. */
  readonly retryAfterMs?: number;

  constructor(
    kind: DownloadErrorKind,
    message: string,
    details: {
      retryable?: boolean;
      /** Defaults to `retryable`: what a retry may cure, a later resume may too. */
      resumable?: boolean;
      status?: number;
      retryAfterMs?: number;
      cause?: unknown;
    } = {},
  ) {
    super(pipelineCode(kind), message, {
      cause: details.cause,
      resumable: details.resumable ?? details.retryable ?? false,
    });
    this.kind = kind;
    this.retryable = details.retryable ?? false;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }
}

function pipelineCode(kind: DownloadErrorKind): PipelineErrorCode {
  if (kind === 'quota') return 'quota';
  if (kind === 'integrity') return 'corrupt';
  return 'download-failed';
}

export class IntegrityError extends DownloadError {
  override name = 'IntegrityError';
  constructor(
    readonly path: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
    message = `${path} failed verification: expected SHA-256 ${expectedSha256}, got ${actualSha256}`,
  ) {
    super('integrity', message);
  }
}

export class QuotaError extends DownloadError {
  override name = 'QuotaError';
  constructor(
    message: string,
    readonly neededBytes: number,
    readonly availableBytes: number | undefined,
    cause?: unknown,
  ) {
    // Resuming after freeing space continues from what is stored.
    super('quota', message, { cause, resumable: true });
  }
}

/** IndexedDB's QuotaExceededError, or a full disk under Node. */
export function isStorageFullError(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || code === 'ENOSPC';
}

/** '1.50 GB', '12.3 MB': storage sizes as people read them (decimal units, as browsers report quota). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}
