/**
 * The downloader in headless Chromium against a cross-origin Range server: a multi-chunk model is
 * downloaded into IndexedDB, the page is reloaded halfway, and a second download completes it without
 * fetching again the chunks, or the pieces of chunks, stored before the reload; the stored files then load
 * into a pipeline that makes an image.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyModels, REPO_ROOT, sha256Hex, TINY_MODELS_DIR } from '../scripts/tiny-models/index.js';
import {
  modelStageNames,
  stageFile,
  type Manifest,
  type ModelEntry,
  type ModelStageName,
} from '../src/pipeline/model/manifest-types.js';
import { startTestApp, testPageReady, type TestApp } from './support/browser.js';
import { RangeServer, type RequestLog } from './support/range-server.js';
import type { DownloadSettings } from './pages/download-page.js';

const MODEL_ID = 'tiny-fp32';
/** 256 KiB: the text encoder (~6.4 MB) takes 25 chunks. */
const CHUNK = 256 * 1024;
const CONCURRENCY = 4;
/** Four pieces a chunk: a reload loses less than one piece per chunk in flight. */
const PIECE = CHUNK / 4;
/** Each response waits this long, so the download takes seconds and can be interrupted halfway. */
const RESPONSE_DELAY_MS = 250;
/** Then its body trickles out 32 KiB every 15 ms, so that the reload cuts chunks mid-way. */
const TRICKLE = { bytes: 32 * 1024, everyMs: 15 };
/** The downloader's probe asks for bytes=0-1 of each file it (re)starts. */
const PROBE_BYTES = 2;

let app: TestApp;
let files: RangeServer;
let page: Page;
let logs: string[];
let model: ModelEntry;
const sources = {} as Record<ModelStageName, Uint8Array>;
let settings: DownloadSettings;

/** The manifest's tiny-fp32 entry, its files served from the Range server under `tiny-fp32/`. */
async function serveTinyModel(): Promise<void> {
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'model-manifest.json'), 'utf8')) as Manifest;
  const entry = manifest.models.find((candidate) => candidate.id === MODEL_ID);
  if (!entry) throw new Error(`model-manifest.json has no ${MODEL_ID}`);
  model = { ...entry, baseUrl: files.url(`${MODEL_ID}/`) };
  for (const stage of modelStageNames(model)) {
    const path = stageFile(model, stage).path;
    sources[stage] = new Uint8Array(await readFile(join(TINY_MODELS_DIR, MODEL_ID, path)));
    files.setFile(`${MODEL_ID}/${path}`, sources[stage]);
  }
  files.setJson('manifest.json', { version: 1, defaultModel: MODEL_ID, models: [model] });
  settings = {
    manifestUrl: files.url('manifest.json'),
    modelId: MODEL_ID,
    chunkSize: CHUNK,
    pieceSize: PIECE,
    // Pieces stored as they complete: a 256 KiB chunk lands well within the default second.
    storePiecesAfterMs: 0,
    concurrency: CONCURRENCY,
  };
}

function servedPath(stage: ModelStageName): string {
  return `${MODEL_ID}/${stageFile(model, stage).path}`;
}

/** The [start, end) asked for by a request's Range header. */
function requestedRange(request: RequestLog): { start: number; end: number | undefined } {
  const match = /^bytes=(\d+)-(\d*)$/.exec(request.range ?? '');
  if (!match) throw new Error(`unexpected Range ${request.range}`);
  return { start: Number(match[1]), end: match[2] === '' ? undefined : Number(match[2]) + 1 };
}

beforeAll(async () => {
  await ensureTinyModels();
  files = await RangeServer.start({ cors: true });
  await serveTinyModel();
  app = await startTestApp();
  ({ page, logs } = await app.openTestPage('/tests/pages/download.html'));
});

afterAll(async () => {
  await app?.close();
  await files?.close();
});

describe('SHA-256 in Chromium', () => {
  it('hashes on a Worker of its own, taking the pieces over, in the order given', async () => {
    const result = await page.evaluate(
      (pieces) => window.downloadTest.sha256Stream(pieces),
      [3, 1 << 20, 0, 65_537, (1 << 20) + 13],
    );
    expect(result.ok, JSON.stringify(result) + logs.join('\n')).toBe(true);
    if (!result.ok) return;
    expect(result.value.thread).toBe('worker');
    expect(result.value.hex).toBe(result.value.reference);
    expect(result.value.transferred).toBe(true);
  });
});

