/**
 * One HTTP Range request and a reader for its body. Every failure comes out as a DownloadError that says
 * whether a retry may help, or as an AbortError when the caller cancelled.
 */
import { abortError, DownloadError } from '../errors.js';
import { parseRetryAfter } from './retry.js';

export interface HttpContext {
  fetch: typeof fetch;
  /** A request that receives no bytes for this long is dropped and retried. */
  stallTimeoutMs: number;
  signal?: AbortSignal;
}

/** An open response. Its body starts at byte `start` of the file. */
export interface OpenedRange {
  /** 206, or 200 when the server sends the whole file. */
  status: number;
  /** The Content-Type header, when there is one. */
  contentType?: string;
  start: number;
  /** The whole file's size, when the response states it. */
  total?: number;
  etag?: string;
  /** False when the server ignored Range and sends the whole file (status 200). */
  partial: boolean;
  body: BodyReader;
}

/**
 * Requests bytes [start, end) of `url` (to the end of the file when `end` is undefined) and checks the
 * answer's status, Content-Range and Content-Length against the request.
 */
export async function openRange(
  url: string,
  start: number,
  end: number | undefined,
  context: HttpContext,
): Promise<OpenedRange> {
  const scope = new RequestScope(context.signal, context.stallTimeoutMs);
  let response: Response;
  try {
    response = await scope.guard(
      context.fetch(url, {
        headers: { Range: `bytes=${start}-${end === undefined ? '' : end - 1}` },
        signal: scope.signal,
        // The bytes go to our own store; the HTTP cache would only hold a second copy of gigabytes.
        cache: 'no-store',
      }),
      url,
    );
  } catch (error) {
    scope.dispose();
    throw error;
  }
  const body = new BodyReader(response, scope, url);
  try {
    return { ...checkResponse(response, url, start, end), body };
  } catch (error) {
    body.close();
    throw error;
  }
}

function checkResponse(
  response: Response,
  url: string,
  start: number,
  end: number | undefined,
): Omit<OpenedRange, 'body'> {
  const etag = response.headers.get('ETag') ?? undefined;
  const contentType = response.headers.get('Content-Type') ?? undefined;
  const { status } = response;
  const length = headerNumber(response, 'Content-Length');
  if (status === 200) {
    // With Content-Encoding the length is the compressed one, not the file's.
    const encoded = (response.headers.get('Content-Encoding') ?? 'identity') !== 'identity';
    return { status, contentType, start: 0, total: encoded ? undefined : length, etag, partial: false };
  }
  if (response.status !== 206) throw statusError(response, url);

  const contentRange = response.headers.get('Content-Range');
  // A cross-origin server may hide Content-Range (not in Access-Control-Expose-Headers): trust the length.
  const range = contentRange === null ? undefined : parseContentRange(contentRange);
  const got = range ?? { start, end: length === undefined ? undefined : start + length, total: undefined };
  const lengthAgrees = length === undefined || got.end === undefined || length === got.end - got.start;
  // RFC 9110 clamps a range that runs past the end of the file to the file's last byte.
  const clampedToFile =
    got.total !== undefined && got.end === got.total && end !== undefined && end > got.total;
  const endAgrees =
    end === undefined ? got.total === undefined || got.end === got.total : got.end === end || clampedToFile;
  if ((contentRange !== null && !range) || got.start !== start || !endAgrees || !lengthAgrees) {
    throw new DownloadError(
      'bad-response',
      `${url} answered bytes=${start}-${end === undefined ? '' : end - 1} with Content-Range ` +
        `${JSON.stringify(contentRange)} and Content-Length ${length ?? 'none'}`,
      { retryable: true },
    );
  }
  return { status, contentType, start, total: got.total, etag, partial: true };
}

/** 'bytes 0-99/1000' → [0, 100) of 1000; total undefined for '*'. */
export function parseContentRange(
  header: string,
): { start: number; end: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!match) return undefined;
  const [start, last] = [Number(match[1]), Number(match[2])];
  if (last < start) return undefined;
  return { start, end: last + 1, total: match[3] === '*' ? undefined : Number(match[3]) };
}

/** Statuses that say the file is not on the server at that URL: asking again, now or later, repeats them. */
const NOT_THERE = new Set([403, 404, 410]);

