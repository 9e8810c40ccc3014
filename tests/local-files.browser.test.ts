/**
 * "Your own files" in the app, in headless Chromium: the tiny-fp32 files picked through Settings' file
 * input become a model in the list, make an image (the same pixels as the manifest's tiny-fp32), survive a
 * reload in IndexedDB (no picking again), and can be deleted; wrong files are named in the problem panel.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGE_PATHS, TINY_MODELS_DIR, ensureTinyModels, sha256Hex } from '../scripts/tiny-models/index.js';
import { launchChromium, openPage, openSettings, startDevServer } from './support/browser.js';
import { textEncoderOfWidth } from './support/onnx-variants.js';
import { pixelDifference } from './support/pixels.js';

const part = (name: string) => `sd-turbo [part~="${name}"]`;

let server: ViteDevServer;
let baseUrl: string;
let browser: Browser;
/** The tiny-fp32 files as the user's own, under names that match their stages. */
let tiny: Record<'textEncoder' | 'unet' | 'vaeDecoder', { name: string; buffer: Buffer }>;

beforeAll(async () => {
  await ensureTinyModels();
  const read = async (stage: keyof typeof tiny, name: string) => ({
    name,
    buffer: await readFile(join(TINY_MODELS_DIR, 'tiny-fp32', STAGE_PATHS[stage])),
  });
  tiny = {
    textEncoder: await read('textEncoder', 'text_encoder.onnx'),
    unet: await read('unet', 'unet.onnx'),
    vaeDecoder: await read('vaeDecoder', 'vae_decoder.onnx'),
  };
  ({ server, url: baseUrl } = await startDevServer());
  browser = await launchChromium({ webgpu: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Opens Settings (if closed), sets the image size for files that leave it open, and picks `files`. */
async function chooseOwnFiles(page: Page, files: { name: string; buffer: Buffer }[]): Promise<void> {
  await openSettings(page);
  await page.locator(part('local-image-size')).fill('64');
  await page
    .locator(part('local-files-input'))
    .setInputFiles(files.map(({ name, buffer }) => ({ name, mimeType: 'application/octet-stream', buffer })));
}

const currentModel = (page: Page) => page.evaluate(() => document.querySelector('sd-turbo')!.model);

/** Generates with a fixed seed and prompt; resolves with the `sd-image` detail and the shown pixels. */
async function generate(page: Page) {
  await page.locator(part('prompt')).fill('a lighthouse at dawn');
  await openSettings(page);
  await page.locator(part('seed-input')).fill('42');
  const detail = page.evaluate(
    () =>
      new Promise<{ modelId: string; seed: number; width: number; height: number; provider: string }>(
        (resolve) =>
          document.addEventListener(
            'sd-image',
            (event) => {
              const { modelId, seed, width, height, provider } = (event as CustomEvent).detail;
              resolve({ modelId, seed, width, height, provider });
            },
            { once: true },
          ),
      ),
  );
  await page.locator(part('generate-button')).click();
  const image = await detail;
  const pixels = await page.evaluate(() => {
    const canvas = document
      .querySelector('sd-turbo')!
      .shadowRoot!.querySelector<HTMLCanvasElement>('canvas.image')!;
    return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
  });
  return { image, pixels };
}

/** What IndexedDB holds for a local model: its entry's file hashes, and the stored files' records. */
function storedState(page: Page, modelId: string) {
  return page.evaluate(async (id) => {
    const all = (dbName: string, storeName: string) =>
      new Promise<unknown[]>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction(storeName).objectStore(storeName).getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        };
      });
    type Entry = { entry: { id: string; stages: Record<string, { file: { sha256: string } }> } };
    type Record_ = { modelId: string; path: string; sha256: string; verified: boolean };
    const entries = (await all('sd-turbo-local-models', 'models')) as Entry[];
    const records = (await all('sd-turbo-weights-files', 'files')) as Record_[];
    const entry = entries.find((each) => each.entry.id === id)?.entry;
    return {
      entryHashes:
        entry && Object.fromEntries(Object.entries(entry.stages).map(([s, v]) => [s, v.file.sha256])),
      records: records
        .filter((record) => record.modelId === id)
        .map(({ path, sha256, verified }) => ({ path, sha256, verified }))
        .sort((a, b) => a.path.localeCompare(b.path)),
    };
  }, modelId);
}

/** Deletes a model's stored files (records and chunks) behind the app's back, as clearing site data may. */
function deleteStoredFiles(page: Page, modelId: string) {
  return page.evaluate(async (id) => {
    const clear = (dbName: string, storeName: string) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const transaction = open.result.transaction(storeName, 'readwrite');
          // Keys are [modelId, path] and [modelId, path, index]: an array sorts after every string.
          transaction.objectStore(storeName).delete(IDBKeyRange.bound([id], [id, []]));
          transaction.oncomplete = () => (open.result.close(), resolve());
          transaction.onerror = () => reject(transaction.error);
        };
      });
    await clear('sd-turbo-weights-files', 'files');
    await clear('sd-turbo-weights', 'chunks');
  }, modelId);
}

