/**
 * A loopback HTTP server for the download benchmark: serves files from disk with Range requests, streamed
 * (never held in memory), with the CORS headers a cross-origin, cross-origin-isolated page needs.
 */
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface DiskFile {
  path: string;
  size: number;
  etag: string;
}

export class DiskFileServer {
  private readonly files = new Map<string, DiskFile>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly link: SharedLink | undefined,
  ) {}

  /** `linkBytesPerSecond` caps all responses together, like one network link; unlimited when absent. */
  static async start(linkBytesPerSecond?: number): Promise<DiskFileServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const link = linkBytesPerSecond ? new SharedLink(linkBytesPerSecond) : undefined;
    const fileServer = new DiskFileServer(server, `http://127.0.0.1:${port}/`, link);
    server.on('request', (req, res) => fileServer.handle(req, res));
    return fileServer;
  }

  /** Serves the file at `diskPath` (of `size` bytes) as `urlPath`; returns its URL. */
  serve(urlPath: string, diskPath: string, size: number, etag: string): string {
    this.files.set(urlPath, { path: diskPath, size, etag: `"${etag}"` });
    return new URL(urlPath, this.baseUrl).href;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, ETag, Content-Length, Accept-Ranges');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Range');
      res.setHeader('Access-Control-Max-Age', '600');
      res.statusCode = 204;
      res.end();
      return;
    }
    const file = this.files.get(new URL(req.url ?? '/', this.baseUrl).pathname.slice(1));
    if (!file) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match && match[2] !== '' ? Math.min(Number(match[2]) + 1, file.size) : file.size;
    if (match && start >= file.size) {
      res.statusCode = 416;
      res.setHeader('Content-Range', `bytes */${file.size}`);
      res.end();
      return;
    }
    res.statusCode = match ? 206 : 200;
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', file.etag);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(end - start));
    if (match) res.setHeader('Content-Range', `bytes ${start}-${end - 1}/${file.size}`);
    if (req.method === 'HEAD' || end === start) {
      res.end();
      return;
    }
    // Small pieces when paced, so that several responses share the link smoothly.
    const highWaterMark = this.link ? 64 * 1024 : 1024 * 1024;
    const stream = createReadStream(file.path, { start, end: end - 1, highWaterMark });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    if (!this.link) {
      stream.pipe(res);
      return;
    }
    const paced = this.link.pace();
    res.on('close', () => paced.destroy());
    stream.pipe(paced).pipe(res);
  }
}

/** A link of fixed bandwidth: pieces from every response pass through it one after another. */
class SharedLink {
  /** performance.now() at which the link has sent everything given to it so far. */
  private busyUntil = 0;

  constructor(private readonly bytesPerSecond: number) {}

  /** A stream that lets each piece through once the link has had time to send it. */
  pace(): Transform {
    return new Transform({
      transform: (piece: Buffer, _encoding, done) => {
        this.send(piece.byteLength).then(() => done(null, piece), done);
      },
    });
  }

  private async send(bytes: number): Promise<void> {
    const now = performance.now();
    this.busyUntil = Math.max(now, this.busyUntil) + (bytes / this.bytesPerSecond) * 1000;
    // Timers are coarse: wait only once the schedule runs a millisecond ahead; the average holds.
    if (this.busyUntil - now > 1) await sleep(this.busyUntil - now);
  }
}
