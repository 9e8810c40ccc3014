/**
 * A loopback HTTP server for download tests: serves in-memory files with Range, ETag and Content-Range,
 * counts the file bytes it actually sends, and misbehaves on request (dropped connections, stalls, error
 * statuses, ignored Range, corrupted bytes, wrong Content-Range). For browser tests it can send CORS headers
 * (the page under test is another origin, cross-origin isolated) and hold each response back a while, so
 * that a download is slow enough to interrupt.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  /** Answer with this status (and Retry-After when given) instead of the file. */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Send this many body bytes, then destroy the connection. */
  | { kind: 'drop'; afterBytes: number }
  /** Send this many body bytes, then send nothing more (the connection stays open). */
  | { kind: 'stall'; afterBytes: number }
  /** Answer 200 with the whole file, as a server without Range support does; optionally drop mid-way. */
  | { kind: 'ignore-range'; dropAfterBytes?: number }
  /** Flip the bits of the byte at this file offset, if the response covers it. */
  | { kind: 'corrupt'; offset: number }
  /** Send the right bytes under a Content-Range that starts one byte later. */
  | { kind: 'wrong-content-range' };

/** Byte range a request asked for: [start, end), end undefined for 'bytes=N-' or no Range at all. */
export interface RequestedRange {
  start: number;
  end: number | undefined;
}

export interface FaultOptions {
  /** How many matching requests get the fault (default: all). */
  times?: number;
  /** Which requests match (default: all of the file). */
  when?: (range: RequestedRange) => boolean;
}

export interface RequestLog {
  path: string;
  range: string | undefined;
  /** 0: the client went away before the (delayed) answer was sent. */
  status: number;
  fault?: Fault['kind'];
}

interface ServedFile {
  bytes: Uint8Array;
  etag: string;
  contentType: string;
}

export interface RangeServerOptions {
  /**
   * Send CORS headers (any origin; Content-Range, ETag, Content-Length and Accept-Ranges exposed),
   * Cross-Origin-Resource-Policy: cross-origin, and answer OPTIONS preflights (e.g. for the Range header).
   */
  cors?: boolean;
}

/** CORS headers for a page on another origin, cross-origin isolated or not. */
const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Range, ETag, Content-Length, Accept-Ranges',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

const PREFLIGHT_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range',
  'Access-Control-Max-Age': '600',
};

interface FaultRule extends Required<Pick<FaultOptions, 'times'>> {
  fault: Fault;
  when?: FaultOptions['when'];
}