/**
 * A stand-in for Chromium's showOpenFilePicker (a native dialog headless Chromium cannot show): the
 * tiny-fp32 files as handles, dated `lastModified` (the model's id depends on it), or a closed picker.
 * Each call's options are kept in `window.pickerCalls`.
 */
function stubFilePicker(page: Page, lastModified: number | 'closed') {
  return page.evaluate(async (lastModified) => {
    const handles = await Promise.all(
      ['text_encoder', 'unet', 'vae_decoder'].map(async (stage) => {
        const bytes = await (await fetch(`/models/tiny-fp32/${stage}/model.onnx`)).arrayBuffer();
        const name = `${stage}.onnx`;
        const date = lastModified === 'closed' ? 0 : lastModified;
        return { kind: 'file', name, getFile: async () => new File([bytes], name, { lastModified: date }) };
      }),
    );
    const page = window as unknown as { pickerCalls: unknown[]; showOpenFilePicker: unknown };
    page.pickerCalls = [];
    page.showOpenFilePicker = async (options: unknown) => {
      page.pickerCalls.push(options);
      if (lastModified === 'closed') throw new DOMException('The user aborted a request.', 'AbortError');
      return handles;
    };
  }, lastModified);
}

/** The ids of the models stored files have records for, and of the local models' entries. */
function storedIds(page: Page) {
  return page.evaluate(async () => {
    const keys = (dbName: string, storeName: string) =>
      new Promise<IDBValidKey[]>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction(storeName).objectStore(storeName).getAllKeys();
          request.onsuccess = () => (open.result.close(), resolve(request.result));
          request.onerror = () => reject(request.error);
        };
      });
    const records = await keys('sd-turbo-weights-files', 'files');
    return {
      records: [...new Set(records.map((key) => (key as string[])[0]))].sort(),
      entries: (await keys('sd-turbo-local-models', 'models')).map(String).sort(),
    };
  });
}

/**
 * Holds a readwrite transaction on the chunk store, which the pipeline Worker's chunk writes then wait
 * behind, until `window.releaseChunks()`: storing is stopped mid-copy without depending on timing.
 */
function holdChunkStore(page: Page) {
  return page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('sd-turbo-weights');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const transaction = open.result.transaction('chunks', 'readwrite');
          const chunks = transaction.objectStore('chunks');
          let held = true;
          (window as unknown as { releaseChunks: () => void }).releaseChunks = () => (held = false);
          // A transaction with a request pending stays active, and keeps the store.
          const spin = () => {
            if (held) chunks.get('nothing').onsuccess = spin;
          };
          spin();
          transaction.oncomplete = () => open.result.close();
          resolve();
        };
      }),
  );
}

