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

/**
 * Image to image was asked of a model whose manifest entry has no VAE encoder. Its code stays
 * 'invalid-input' (what the caller must change is the request or the model); the class tells it apart.
 */
export class NoImageEncoderError extends PipelineError {
  override name = 'NoImageEncoderError';
  constructor(readonly modelId: string) {
    super(
      'invalid-input',
      `The model "${modelId}" cannot do image to image: its manifest entry has no vaeEncoder stage. ` +
        'Choose a model with a VAE encoder (docs/image-to-image.md) or leave out sourceImage.',
    );
  }
}

/**
 * Files a user offered as their own model do not fit the pipeline. Each problem is one line that names
 * the file, the input or output, and what was expected against what was found; the message is those
 * lines, so it crosses to the page (where `name` tells the class apart) with nothing lost.
 */
export class LocalFilesError extends PipelineError {
  override name = 'LocalFilesError';
  constructor(readonly problems: readonly string[]) {
    super('model-io-mismatch', problems.join('\n'));
  }
}
