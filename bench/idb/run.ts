/**
 * npm run bench:idb -- [options]: IndexedDB write and read throughput in headless Chromium for chunks
 * stored as a Uint8Array against the same bytes stored as a Blob (what IdbChunkStore does), with 1, 2 and
 * 4 reads in flight. Reading the store is most of a warm start (docs/benchmarks/README.md#warm-start).
 * Prints figures only: nothing here passes or fails.
 */
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../../tests/support/browser.js';

const USAGE = `usage: npm run bench:idb -- [--chunks <n>] [--chunk-mib <n>]

  --chunks <n>      chunks written and read per form (default 24)
  --chunk-mib <n>   chunk size in MiB (default 32, the downloader's)`;

type Figures = Record<string, number>;

/** Runs in the page: pseudo-random chunks (incompressible, like weights) written, then read back. */
async function measureInPage({
  chunks,
  chunkBytes,
}: {
  chunks: number;
  chunkBytes: number;
}): Promise<Figures> {
  const request = <T>(r: IDBRequest<T>) =>
    new Promise<T>((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  const open = (name: string) => {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => r.result.createObjectStore('chunks');
    return request(r);
  };
  const chunkOf = (index: number) => {
    const words = new Uint32Array(chunkBytes / 4);
    let x = 2463534242 + index;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
    return new Uint8Array(words.buffer);
  };
  const mbPerSecond = (started: number) =>
    (chunks * chunkBytes) / 1e6 / ((performance.now() - started) / 1000);
  const figures: Figures = {};
  for (const form of ['Uint8Array', 'Blob'] as const) {
    const db = await open(`bench-${form}`);
    const store = (mode: IDBTransactionMode) => db.transaction('chunks', mode).objectStore('chunks');
    let started = performance.now();
    for (let index = 0; index < chunks; index++) {
      const bytes = chunkOf(index);
      await request(store('readwrite').put(form === 'Blob' ? new Blob([bytes]) : bytes, index));
    }
    figures[`${form} write`] = mbPerSecond(started);
    const read = async (index: number) => {
      const value = (await request(store('readonly').get(index))) as Blob | Uint8Array;
      return value instanceof Blob ? new Uint8Array(await value.arrayBuffer()) : value;
    };
    for (const inFlight of [1, 2, 4]) {
      started = performance.now();
      for (let index = 0; index < chunks; index += inFlight) {
        const batch = Array.from({ length: Math.min(inFlight, chunks - index) }, (_, k) => read(index + k));
        for (const bytes of await Promise.all(batch)) {
          if (bytes.byteLength !== chunkBytes) throw new Error(`read ${bytes.byteLength} bytes`);
        }
      }
      figures[`${form} read, ${inFlight} in flight`] = mbPerSecond(started);
    }
    db.close();
  }
  return figures;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { chunks: { type: 'string' }, 'chunk-mib': { type: 'string' } } });
  const chunks = Number(values.chunks ?? 24);
  const chunkMiB = Number(values['chunk-mib'] ?? 32);
  if (!(Number.isInteger(chunks) && chunks > 0 && Number.isInteger(chunkMiB) && chunkMiB > 0)) {
    console.error(USAGE);
    process.exit(2);
  }
  // IndexedDB needs an http origin: a blank page on loopback.
  const server = createServer((_, response) => response.end('<!doctype html><title>bench:idb</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const profile = await mkdtemp(join(tmpdir(), 'sd-turbo-idb-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  try {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    // tsx keeps function names with an `__name` helper that the page does not have.
    await page.evaluate('globalThis.__name = (fn) => fn');
    const figures = await page.evaluate(measureInPage, { chunks, chunkBytes: chunkMiB * 1024 ** 2 });
    console.log(
      `IndexedDB, ${chunks} chunks of ${chunkMiB} MiB, ${context.browser()?.version() ?? 'Chromium'}`,
    );
    for (const [what, mb] of Object.entries(figures))
      console.log(`  ${what.padEnd(28)} ${mb.toFixed(0)} MB/s`);
  } finally {
    await context.close();
    server.close();
    await rm(profile, { recursive: true, force: true });
  }
}

await main();