describe('your own files in the app', () => {
  let context: BrowserContext;
  let page: Page;
  let logs: string[];
  let localId: string;
  let firstPixels: number[];

  beforeAll(async () => {
    // On the wasm EP: what is checked is the store of your own files, which feeds every EP the same way, and a
    // tiny model loads in about a second on wasm against 20 s or more on SwiftShader's WebGPU.
    ({ context, page, logs } = await openPage(browser, `${baseUrl}/?provider=wasm`));
    await page.setViewportSize({ width: 1100, height: 960 });
  });
  afterAll(() => context?.close());

  it('stores the three tiny-fp32 files picked through the file input, lists them as a model, and makes an image', async () => {
    await page.waitForSelector(part('local-files-input'), { state: 'attached', timeout: 30_000 });
    // In an order that says nothing: the stages come from the files' inputs and outputs.
    await chooseOwnFiles(page, [tiny.vaeDecoder, tiny.textEncoder, tiny.unet]);
    await expect.poll(() => currentModel(page), { timeout: 30_000 }).toMatch(/^local-[0-9a-f]{12}$/);
    localId = await currentModel(page);
    // The model list comes back from the worker after the choice: the picker shows it once it has arrived.
    await expect.poll(() => page.locator('sd-turbo #model').inputValue(), { timeout: 30_000 }).toBe(localId);
    expect(await textOf(page, `sd-turbo #model option[value="${localId}"]`)).toBe(
      `Your own files (${localId.slice('local-'.length)})`,
    );
    await expect
      .poll(() => textOf(page, part('stored-models')))
      .toContain(`Your own files (${localId.slice(6)}) 6.6 MB`);
    await expect.poll(() => textOf(page, part('status'))).toContain('is stored in this browser and selected');

    const stored = await storedState(page, localId);
    const hashes = {
      textEncoder: sha256Hex(tiny.textEncoder.buffer),
      unet: sha256Hex(tiny.unet.buffer),
      vaeDecoder: sha256Hex(tiny.vaeDecoder.buffer),
    };
    expect(stored.entryHashes).toEqual(hashes);
    expect(stored.records).toEqual([
      { path: 'text_encoder/model.onnx', sha256: hashes.textEncoder, verified: true },
      { path: 'unet/model.onnx', sha256: hashes.unet, verified: true },
      { path: 'vae_decoder/model.onnx', sha256: hashes.vaeDecoder, verified: true },
    ]);

    const { image, pixels } = await generate(page);
    expect(image).toEqual({ modelId: localId, seed: 42, width: 64, height: 64, provider: 'wasm' });
    expect(pixels).toHaveLength(64 * 64 * 4);
    // A picture, not a blank: the tiny model's noise-like image uses much of the range.
    expect(new Set(pixels.filter((_, index) => index % 4 === 0)).size).toBeGreaterThan(100);
    firstPixels = pixels;
    expect(logs.filter((line) => line.startsWith('[pageerror]'))).toEqual([]);
  });

  it("makes the same pixels as the manifest's tiny-fp32 entry for the same seed and prompt", async () => {
    await openSettings(page);
    await page.locator('sd-turbo #model').selectOption('tiny-fp32');
    await page.locator(part('download-button')).click({ timeout: 30_000 });
    await page.waitForSelector(part('first-run'), { state: 'detached', timeout: 60_000 });
    const { image, pixels } = await generate(page);
    expect(image.modelId).toBe('tiny-fp32');
    expect(pixelDifference(pixels, firstPixels)).toEqual({ max: 0, differingShare: 0 });
  });

  it('after a reload, loads the stored files and makes the same image without picking them again', async () => {
    await page.reload();
    await expect
      .poll(() => page.locator(`sd-turbo #model option[value="${localId}"]`).count(), { timeout: 30_000 })
      .toBe(1);
    await openSettings(page);
    await page.locator('sd-turbo #model').selectOption(localId);
    await expect.poll(() => textOf(page, part('stored-note'))).toContain('is stored in this browser');
    const { image, pixels } = await generate(page);
    expect(image.modelId).toBe(localId);
    expect(pixelDifference(pixels, firstPixels)).toEqual({ max: 0, differingShare: 0 });
  });

  it('names the UNet input whose width differs from the text encoder output, in the problem panel', async () => {
    const errors = page.evaluate(
      () =>
        new Promise<{ code: string; message: string }>((resolve) =>
          document.addEventListener('sd-error', (event) => resolve((event as CustomEvent).detail), {
            once: true,
          }),
        ),
    );
    const wide = { name: 'text_encoder.onnx', buffer: Buffer.from(textEncoderOfWidth(48)) };
    await chooseOwnFiles(page, [wide, tiny.unet, tiny.vaeDecoder]);
    const expected =
      'unet.onnx: input "encoder_hidden_states" is float32 [batch_size,sequence_length,32] — expected float32 or ' +
      "float16 [1,77,48]: dimension 3 must be 48, the text states' width in text_encoder.onnx's output " +
      '"last_hidden_state".';
    expect(await errors).toMatchObject({ code: 'model-io-mismatch', message: expected });
    await expect.poll(() => textOf(page, part('error'))).toContain('These files cannot be used as SD-Turbo');
    expect(await textOf(page, part('error'))).toContain(expected);
    // Nothing was stored, and the model in use stays.
    expect(await currentModel(page)).toBe(localId);
  });

  it('lists each problem of a VAE decoder offered as the UNet on a line of its own', async () => {
    await page.locator(part('dismiss-button')).click();
    await chooseOwnFiles(page, [
      tiny.textEncoder,
      { ...tiny.vaeDecoder, name: 'unet.onnx' },
      tiny.vaeDecoder,
    ]);
    const details = page.locator(`${part('error-details')} li`);
    await expect.poll(() => details.count(), { timeout: 30_000 }).toBe(2);
    expect(await textOf(page, `${part('error-details')} li:nth-child(1)`)).toContain(
      "unet.onnx is named like the UNet, but its inputs and outputs are a VAE decoder's",
    );
    expect(await textOf(page, `${part('error-details')} li:nth-child(2)`)).toBe(
      'unet.onnx and vae_decoder.onnx both look like the VAE decoder (it takes "latent_sample"): offer one of them.',
    );
  });

  it('takes a whole folder through the folder input, named after it, with its VAE encoder', async () => {
    await page.locator(part('dismiss-button')).click();
    // webkitRelativePath gives tiny-fp32/<stage>/model.onnx: four files called model.onnx, told apart by path.
    await page.locator(part('local-folder-input')).setInputFiles(join(TINY_MODELS_DIR, 'tiny-fp32'));
    await expect
      .poll(() => textOf(page, 'sd-turbo #model option:checked'), { timeout: 30_000 })
      .toBe('tiny-fp32 (your files)');
    const folderId = await currentModel(page);
    expect(folderId).not.toBe(localId);
    expect((await storedState(page, folderId)).records.map((record) => record.path)).toEqual([
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
      'vae_encoder/model.onnx',
    ]);
    // A VAE encoder among the files: image to image is offered.
    expect(await page.evaluate(() => document.querySelector('sd-turbo')!.canUseSourceImage)).toBe(true);
    await page.locator(`sd-turbo [aria-label^="Delete ${folderId} "]`).click();
    await page.locator(part('confirm-delete-model-button')).click();
    await expect.poll(() => page.locator(`sd-turbo #model option[value="${folderId}"]`).count()).toBe(0);
  });

  it('walks the folder that showDirectoryPicker gives, where the browser has it', async () => {
    // A stand-in for Chromium's picker (a native dialog headless Chromium cannot show): the same handles.
    await page.evaluate(async () => {
      const file = async (stage: string) => {
        const bytes = await (await fetch(`/models/tiny-fp32/${stage}/model.onnx`)).arrayBuffer();
        return { kind: 'file', name: 'model.onnx', getFile: async () => new File([bytes], 'model.onnx') };
      };
      const folder = (name: string, entries: unknown[]) => ({
        kind: 'directory',
        name,
        async *values() {
          yield* entries;
        },
      });
      const notes = {
        kind: 'file',
        name: 'README.md',
        getFile: async () => new File(['# notes'], 'README.md'),
      };
      const root = folder('my-sd-turbo', [
        notes,
        folder('unet', [await file('unet')]),
        folder('text_encoder', [await file('text_encoder')]),
        folder('vae_decoder', [await file('vae_decoder')]),
      ]);
      (window as unknown as { showDirectoryPicker: () => Promise<unknown> }).showDirectoryPicker = async () =>
        root;
    });
    await openSettings(page);
    await page.locator(part('local-folder-button')).click();
    await expect
      .poll(() => textOf(page, 'sd-turbo #model option:checked'), { timeout: 30_000 })
      .toBe('my-sd-turbo (your files)');
    const pickedId = await currentModel(page);
    expect((await storedState(page, pickedId)).entryHashes).toEqual({
      textEncoder: sha256Hex(tiny.textEncoder.buffer),
      unet: sha256Hex(tiny.unet.buffer),
      vaeDecoder: sha256Hex(tiny.vaeDecoder.buffer),
    });
    await page.locator(`sd-turbo [aria-label^="Delete ${pickedId} "]`).click();
    await page.locator(part('confirm-delete-model-button')).click();
    await expect.poll(() => page.locator(`sd-turbo #model option[value="${pickedId}"]`).count()).toBe(0);
    await openSettings(page);
    await page.locator('sd-turbo #model').selectOption(localId);
  });

  it('deletes the local model like other models, after a question that says its files must be chosen again: gone from the list and from storage', async () => {
    await page.locator(`sd-turbo [aria-label^="Delete ${localId} "]`).click();
    await expect
      .poll(() => textOf(page, part('confirm-delete-model')))
      .toMatch(/Using it again means choosing its files again\./);
    await page.locator(part('confirm-delete-model-button')).click();
    await expect.poll(() => currentModel(page)).toBe('');
    await expect.poll(() => page.locator(`sd-turbo #model option[value="${localId}"]`).count()).toBe(0);
    expect(await storedState(page, localId)).toEqual({ entryHashes: undefined, records: [] });
    expect(await page.evaluate(() => localStorage.getItem('sd-turbo:model'))).toBeNull();
  });

  let pickedId: string;

  it('does nothing when the showOpenFilePicker dialog is closed, and takes the files it gives', async () => {
    const errors: string[] = [];
    await page.exposeFunction('reportSdError', (code: string) => errors.push(code));
    await page.evaluate(() =>
      document.addEventListener('sd-error', (event) =>
        (window as unknown as { reportSdError(code: string): void }).reportSdError(
          (event as CustomEvent).detail.code,
        ),
      ),
    );
    const modelsBefore = await page.locator('sd-turbo #model option').count();
    await stubFilePicker(page, 'closed');
    await openSettings(page);
    await page.locator(part('local-files-button')).click();
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { pickerCalls: [] }).pickerCalls.length))
      .toBe(1);
    // Let a reply the closed picker might have caused arrive: none does.
    await page.waitForTimeout(300);
    expect(await page.locator(part('error')).count()).toBe(0);
    expect(await page.locator(part('local-files-progress')).count()).toBe(0);
    expect(await page.locator('sd-turbo #model option').count()).toBe(modelsBefore);
    expect(await currentModel(page)).toBe('');
    expect(errors).toEqual([]);

    await stubFilePicker(page, 1_700_000_000_000);
    await openSettings(page);
    await page.locator(part('local-files-button')).click();
    await expect.poll(() => currentModel(page), { timeout: 30_000 }).toMatch(/^local-[0-9a-f]{12}$/);
    pickedId = await currentModel(page);
    expect(await page.evaluate(() => (window as unknown as { pickerCalls: unknown[] }).pickerCalls)).toEqual([
      {
        id: 'sd-turbo-model-files',
        multiple: true,
        types: [{ description: 'ONNX models', accept: { 'application/octet-stream': ['.onnx'] } }],
      },
    ]);
    expect((await storedState(page, pickedId)).entryHashes).toEqual({
      textEncoder: sha256Hex(tiny.textEncoder.buffer),
      unet: sha256Hex(tiny.unet.buffer),
      vaeDecoder: sha256Hex(tiny.vaeDecoder.buffer),
    });
    expect(errors).toEqual([]);
  });

  it('stops storing on Cancel: the partial copy is deleted, no entry is kept, the model list is unchanged', async () => {
    const before = await storedIds(page);
    const options = await page.locator('sd-turbo #model option').allTextContents();
    await holdChunkStore(page);
    await chooseOwnFiles(page, [tiny.textEncoder, tiny.unet, tiny.vaeDecoder]);
    // The text encoder's record is written, its first chunk waits: a partial copy exists.
    const partial = async () => (await storedIds(page)).records.filter((id) => !before.records.includes(id));
    await expect.poll(partial, { timeout: 30_000 }).toHaveLength(1);
    const [partialId] = await partial();
    expect(await textOf(page, part('local-files-progress'))).toContain('Checking and storing your files');
    await page.locator(part('cancel-local-files-button')).click();
    await expect.poll(() => textOf(page, part('local-files-progress'))).toContain('Stopping');
    await page.evaluate(() => (window as unknown as { releaseChunks(): void }).releaseChunks());
    await expect
      .poll(() => textOf(page, part('status')), { timeout: 30_000 })
      .toBe('Stopped storing your files; nothing was kept.');
    expect(await page.locator(part('local-files-progress')).count()).toBe(0);
    expect(await page.locator(part('error')).count()).toBe(0);
    expect(await storedState(page, partialId)).toEqual({ entryHashes: undefined, records: [] });
    expect(await storedIds(page)).toEqual(before);
    expect(await page.locator('sd-turbo #model option').allTextContents()).toEqual(options);
    expect(await currentModel(page)).toBe(pickedId);
  });

  it('offers to choose the files again when the entry survived but its files are gone, and then makes the same image', async () => {
    await deleteStoredFiles(page, pickedId);
    await page.reload();
    await expect
      .poll(() => textOf(page, part('files-gone')), { timeout: 30_000 })
      .toContain('are no longer stored');
    const name = `Your own files (${pickedId.slice('local-'.length)})`;
    expect(await textOf(page, `${part('files-gone')} h2`)).toBe(`The files of ${name} are no longer stored`);
    expect(await textOf(page, part('files-gone'))).toContain(
      `${name} is made of your own files, and this browser no longer has them all`,
    );
    expect(await page.locator(`${part('files-gone')} button`).allTextContents()).toEqual([
      expect.stringContaining('Choose the files again…'),
      expect.stringContaining('Forget this model'),
    ]);
    expect(await page.locator(part('download-button')).count()).toBe(0);

    // The same files (same names and dates): the same model, stored again.
    await stubFilePicker(page, 1_700_000_000_000);
    await page.locator(part('choose-files-again-button')).click();
    await expect
      .poll(() => textOf(page, part('stored-note')), { timeout: 30_000 })
      .toContain('is stored in this browser');
    expect(await currentModel(page)).toBe(pickedId);
    expect((await storedState(page, pickedId)).records).toHaveLength(3);
    const { image, pixels } = await generate(page);
    expect(image.modelId).toBe(pickedId);
    expect(pixelDifference(pixels, firstPixels)).toEqual({ max: 0, differingShare: 0 });
  });

  it('replaces the entry with files chosen again under another date, and forgets a model whose files are gone', async () => {
    await deleteStoredFiles(page, pickedId);
    await page.reload();
    await page.locator(part('choose-files-again-button')).waitFor({ timeout: 30_000 });
    await stubFilePicker(page, 1_700_000_000_001);
    await page.locator(part('choose-files-again-button')).click();
    await expect.poll(() => currentModel(page), { timeout: 30_000 }).not.toBe(pickedId);
    const replacedBy = await currentModel(page);
    expect(replacedBy).toMatch(/^local-[0-9a-f]{12}$/);
    await expect.poll(() => page.locator(`sd-turbo #model option[value="${pickedId}"]`).count()).toBe(0);
    expect((await storedIds(page)).entries).toEqual([replacedBy]);

    await deleteStoredFiles(page, replacedBy);
    await page.reload();
    await page.locator(part('forget-model-button')).click({ timeout: 30_000 });
    await expect.poll(() => currentModel(page)).toBe('');
    await expect.poll(() => page.locator(`sd-turbo #model option[value="${replacedBy}"]`).count()).toBe(0);
    expect(await storedIds(page)).toMatchObject({ entries: [] });
    expect(await page.evaluate(() => localStorage.getItem('sd-turbo:model'))).toBeNull();
    expect(logs.filter((line) => line.startsWith('[pageerror]'))).toEqual([]);
  });
});
