import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../scripts/models-pull.js';
import { FsChunkStore, storedBytes } from '../src/pipeline/storage/node.js';
import { onnxTestBytes, RangeServer } from './support/range-server.js';
import { downloadTestModel } from './support/download-test-model.js';

const CHUNK = 256 * 1024;
const MODEL_ID = 'tiny-test';
const FILES = {
  textEncoder: { path: 'text_encoder/model.onnx', size: 2 * CHUNK + 11 },
  unet: { path: 'unet/model.onnx', size: 5 * CHUNK + 7 },
  vaeDecoder: { path: 'vae_decoder/model.onnx', size: CHUNK - 5 },
};
const TOTAL = Object.values(FILES).reduce((sum, file) => sum + file.size, 0);

let server: RangeServer;
let work: string;
let manifestPath: string;
const sources = new Map<string, Uint8Array>();

function sha256Of(path: string): string {
  return createHash('sha256')
    .update(sources.get(path) as Uint8Array)
    .digest('hex');
}

/** The test model's manifest; `hashes: false` leaves out every sha256, as the real sd-turbo entry does. */
function manifest(overrides: { unetSha256?: string; hashes?: false } = {}) {
  const file = (key: keyof typeof FILES) => {
    const { path, size } = FILES[key];
    if (overrides.hashes === false) return { path, bytes: size };
    const sha = key === 'unet' && overrides.unetSha256 ? overrides.unetSha256 : sha256Of(path);
    return { path, bytes: size, sha256: sha };
  };
  return {
    version: 1,
    defaultModel: MODEL_ID,
    models: [
      downloadTestModel(MODEL_ID, server.url('hub/'), {
        textEncoder: file('textEncoder'),
        unet: file('unet'),
        vaeDecoder: file('vaeDecoder'),
      }),
    ],
  };
}

