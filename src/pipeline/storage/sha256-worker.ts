/// <reference lib="webworker" />
/**
 * The hashing Worker behind createSha256Stream: one incremental SHA-256 per Worker. It says it is ready
 * (id 0) once hash-wasm is compiled, then answers each request in order.
 */
import { createSHA256 } from 'hash-wasm';

export type Sha256Command = { type: 'update'; bytes: Uint8Array } | { type: 'digest' };

export type Sha256Request = Sha256Command & { id: number };

export type Sha256Reply = { id: number; ok: true; hex?: string } | { id: number; ok: false; message: string };

declare const self: DedicatedWorkerGlobalScope;

function reply(message: Sha256Reply): void {
  self.postMessage(message);
}

async function serve(): Promise<void> {
  let hasher: Awaited<ReturnType<typeof createSHA256>>;
  try {
    hasher = await createSHA256();
    hasher.init();
  } catch (error) {
    reply({ id: 0, ok: false, message: (error as Error).message });
    return;
  }
  self.addEventListener('message', ({ data }: MessageEvent<Sha256Request>) => {
    try {
      if (data.type === 'update') {
        hasher.update(data.bytes);
        reply({ id: data.id, ok: true });
      } else {
        reply({ id: data.id, ok: true, hex: hasher.digest('hex') });
      }
    } catch (error) {
      reply({ id: data.id, ok: false, message: (error as Error).message });
    }
  });
  reply({ id: 0, ok: true });
}

void serve();
