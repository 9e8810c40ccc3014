/**
 * Every failure the pipeline reports carries a stable `code`, so a UI can say what to do next
 * without parsing messages.
 */
export type PipelineErrorCode =
  | 'invalid-input'
  | 'busy'
  | 'no-webgpu'
  | 'no-shader-f16'
  | 'unsupported-device'
  | 'device-lost'
  | 'model-io-mismatch'
  | 'session-failed'
  | 'manifest'
  | 'download-failed'
  | 'quota'
  | 'corrupt'
  | 'not-loaded';

export class PipelineError extends Error {
  override name = 'PipelineError';
  /** Set by download failures: whether downloading again resumes past it (a dropped connection) or only repeats it (a 404). */
  readonly resumable?: boolean;

  constructor(
    readonly code: PipelineErrorCode,
    message: string,
    options?: { cause?: unknown; resumable?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.resumable !== undefined) this.resumable = options.resumable;
  }
}

export function abortError(message = 'Generation was cancelled.'): DOMException {
  return new DOMException(message, 'AbortError');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
