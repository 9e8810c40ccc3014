import { createSHA256 } from 'hash-wasm';
import type { Sha256Command, Sha256Reply, Sha256Request } from './sha256-worker.js';

/**
 * Incremental SHA-256 of one stream of bytes. `update` may take the bytes over (a Worker-backed stream
 * transfers them), so callers hand in bytes they no longer need.
 */
export interface Sha256Stream {
  /** Where the hashing runs: a Worker of its own, or the thread that calls `update`. */
  readonly thread: 'worker' | 'caller';
  /** Resolves once `bytes` are hashed. Calls are hashed in call order; several may be pending. */
  update(bytes: Uint8Array): Promise<void>;
  /** Lower-case hex digest of everything passed to `update`; ends the stream. */
  digest(): Promise<string>;
  /** Frees the stream without a digest (a cancelled or failed download). */
  close(): void;
}

/**
 * A SHA-256 stream that hashes on a Worker of its own where the environment has Workers, so that
 * hashing (the slowest step of a verified download, one core's worth) runs beside the network and
 * storage work instead of between it; on this thread otherwise (Node, or a Worker that cannot start).
 */
export async function createSha256Stream(): Promise<Sha256Stream> {
  if (typeof Worker === 'undefined') return InThreadSha256.create();
  try {
    return await WorkerSha256.start();
  } catch {
    // A bundle or a Content-Security-Policy that refuses the hashing worker costs speed, not correctness.
    return InThreadSha256.create();
  }
}

/** hash-wasm (WebAssembly) on the calling thread: several times the speed of plain JavaScript. */
export class InThreadSha256 implements Sha256Stream {
  readonly thread = 'caller';

  private constructor(private readonly hasher: Awaited<ReturnType<typeof createSHA256>>) {}

  static async create(): Promise<InThreadSha256> {
    const hasher = await createSHA256();
    hasher.init();
    return new InThreadSha256(hasher);
  }

  async update(bytes: Uint8Array): Promise<void> {
    this.hasher.update(bytes);
  }

  async digest(): Promise<string> {
    return this.hasher.digest('hex');
  }

  close(): void {}
}

interface Pending {
  resolve: (hex: string | undefined) => void;
  reject: (error: Error) => void;
}

/** hash-wasm on a dedicated Worker; each update's bytes are transferred, not copied. */
class WorkerSha256 implements Sha256Stream {
  readonly thread = 'worker';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (event: MessageEvent<Sha256Reply>) => this.receive(event.data));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.fail(new Error(`the SHA-256 worker failed: ${event.message || 'unknown error'}`));
    });
  }

  /** Resolves once the worker has its hasher ready, and rejects if the worker cannot start. */
  static start(): Promise<WorkerSha256> {
    const worker = new Worker(new URL('./sha256-worker.ts', import.meta.url), {
      type: 'module',
      name: 'sd-turbo-sha256',
    });
    return new Promise((resolve, reject) => {
      const onMessage = (event: MessageEvent<Sha256Reply>) => {
        if (event.data.id !== 0) return;
        cleanUp();
        if (event.data.ok) resolve(new WorkerSha256(worker));
        else {
          worker.terminate();
          reject(new Error(event.data.message));
        }
      };
      const onError = (event: ErrorEvent) => {
        event.preventDefault();
        cleanUp();
        worker.terminate();
        reject(new Error(`the SHA-256 worker did not start: ${event.message || 'unknown error'}`));
      };
      const cleanUp = () => {
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
      };
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
    });
  }

  async update(bytes: Uint8Array): Promise<void> {
    // Only a view of a whole buffer can be transferred without taking its neighbours along.
    const own =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    await this.request({ type: 'update', bytes: own }, [own.buffer as ArrayBuffer]);
  }

  async digest(): Promise<string> {
    try {
      const hex = await this.request({ type: 'digest' }, []);
      if (hex === undefined) throw new Error('the SHA-256 worker sent no digest');
      return hex;
    } finally {
      this.close();
    }
  }

  close(): void {
    this.worker.terminate();
    this.fail(new Error('the SHA-256 stream was closed'));
  }

  private request(command: Sha256Command, transfer: Transferable[]): Promise<string | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: Sha256Request = { ...command, id };
      this.worker.postMessage(request, transfer);
    });
  }

  private receive(reply: Sha256Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.hex);
    else pending.reject(new Error(`SHA-256 failed: ${reply.message}`));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