export class RangeServer {
  readonly requests: RequestLog[] = [];
  private readonly files = new Map<string, ServedFile>();
  private readonly faults = new Map<string, FaultRule[]>();
  private readonly sent = new Map<string, number>();
  private version = 0;
  /**
   * Milliseconds each file response waits before its headers and body go out (0: none). A request whose
   * client goes away meanwhile is dropped unanswered and sends (and counts) no bytes.
   */
  responseDelayMs = 0;
  /**
   * When set, a file body goes out `bytes` at a time, `everyMs` apart, as over a slow link, so that a client
   * can be cut off mid-response; bytes not yet written when the client goes away are neither sent nor counted.
   */
  trickle: { bytes: number; everyMs: number } | undefined;
  /** OPTIONS preflights answered (they are not in `requests`). */
  preflights = 0;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly options: RangeServerOptions,
  ) {}

  static async start(options: RangeServerOptions = {}): Promise<RangeServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const rangeServer = new RangeServer(server, `http://127.0.0.1:${port}/`, options);
    server.on('request', (req, res) => rangeServer.handle(req, res));
    return rangeServer;
  }

  url(path: string): string {
    return new URL(path, this.baseUrl).href;
  }

  /** Serves `bytes` at `path` under a new ETag (so replacing a file changes its ETag). */
  setFile(path: string, bytes: Uint8Array, contentType = 'application/octet-stream'): string {
    const etag = `"v${++this.version}-${bytes.byteLength}"`;
    this.files.set(path, { bytes, etag, contentType });
    return etag;
  }

  /** Serves `value` as JSON at `path` (a test manifest, say). */
  setJson(path: string, value: unknown): string {
    return this.setFile(path, new TextEncoder().encode(JSON.stringify(value)), 'application/json');
  }

  removeFile(path: string): void {
    this.files.delete(path);
  }

  addFault(path: string, fault: Fault, options: FaultOptions = {}): void {
    const rules = this.faults.get(path) ?? [];
    rules.push({ fault, times: options.times ?? Infinity, when: options.when });
    this.faults.set(path, rules);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** File bytes written to sockets for `path` (error bodies and headers not counted). */
  bytesSent(path: string): number {
    return this.sent.get(path) ?? 0;
  }

  resetCounters(): void {
    this.sent.clear();
    this.requests.length = 0;
  }

  requestsFor(path: string): RequestLog[] {
    return this.requests.filter((request) => request.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.options.cors) {
      for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
      if (req.method === 'OPTIONS') {
        this.preflights++;
        for (const [name, value] of Object.entries(PREFLIGHT_HEADERS)) res.setHeader(name, value);
        res.statusCode = 204;
        res.end();
        return;
      }
    }
    if (this.responseDelayMs > 0) {
      let clientGone = false;
      const onClose = () => (clientGone = true);
      res.once('close', onClose);
      setTimeout(() => {
        res.off('close', onClose);
        if (clientGone || res.destroyed) {
          this.requests.push({ path: this.pathOf(req), range: req.headers.range, status: 0 });
          return;
        }
        this.respond(req, res);
      }, this.responseDelayMs);
      return;
    }
    this.respond(req, res);
  }

  private pathOf(req: IncomingMessage): string {
    return decodeURIComponent(new URL(req.url ?? '/', this.baseUrl).pathname.slice(1));
  }

  private respond(req: IncomingMessage, res: ServerResponse): void {
    const path = this.pathOf(req);
    const file = this.files.get(path);
    const rangeHeader = req.headers.range;
    const log: RequestLog = { path, range: rangeHeader, status: 0 };
    this.requests.push(log);
    if (!file) return this.fail(res, log, 404);

    const requested = parseRange(rangeHeader, file.bytes.byteLength);
    const fault = this.takeFault(path, requested ?? { start: 0, end: undefined });
    log.fault = fault?.kind;
    if (fault?.kind === 'status') return this.fail(res, log, fault.status, fault.retryAfter);

    const partial = requested !== undefined && fault?.kind !== 'ignore-range';
    const start = partial ? requested.start : 0;
    const end = partial ? (requested.end ?? file.bytes.byteLength) : file.bytes.byteLength;
    if (partial && start >= file.bytes.byteLength) {
      res.setHeader('Content-Range', `bytes */${file.bytes.byteLength}`);
      return this.fail(res, log, 416);
    }
    let body = file.bytes.subarray(start, end);
    if (fault?.kind === 'corrupt' && fault.offset >= start && fault.offset < end) {
      body = body.slice();
      body[fault.offset - start] ^= 0xff;
    }
    log.status = partial ? 206 : 200;
    res.statusCode = log.status;
    res.setHeader('ETag', file.etag);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Content-Length', String(body.byteLength));
    if (partial) {
      const shift = fault?.kind === 'wrong-content-range' ? 1 : 0;
      res.setHeader('Content-Range', `bytes ${start + shift}-${end - 1 + shift}/${file.bytes.byteLength}`);
    }
    this.send(res, path, body, fault);
  }

  private send(res: ServerResponse, path: string, body: Uint8Array, fault: Fault | undefined): void {
    const count = (bytes: number) => this.sent.set(path, this.bytesSent(path) + bytes);
    const cutAt =
      fault?.kind === 'ignore-range'
        ? fault.dropAfterBytes
        : fault?.kind === 'drop' || fault?.kind === 'stall'
          ? fault.afterBytes
          : undefined;
    if (cutAt !== undefined) {
      const part = body.subarray(0, Math.min(cutAt, body.byteLength));
      count(part.byteLength);
      res.flushHeaders();
      res.write(part, () => {
        if (fault?.kind !== 'stall') res.socket?.destroy();
      });
      return;
    }
    if (this.trickle) return this.sendSlowly(res, body, count, this.trickle);
    count(body.byteLength);
    res.end(body);
  }

  private sendSlowly(
    res: ServerResponse,
    body: Uint8Array,
    count: (bytes: number) => void,
    { bytes, everyMs }: { bytes: number; everyMs: number },
  ): void {
    res.flushHeaders();
    const sendFrom = (offset: number) => {
      if (res.destroyed) return;
      const slice = body.subarray(offset, offset + bytes);
      count(slice.byteLength);
      if (offset + bytes >= body.byteLength) return void res.end(slice);
      res.write(slice);
      setTimeout(() => sendFrom(offset + bytes), everyMs);
    };
    sendFrom(0);
  }

  private fail(res: ServerResponse, log: RequestLog, status: number, retryAfter?: string): void {
    log.status = status;
    res.statusCode = status;
    if (retryAfter !== undefined) res.setHeader('Retry-After', retryAfter);
    res.end(`status ${status}`);
  }

  private takeFault(path: string, range: RequestedRange): Fault | undefined {
    const rule = this.faults
      .get(path)
      ?.find((candidate) => candidate.times > 0 && (candidate.when?.(range) ?? true));
    if (!rule) return undefined;
    rule.times--;
    return rule.fault;
  }
}

/** 'bytes=a-b' or 'bytes=a-' as [start, end); undefined when absent or not a single range. */
function parseRange(header: string | undefined, size: number): RequestedRange | undefined {
  const match = header === undefined ? null : /^bytes=(\d+)-(\d*)$/.exec(header);
  if (!match) return undefined;
  const start = Number(match[1]);
  return { start, end: match[2] === '' ? undefined : Math.min(Number(match[2]) + 1, size) };
}

/**
 * testBytes that a model download accepts: they start as a real ONNX export does, with ModelProto's
 * ir_version field (tag 0x08, IR version 8).
 */
export function onnxTestBytes(length: number, seed = 1): Uint8Array {
  const bytes = testBytes(length, seed);
  bytes.set([0x08, 0x08].slice(0, length));
  return bytes;
}

/** Deterministic pseudo-random bytes (xorshift32), so that every chunk differs from every other. */
export function testBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}