function statusError(response: Response, url: string): DownloadError {
  const { status } = response;
  const transient = status === 408 || status === 429 || status >= 500;
  const answer = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''} for ${url}`;
  const hint = NOT_THERE.has(status)
    ? ": the file is not on that server; check the mirror URL, or the manifest's baseUrl and file path"
    : '';
  return new DownloadError('http', answer + hint, {
    status,
    retryable: transient,
    retryAfterMs: transient ? parseRetryAfter(response.headers.get('Retry-After')) : undefined,
  });
}

function headerNumber(response: Response, name: string): number | undefined {
  const value = response.headers.get(name);
  return value === null || !/^\d+$/.test(value) ? undefined : Number(value);
}

/** A response body read piece by piece into buffers the caller sizes; never buffers the whole body. */
export class BodyReader {
  private readonly source: BodySource | undefined;
  /** Bytes read by `peek` and not yet handed out by a read. */
  private peeked: Uint8Array = new Uint8Array(0);

  constructor(
    response: Response,
    private readonly scope: RequestScope,
    private readonly url: string,
  ) {
    this.source = response.body ? openBodySource(response.body) : undefined;
  }

  /** Reads exactly `length` bytes into a new buffer of that size; `onData` hears of each piece. */
  async readExactly(length: number, onData?: (bytes: number) => void): Promise<Uint8Array> {
    let buffer = new ArrayBuffer(length);
    for (let filled = 0; filled < length;) {
      const piece = await this.read(new Uint8Array(buffer, filled, length - filled));
      buffer = piece.buffer;
      filled += piece.byteLength;
      onData?.(piece.byteLength);
    }
    return new Uint8Array(buffer, 0, length);
  }

  /** The next `length` bytes, which the next reads return again: a look at the body before it is stored. */
  async peek(length: number): Promise<Uint8Array> {
    const bytes = await this.readExactly(length);
    this.peeked = bytes;
    return bytes;
  }

  /** Reads and drops `length` bytes (the server sent bytes we already have). */
  async skip(length: number, onData?: (bytes: number) => void): Promise<void> {
    let scratch = new Uint8Array(Math.min(length, SKIP_BUFFER_BYTES));
    for (let left = length; left > 0;) {
      const piece = await this.read(new Uint8Array(scratch.buffer, 0, Math.min(left, scratch.byteLength)));
      scratch = new Uint8Array(piece.buffer);
      left -= piece.byteLength;
      onData?.(piece.byteLength);
    }
  }

  /** Checks that the body has ended: a 206 longer than its range is as wrong as a short one. */
  async expectEnd(): Promise<void> {
    if (
      !this.source ||
      (await this.scope.guard(this.source.readInto(new Uint8Array(1)), this.url)) === undefined
    )
      return;
    throw new DownloadError('bad-response', `${this.url} sent more bytes than the range asked for`, {
      retryable: true,
    });
  }

  /** Stops the request; safe to call more than once. */
  close(): void {
    this.source?.cancel().catch(() => undefined);
    this.scope.dispose();
  }

  /** Fills the start of `target` with at least one byte; the body ending first is a network error. */
  private async read(target: Bytes): Promise<Bytes> {
    if (this.peeked.byteLength > 0) {
      const piece = this.peeked.subarray(0, target.byteLength);
      this.peeked = this.peeked.subarray(piece.byteLength);
      target.set(piece);
      return target.subarray(0, piece.byteLength);
    }
    const piece = this.source && (await this.scope.guard(this.source.readInto(target), this.url));
    if (piece === undefined) {
      throw new DownloadError('network', `${this.url}: the connection closed before the range was complete`, {
        retryable: true,
      });
    }
    return piece;
  }
}

const SKIP_BUFFER_BYTES = 1024 * 1024;

/**
 * Reads a body into buffers the caller owns. `readInto` may transfer `target`'s buffer (a BYOB read does):
 * the bytes read are in the returned view, whose buffer replaces the target's; undefined at the end.
 */
type Bytes = Uint8Array<ArrayBuffer>;

interface BodySource {
  readInto(target: Bytes): Promise<Bytes | undefined>;
  cancel(): Promise<void>;
}

/** A byte stream (fetch bodies in browsers) is read straight into the caller's buffer, with no copy. */
function openBodySource(body: ReadableStream<Uint8Array>): BodySource {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    return new CopyingBodySource(body.getReader());
  }
  return {
    async readInto(target) {
      const { done, value } = await byob.read(target);
      return done || !value ? undefined : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    },
    cancel: () => byob.cancel(),
  };
}

/** A stream of the runtime's own pieces, copied into the caller's buffer. */
class CopyingBodySource implements BodySource {
  private leftover: Uint8Array = new Uint8Array(0);

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  async readInto(target: Bytes): Promise<Bytes | undefined> {
    if (this.leftover.byteLength === 0) {
      const { done, value } = await this.reader.read();
      if (done) return undefined;
      this.leftover = value;
    }
    const piece = this.leftover.subarray(0, target.byteLength);
    this.leftover = this.leftover.subarray(piece.byteLength);
    target.set(piece);
    return target.subarray(0, piece.byteLength);
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

/**
 * One request's AbortSignal: follows the caller's signal, and fires on its own when the server sends
 * nothing for `stallTimeoutMs` while we wait (time spent storing what arrived does not count).
 */
class RequestScope {
  private readonly controller = new AbortController();
  private stalled = false;
  private readonly onOuterAbort = () => this.controller.abort();

  constructor(
    private readonly outer: AbortSignal | undefined,
    private readonly stallTimeoutMs: number,
  ) {
    if (outer?.aborted) this.controller.abort();
    outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Awaits one network step under the stall timer, translating its failure. The step loses to an abort
   * even if it never settles: Node's fetch leaves a read of an already-received body pending after one.
   */
  async guard<T>(step: Promise<T>, url: string): Promise<T> {
    const timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort();
    }, this.stallTimeoutMs);
    const signal = this.controller.signal;
    let onAbort = () => undefined as void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([step, aborted]);
    } catch (error) {
      throw this.translate(error, url);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  dispose(): void {
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }

  private translate(error: unknown, url: string): unknown {
    if (this.outer?.aborted) return abortError(`Download of ${url} was cancelled.`);
    if (this.stalled) {
      return new DownloadError('stalled', `${url}: no data for ${this.stallTimeoutMs / 1000} s`, {
        retryable: true,
      });
    }
    return new DownloadError('network', `network error for ${url}: ${describeNetworkError(error)}`, {
      retryable: true,
      cause: error,
    });
  }
}

/** fetch's own message is vague ('fetch failed'); Node puts the reason (ECONNREFUSED ...) in its cause. */
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause ? `${error.message} (${cause})` : error.message;
}