function writeManifest(content: object): string {
  const path = join(work, `manifest-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

function newDir(): string {
  return mkdtempSync(join(work, 'mirror-'));
}

function sentTotal(): number {
  return Object.values(FILES).reduce((sum, { path }) => sum + server.bytesSent(`hub/${path}`), 0);
}

function expectMirrorComplete(dir: string): void {
  for (const { path } of Object.values(FILES)) {
    expect(readFileSync(join(dir, path)).equals(Buffer.from(sources.get(path) as Uint8Array))).toBe(true);
    expect(existsSync(join(dir, `${path}.partial`))).toBe(false);
  }
}

/** The JSON that follows the digests line of a pull's output. */
function printedDigests(stdout: string): unknown {
  const header = `models:pull: each stage's "file", with its exact size and SHA-256, for a manifest:\n`;
  expect(stdout).toContain(header);
  return JSON.parse(stdout.slice(stdout.indexOf(header) + header.length));
}

/** What models:pull prints for the test model: each stage's manifest `file` entry. */
function expectedDigests() {
  const entry = (key: keyof typeof FILES) => ({
    file: { path: FILES[key].path, bytes: FILES[key].size, sha256: sha256Of(FILES[key].path) },
  });
  return { textEncoder: entry('textEncoder'), unet: entry('unet'), vaeDecoder: entry('vaeDecoder') };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as `npm run models:pull` would, in its own process; `onStdout` may signal it. */
function runCli(args: string[], onStart?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/models-pull.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (data: Buffer) => (run.stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (run.stderr += data.toString()));
  onStart?.(child);
  return new Promise((resolve) => child.on('close', (code) => resolve({ ...run, code })));
}

/** Runs the CLI in this process (faster), collecting its lines. */
async function runMain(args: string[]): Promise<Run> {
  const run: Run = { code: null, stdout: '', stderr: '' };
  run.code = await main(args, {
    out: (line) => (run.stdout += `${line}\n`),
    err: (line) => (run.stderr += `${line}\n`),
  });
  return run;
}

beforeAll(async () => {
  server = await RangeServer.start();
  work = mkdtempSync(join(tmpdir(), 'models-pull-'));
  Object.values(FILES).forEach(({ path, size }, index) =>
    sources.set(path, onnxTestBytes(size, 500 + index)),
  );
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  for (const [path, bytes] of sources) server.setFile(`hub/${path}`, bytes);
  server.clearFaults();
  server.resetCounters();
  manifestPath = writeManifest(manifest());
});

describe('npm run models:pull', () => {
  it('pulls a model into a mirror folder of plain files, and a re-run fetches nothing', async () => {
    const dir = newDir();
    const first = await runCli([MODEL_ID, dir, '--manifest', manifestPath, '--chunk-size', '256k']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`${FILES.unet.path}: SHA-256 verified`);
    expect(first.stdout).toContain(`models:pull: ${MODEL_ID} is complete in ${dir}`);
    expectMirrorComplete(dir);
    expect(sentTotal()).toBe(TOTAL + 3 * 2); // each file's two-byte probe
    expect(printedDigests(first.stdout)).toEqual(expectedDigests());

    server.resetCounters();
    const again = await runMain([MODEL_ID, dir, '--manifest', manifestPath]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${FILES.unet.path}: already complete`);
    expect(server.requests).toEqual([]);
  });

  it('prints digests it computed for a manifest without hashes, which then verify a second pull', async () => {
    const unhashed = writeManifest(manifest({ hashes: false }));
    const first = await runMain([MODEL_ID, newDir(), '--manifest', unhashed, '--chunk-size', '256k']);
    expect(first.code).toBe(0);
    expect(first.stdout).not.toContain('SHA-256 verified');
    const digests = printedDigests(first.stdout) as ReturnType<typeof expectedDigests>;
    expect(digests).toEqual(expectedDigests());

    // Pasted into a manifest, they are checked: a server sending other bytes is caught.
    const pasted = manifest({ hashes: false });
    for (const stage of ['textEncoder', 'unet', 'vaeDecoder'] as const) {
      pasted.models[0].stages[stage].file = digests[stage].file;
    }
    const changed = (sources.get(FILES.unet.path) as Uint8Array).slice();
    changed[CHUNK + 3] ^= 1;
    server.setFile(`hub/${FILES.unet.path}`, changed);
    const second = await runMain([MODEL_ID, newDir(), '--manifest', writeManifest(pasted)]);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(
        `^models:pull: ${FILES.unet.path} failed verification: expected SHA-256 ${digests.unet.file.sha256}`,
      ),
    );
  });

  it.each(['SIGINT', 'SIGKILL'] as const)(
    'resumes a pull stopped by %s from its .partial file, never writing unchecked bytes at the final path',
    async (signal) => {
      const dir = newDir();
      const unetUrl = `hub/${FILES.unet.path}`;
      server.addFault(
        unetUrl,
        { kind: 'stall', afterBytes: 100 },
        { when: (range) => range.start === 3 * CHUNK },
      );
      const interrupted = await runCli(
        [MODEL_ID, dir, '--manifest', manifestPath, '--chunk-size', '256k', '--concurrency', '2'],
        (child) => {
          const timer = setInterval(() => {
            if (server.requests.some((request) => request.fault === 'stall')) {
              clearInterval(timer);
              child.kill(signal);
            }
          }, 10);
        },
      );
      if (signal === 'SIGINT') {
        expect(interrupted.code).toBe(130);
        expect(interrupted.stderr).toBe('models:pull: interrupted; run the same command again to resume\n');
      } else {
        expect(interrupted.code).toBeNull();
      }
      // The finished text encoder is in place; the UNet exists only as its partial file.
      expect(existsSync(join(dir, FILES.textEncoder.path))).toBe(true);
      expect(existsSync(join(dir, FILES.unet.path))).toBe(false);
      expect(existsSync(join(dir, `${FILES.unet.path}.partial`))).toBe(true);
      const stored = (await new FsChunkStore(dir).listRecords()).reduce(
        (sum, record) => sum + storedBytes(record),
        0,
      );
      expect(stored).toBeGreaterThanOrEqual(FILES.textEncoder.size + 2 * CHUNK);

      server.clearFaults();
      server.resetCounters();
      const resumed = await runMain([MODEL_ID, dir, '--manifest', manifestPath]);
      expect(resumed.code).toBe(0);
      expectMirrorComplete(dir);
      // Only missing bytes, plus a two-byte probe for each file not yet complete.
      expect(sentTotal()).toBeLessThanOrEqual(TOTAL - stored + 2 * 2);
    },
  );

  it('fails with the URL when a file is missing (404)', async () => {
    server.removeFile(`hub/${FILES.vaeDecoder.path}`);
    const run = await runMain([MODEL_ID, newDir(), '--manifest', manifestPath, '--chunk-size', '256k']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `models:pull: HTTP 404 Not Found for ${server.url(`hub/${FILES.vaeDecoder.path}`)}: the file is not ` +
        "on that server; check the mirror URL, or the manifest's baseUrl and file path\n",
    );
  });

  it('fails naming both hashes when a file does not match the manifest, and keeps no bad file', async () => {
    const wrong = '0'.repeat(64);
    const dir = newDir();
    const run = await runMain([MODEL_ID, dir, '--manifest', writeManifest(manifest({ unetSha256: wrong }))]);
    expect(run.code).toBe(1);
    const actual = createHash('sha256')
      .update(sources.get(FILES.unet.path) as Uint8Array)
      .digest('hex');
    expect(run.stderr).toContain(`models:pull: warning: ${FILES.unet.path} failed verification`);
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      `models:pull: ${FILES.unet.path} failed verification: expected SHA-256 ${wrong}, got ${actual}`,
    );
    expect(existsSync(join(dir, FILES.unet.path))).toBe(false);
  });

  it('lists the models with no arguments, and for an unknown id; explains bad arguments', async () => {
    const unknown = await runMain(['nope', newDir(), '--manifest', manifestPath]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`models:pull: Unknown model "nope"; the manifest has: ${MODEL_ID}.\n`);

    const listed = await runMain(['--manifest', manifestPath]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^models:pull: the models in ${manifestPath}:\n  ${MODEL_ID}  Test model ${MODEL_ID}, 2\\.1 MB\n`,
      ),
    );

    const usage = await runMain([MODEL_ID]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(
      /^models:pull: expected a model id and a folder\nusage: npm run models:pull/,
    );
  });
});
