/** Test page: the GeneratorClient (worker, IndexedDB store, pipeline) as `window.clientTest`. */
import {
  GeneratorClient,
  type ImageProgress,
  type ImageResult,
  type ModelProgress,
} from '../../src/pipeline/index.js';
import { outcome } from './outcome.js';

const client = GeneratorClient.shared('/model-manifest.json');

function describeImage(image: ImageResult) {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(image.bitmap, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height).data;
  let checksum = 0;
  for (let i = 0; i < pixels.length; i++) checksum = (checksum * 31 + pixels[i]) >>> 0;
  return { ...image, bitmap: undefined, checksum };
}

/** A 64x64 test picture as ImageData; the same one every call. */
function testPicture(): ImageData {
  const picture = new ImageData(64, 64);
  for (let i = 0; i < 64 * 64; i++) {
    picture.data.set([(i % 64) * 4, Math.floor(i / 64) * 4, 128, 255], i * 4);
  }
  return picture;
}

/** Flips one bit in the middle of chunk 0 of a stored file, in the IndexedDB the worker's store uses. */
async function flipStoredBit(modelId: string, path: string): Promise<number> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('sd-turbo-weights');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    const key = [modelId, path, 0];
    const stored = await new Promise<Blob | Uint8Array<ArrayBuffer>>((resolve, reject) => {
      const request = db.transaction('chunks').objectStore('chunks').get(key);
      request.onsuccess = () => resolve(request.result as Blob | Uint8Array<ArrayBuffer>);
      request.onerror = () => reject(request.error);
    });
    // Chunks are stored as Blobs (those of earlier versions as Uint8Arrays).
    const chunk = stored instanceof Blob ? new Uint8Array(await stored.arrayBuffer()) : stored;
    // The middle of an ONNX file is initializer data: the graph still parses, a weight changes.
    const offset = Math.floor(chunk.byteLength / 2);
    chunk[offset] ^= 1;
    await new Promise((resolve, reject) => {
      const request = db
        .transaction('chunks', 'readwrite')
        .objectStore('chunks')
        .put(new Blob([chunk]), key);
      request.onsuccess = resolve;
      request.onerror = () => reject(request.error);
    });
    return offset;
  } finally {
    db.close();
  }
}

/** Resolves with the client's next 'model-corrupt' event. */
function nextCorruptNotice(): Promise<{ modelId: string; error: Error & { code?: string } }> {
  return new Promise((resolve) => {
    client.addEventListener(
      'model-corrupt',
      (event) => resolve((event as CustomEvent<{ modelId: string; error: Error }>).detail),
      { once: true },
    );
  });
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms));
}

const clientTest = {
  /**
   * A warm start (a fresh worker, the model stored) after one bit of a stored file was flipped: the load,
   * the 'model-corrupt' event that follows it, then an image and a second load.
   */
  warmStartOfCorruptedModel: (modelId: string, path: string) =>
    outcome(async () => {
      const flippedAt = await flipStoredBit(modelId, path);
      client.reset();
      const events: string[] = [];
      const notice = nextCorruptNotice().then((detail) => {
        events.push('corrupt');
        return detail;
      });
      // On wasm: the check is the store's and the worker's, and a wasm load is seconds faster than WebGPU's.
      const load = await outcome(() => client.load(modelId, { provider: 'wasm' }));
      events.push(load.ok ? 'ready' : 'load-failed');
      const { error, ...rest } = await Promise.race([notice, timeout(60_000, 'model-corrupt event')]);
      const image = await outcome(() => client.generate({ prompt: 'x', seed: 1, steps: 1 }));
      const nextLoad = await outcome(() => client.load(modelId, { provider: 'wasm' }));
      return {
        flippedAt,
        events,
        notice: { ...rest, code: error.code, message: error.message },
        image: { ok: image.ok, code: image.code },
        nextLoad,
      };
    }),

  /** Image to image with the picture sent as a bitmap, as a PNG Blob and as ImageData. */
  generateFromPicture: (prompt: string, seed: number) =>
    outcome(async () => {
      const bitmap = await createImageBitmap(testPicture());
      const request = { prompt, seed, steps: 2, strength: 0.5 };
      const fromBitmap = describeImage(await client.generate({ ...request, sourceImage: bitmap }));
      const canvas = new OffscreenCanvas(64, 64);
      canvas.getContext('2d')!.putImageData(testPicture(), 0, 0);
      const png = await canvas.convertToBlob({ type: 'image/png' });
      const fromBlob = describeImage(await client.generate({ ...request, sourceImage: png }));
      const fromImageData = describeImage(await client.generate({ ...request, sourceImage: testPicture() }));
      const notAPicture = await outcome(() =>
        client.generate({ ...request, sourceImage: new Blob(['not an image'], { type: 'image/png' }) }),
      );
      return { fromBitmap, fromBlob, fromImageData, callersBitmapWidth: bitmap.width, notAPicture };
    }),
  load: (modelId: string, provider: 'auto' | 'webgpu' | 'wasm' = 'auto') =>
    outcome(async () => {
      const phases: ModelProgress['phase'][] = [];
      const loaded = await client.load(modelId, { provider, onProgress: (p) => phases.push(p.phase) });
      return { loaded, phases: [...new Set(phases)] };
    }),
  generate: (prompt: string, seed: number) =>
    outcome(async () => describeImage(await client.generate({ prompt, seed, steps: 1 }))),
  /** One image with every stage the worker reports as it starts. */
  generateWithProgress: (request: { prompt: string; seed: number; steps: number; strength?: number }) =>
    outcome(async () => {
      const progress: ImageProgress[] = [];
      const sourceImage = request.strength === undefined ? undefined : testPicture();
      const image = await client.generate(
        { ...request, sourceImage },
        { onImageProgress: (stage) => progress.push(stage) },
      );
      return { image: describeImage(image), progress };
    }),
  generateTwoAtOnce: () =>
    outcome(async () => {
      const [a, b] = await Promise.all([
        client.generate({ prompt: 'a', seed: 1, steps: 1 }),
        client.generate({ prompt: 'b', seed: 2, steps: 1 }),
      ]);
      return [describeImage(a).checksum, describeImage(b).checksum];
    }),
  cancelGenerate: () =>
    outcome(async () => {
      const controller = new AbortController();
      const running = client.generate({ prompt: 'x', seed: 5, steps: 4 }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 0);
      return describeImage(await running);
    }),
  download: (modelId: string) => outcome(() => client.download(modelId)),
  checkRequirements: (modelId: string) => outcome(() => client.checkRequirements(modelId)),
  tokenize: (prompt: string) => outcome(() => client.tokenize(prompt)),
  stored: () => outcome(() => client.storedModels()),
  deleteModel: (modelId: string) => outcome(() => client.deleteModel(modelId)),
  loseDevice: () =>
    outcome(async () => {
      await client.simulateDeviceLoss();
      return { lost: false };
    }),
};

declare global {
  interface Window {
    clientTest: typeof clientTest;
  }
}
window.clientTest = clientTest;
document.body.dataset.ready = 'true';