describe('downloader in Chromium: resume across a page reload, then load and generate', () => {
  it('completes after a reload halfway without fetching stored chunks or pieces again, and the bytes match', async () => {
    const totalBytes = modelStageNames(model).reduce((sum, stage) => sum + sources[stage].byteLength, 0);
    const textEncoderChunks = Math.ceil(sources.textEncoder.byteLength / CHUNK);
    expect(textEncoderChunks).toBeGreaterThanOrEqual(20);
    files.responseDelayMs = RESPONSE_DELAY_MS;
    files.trickle = TRICKLE;
    files.resetCounters();

    // First visit: start, wait until about 40% is stored, reload mid-download.
    await page.evaluate((s) => window.downloadTest.start(s), settings);
    await page.waitForFunction(
      () => {
        const state = window.downloadTest.state();
        return state.fraction >= 0.4 || state.done || state.error !== undefined;
      },
      undefined,
      { polling: 20 },
    );
    const before = await page.evaluate(() => window.downloadTest.state());
    expect(before.error, logs.join('\n')).toBeUndefined();
    await page.reload();
    await testPageReady(page);

    // What survived the reload: some of the text encoder's chunks, not all of the model.
    const stored = await page.evaluate((s) => window.downloadTest.stored(s), settings);
    expect(stored.ok, JSON.stringify(stored)).toBe(true);
    if (!stored.ok) return;
    const doneBefore = stored.value.textEncoder?.doneChunks ?? [];
    expect(doneBefore.length).toBeGreaterThanOrEqual(Math.floor(textEncoderChunks * 0.3));
    expect(doneBefore.length).toBeLessThan(textEncoderChunks);
    expect(stored.value.textEncoder).toMatchObject({ chunkSize: CHUNK, pieceSize: PIECE });
    // Kept: all that had arrived when `before` was read, but for less than a piece per chunk in flight.
    const kept = Object.values(stored.value).reduce((sum, file) => sum + file.bytesStored, 0);
    expect(kept).toBeGreaterThan(before.bytesDone - CONCURRENCY * PIECE);
    const piecesBefore = new Map(
      (stored.value.textEncoder?.partialChunks ?? []).map(({ index, pieces }) => [index, pieces]),
    );
    const requestsBeforeReload = files.requests.length;
    const sentBeforeReload = modelStageNames(model).reduce(
      (sum, stage) => sum + files.bytesSent(servedPath(stage)),
      0,
    );

    // Second visit: the same download runs to its end.
    const second = await page.evaluate((s) => window.downloadTest.run(s), settings);
    expect(second.ok, JSON.stringify(second) + logs.join('\n')).toBe(true);

    // No request after the reload touched a chunk or a piece stored before it (the 2-byte probe aside):
    // each asks from its chunk's start, or from the first byte after the chunk's stored pieces.
    const after = files.requests.slice(requestsBeforeReload);
    const textEncoderAfter = after.filter((request) => request.path === servedPath('textEncoder'));
    const chunkRequestsAfter = textEncoderAfter
      .map(requestedRange)
      .filter((range) => range.end !== PROBE_BYTES);
    const chunkOf = (range: { start: number }) => Math.floor(range.start / CHUNK);
    const refetched = chunkRequestsAfter.filter((range) => doneBefore.includes(chunkOf(range)));
    expect(refetched).toEqual([]);
    const firstMissingByte = (index: number) => index * CHUNK + (piecesBefore.get(index) ?? 0) * PIECE;
    expect(chunkRequestsAfter.filter((range) => range.start !== firstMissingByte(chunkOf(range)))).toEqual(
      [],
    );
    expect(chunkRequestsAfter.length).toBe(textEncoderChunks - doneBefore.length);

    // Bytes sent in all: every file once, plus at most the chunks in flight at the reload, plus probes.
    const sent = modelStageNames(model).reduce((sum, stage) => sum + files.bytesSent(servedPath(stage)), 0);
    const probesAtMost = 2 * modelStageNames(model).length * PROBE_BYTES;
    expect(sent).toBeGreaterThanOrEqual(totalBytes);
    expect(sent).toBeLessThanOrEqual(totalBytes + CONCURRENCY * CHUNK + probesAtMost);
    expect(sentBeforeReload).toBeLessThan(totalBytes);
    // The page is cross-origin to the server: the Range requests went through CORS.
    const modelRequests = files.requests.filter((request) => request.path !== 'manifest.json');
    expect(modelRequests.every((request) => request.status === 206 || request.status === 0)).toBe(true);
    console.info(
      `reload at ${(before.fraction * 100).toFixed(0)}%: ${doneBefore.length}/${textEncoderChunks} text encoder ` +
        `chunks and ${[...piecesBefore.values()].reduce((a, b) => a + b, 0)} pieces stored, ${kept} bytes ` +
        `kept of ${before.bytesDone} shown before the reload; ${sent - totalBytes} bytes sent beyond the ` +
        `model's ${totalBytes}`,
    );

    // The stored bytes are the served bytes: hashed in the page from IndexedDB, compared here.
    files.responseDelayMs = 0;
    files.trickle = undefined;
    const hashes = await page.evaluate((s) => window.downloadTest.storedHashes(s), settings);
    expect(hashes.ok, JSON.stringify(hashes)).toBe(true);
    if (!hashes.ok) return;
    for (const stage of modelStageNames(model)) {
      expect(hashes.value[stage]).toEqual({
        sha256: sha256Hex(sources[stage]),
        bytes: sources[stage].byteLength,
        verified: true,
      });
      expect(hashes.value[stage]?.sha256).toBe(stageFile(model, stage).sha256);
    }
  });

  it('fetches from a mirror given at run time instead of the manifest baseUrl', async () => {
    const mirrored = { ...model, id: 'tiny-mirrored', baseUrl: files.url('gone/') };
    files.setJson('mirrored.json', { version: 1, defaultModel: mirrored.id, models: [mirrored] });
    files.resetCounters();
    const mirrorSettings = {
      ...settings,
      manifestUrl: files.url('mirrored.json'),
      modelId: mirrored.id,
      mirrorBaseUrl: files.url(`${MODEL_ID}/`),
    };
    const run = await page.evaluate((s) => window.downloadTest.run(s), mirrorSettings);
    expect(run.ok, JSON.stringify(run)).toBe(true);
    const paths = files.requests.map((request) => request.path).filter((path) => path !== 'mirrored.json');
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((path) => path.startsWith(`${MODEL_ID}/`))).toBe(true);
    const hashes = await page.evaluate((s) => window.downloadTest.storedHashes(s), mirrorSettings);
    expect(hashes.ok && hashes.value.unet?.sha256).toBe(model.stages.unet.file.sha256);
  });

  it('records the digest of a file the manifest has no hash for, and refuses it as corrupt once a stored byte changes', async () => {
    const unhashed: ModelEntry = { ...model, id: 'tiny-unhashed', stages: structuredClone(model.stages) };
    for (const stage of modelStageNames(unhashed)) delete stageFile(unhashed, stage).sha256;
    files.setJson('unhashed.json', { version: 1, defaultModel: unhashed.id, models: [unhashed] });
    const unhashedSettings = { ...settings, manifestUrl: files.url('unhashed.json'), modelId: unhashed.id };
    const run = await page.evaluate((s) => window.downloadTest.run(s), unhashedSettings);
    expect(run.ok, JSON.stringify(run) + logs.join('\n')).toBe(true);
    const digests = await page.evaluate(
      (s) => window.downloadTest.digests(s, 'textEncoder'),
      unhashedSettings,
    );
    expect(digests).toEqual({
      ok: true,
      value: { recordedSha256: sha256Hex(sources.textEncoder), verified: false },
    });
    const intact = await page.evaluate(
      (s) => window.downloadTest.loadStage(s, 'textEncoder'),
      unhashedSettings,
    );
    expect(intact.ok && intact.value.bytes).toBe(sources.textEncoder.byteLength);

    const flipped = await page.evaluate(
      (s) => window.downloadTest.flipStoredBit(s, 'textEncoder', 3, 1000),
      unhashedSettings,
    );
    expect(flipped.ok, JSON.stringify(flipped)).toBe(true);
    const corrupt = await page.evaluate(
      (s) => window.downloadTest.loadStage(s, 'textEncoder'),
      unhashedSettings,
    );
    const changed = sources.textEncoder.slice();
    changed[3 * CHUNK + 1000] ^= 1;
    const path = model.stages.textEncoder.file.path;
    expect(corrupt).toEqual({
      ok: false,
      name: 'IntegrityError',
      code: 'corrupt',
      message:
        `${path} of model ${unhashed.id} is corrupt in storage: its SHA-256 is ${sha256Hex(changed)}, ` +
        `not the ${sha256Hex(sources.textEncoder)} recorded when it was downloaded. Delete it and download it again.`,
    });
  });

  it('creates the pipeline from the stored files, offline from the server, and generates an image', async () => {
    files.resetCounters();
    const image = await page.evaluate(
      (s) => window.downloadTest.generate(s, 'a photo of a cat', 42),
      settings,
    );
    expect(image.ok, JSON.stringify(image) + logs.join('\n')).toBe(true);
    if (!image.ok) return;
    expect(image.value).toMatchObject({
      width: model.image.width,
      height: model.image.height,
      pixelBytes: model.image.width * model.image.height * 4,
      opaque: true,
    });
    expect(image.value.distinctRed).toBeGreaterThan(16);
    // Only the manifest was fetched: the weights came from IndexedDB.
    expect(files.requests.map((request) => request.path)).toEqual(['manifest.json']);
  });
});
