/**
 * `npm run generate` and src/node on onnxruntime-node: the browser's pipeline, downloader (filesystem
 * store) and PNG metadata, run as the real CLI in a child process against a loopback HTTP server.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngText } from '../src/image-file/png-metadata.js';
import { encodePng } from '../src/node/png.js';
import { ensureTinyModels, TINY_MODELS_DIR } from '../scripts/tiny-models/index.js';
import { decodeRgbaPng, expectTinyFp32Png } from './support/png-decode.js';
import { RangeServer } from './support/range-server.js';

const TSX = join('node_modules', '.bin', 'tsx');
const SWIFTSHADER_VULKAN = '/usr/lib/chromium/vk_swiftshader_icd.json';

let server: RangeServer;
let work: string;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function generate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['scripts/generate.ts', ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  await ensureTinyModels();
  server = await RangeServer.start();
  const manifest = JSON.parse(await readFile('model-manifest.json', 'utf8')) as unknown;
  server.setJson('model-manifest.json', manifest);
  for (const modelId of ['tiny-fp32', 'tiny-fp16']) {
    for (const stage of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
      const path = `models/${modelId}/${stage}/model.onnx`;
      server.setFile(
        path,
        new Uint8Array(await readFile(join(TINY_MODELS_DIR, modelId, stage, 'model.onnx'))),
      );
    }
  }
  work = await mkdtemp(join(tmpdir(), 'sd-turbo-generate-'));
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('Node PNG writer', () => {
  it('writes RGBA pixels that decode back exactly, with the metadata chunks', () => {
    const width = 5;
    const height = 3;
    const pixels = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 37) % 256);
    const png = encodePng(pixels, width, height, { prompt: 'a café', seed: '7' });
    const decoded = decodeRgbaPng(png);
    expect(decoded).toEqual({ width, height, pixels });
    expect(readPngText(png)).toEqual({ prompt: 'a café', seed: '7' });
    expect(() => encodePng(pixels, width + 1, height)).toThrow(/Expected 72 RGBA bytes/);
  });
});

describe('npm run generate', () => {
  it('downloads tiny-fp32 into the cache folder and writes a tagged PNG on the CPU EP', async () => {
    const cacheDir = join(work, 'cache');
    const out = join(work, 'cat.png');
    const args = ['a photo of a cat', '--seed', '42', '--model', 'tiny-fp32', '--manifest'];
    const run = await generate([
      ...args,
      server.url('model-manifest.json'),
      '--out',
      out,
      '--cache-dir',
      cacheDir,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ out, model: 'tiny-fp32', provider: 'cpu', seed: 42, steps: 1 });

    const png = new Uint8Array(await readFile(out));
    const pixels = expectTinyFp32Png(png, { prompt: 'a photo of a cat', seed: 42 });

    // The downloader's filesystem store: the files, complete and under their real names.
    const stored = await readdir(join(cacheDir, 'tiny-fp32'), { recursive: true });
    expect(stored).toEqual(expect.arrayContaining(['unet/model.onnx', 'vae_decoder/model.onnx']));
    expect(stored.some((path) => path.endsWith('.partial'))).toBe(false);

    // Same seed again: the same PNG, read from the cache without fetching a model file again.
    const fetched = server.requests.filter((request) => request.path.endsWith('.onnx')).length;
    const again = join(work, 'again.png');
    const second = await generate([
      ...args,
      server.url('model-manifest.json'),
      '--out',
      again,
      '--cache-dir',
      cacheDir,
    ]);
    expect(second.code, second.stderr).toBe(0);
    expect(new Uint8Array(await readFile(again))).toEqual(png);
    expect(server.requests.filter((request) => request.path.endsWith('.onnx')).length).toBe(fetched);

    // Another seed: another image.
    const other = join(work, 'other.png');
    const third = await generate([
      'a photo of a cat',
      '--seed',
      '43',
      '--model',
      'tiny-fp32',
      '--out',
      other,
    ]);
    expect(third.code, third.stderr).toBe(0);
    const otherPixels = decodeRgbaPng(new Uint8Array(await readFile(other))).pixels;
    const differing = otherPixels.filter((value, i) => value !== pixels[i]).length;
    expect(differing / pixels.length).toBeGreaterThan(0.3);
  });

  it('names the file as the element does and runs the FP16 stand-in', async () => {
    const run = await generate(['A Lighthouse, at dawn!', '--seed', '7', '--model', 'tiny-fp16'], {});
    expect(run.code, run.stderr).toBe(0);
    const { out } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { out: string };
    try {
      expect(out.endsWith('sd-turbo_7_a-lighthouse-at-dawn_64x64.png')).toBe(true);
      expect(readPngText(new Uint8Array(await readFile(out)))).toMatchObject({
        model: 'tiny-fp16',
        seed: '7',
      });
    } finally {
      await rm(out, { force: true });
    }
  });

  it('makes an image of the size asked for, and refuses one the model does not declare', async () => {
    const run = await generate(
      ['a tall tower', '--seed', '3', '--model', 'tiny-fp32', '--width', '64', '--height', '128'],
      {},
    );
    expect(run.code, run.stderr).toBe(0);
    const { out } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { out: string };
    try {
      expect(out.endsWith('sd-turbo_3_a-tall-tower_64x128.png')).toBe(true);
      const png = new Uint8Array(await readFile(out));
      expect(readPngText(png)).toMatchObject({ size: '64x128', seed: '3' });
      const { width, height } = decodeRgbaPng(png);
      expect([width, height]).toEqual([64, 128]);
    } finally {
      await rm(out, { force: true });
    }
    const refused = await generate(['a cat', '--model', 'tiny-fp32', '--width', '100'], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'generate [invalid-input]: 100x64 is not an image size of tiny-fp32: its width must be a multiple of 64 from 64 to 256.',
    );
  });

  it('refuses bad arguments with the usage line', async () => {
    const run = await generate(['a cat', '--provider', 'webgl']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--provider: cpu or webgpu, got webgl/);
    expect(run.stderr).toMatch(/usage: npm run generate/);
  });

  it('on WebGPU without a Vulkan loader, says what is missing', async () => {
    const run = await generate(
      ['a cat', '--model', 'tiny-fp32', '--provider', 'webgpu', '--out', join(work, 'x.png')],
      {
        LD_LIBRARY_PATH: '',
        VK_ICD_FILENAMES: '',
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\[session-failed\].*Failed to get a WebGPU adapter: No supported adapters/s);
    expect(run.stderr).toMatch(/LD_LIBRARY_PATH=\/usr\/lib\/chromium/);
  });

  it.runIf(existsSync(SWIFTSHADER_VULKAN))(
    "runs onnxruntime-node's WebGPU EP on SwiftShader, matching the CPU EP",
    { tags: ['scale'] },
    async () => {
      const cpuOut = join(work, 'cpu.png');
      const gpuOut = join(work, 'gpu.png');
      const args = ['a photo of a cat', '--seed', '42', '--model', 'tiny-fp32'];
      expect((await generate([...args, '--out', cpuOut])).code).toBe(0);
      const run = await generate([...args, '--provider', 'webgpu', '--out', gpuOut], {
        LD_LIBRARY_PATH: '/usr/lib/chromium',
        VK_ICD_FILENAMES: SWIFTSHADER_VULKAN,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toMatchObject({ provider: 'webgpu' });
      const cpu = decodeRgbaPng(new Uint8Array(await readFile(cpuOut))).pixels;
      const gpu = decodeRgbaPng(new Uint8Array(await readFile(gpuOut))).pixels;
      let max = 0;
      let differing = 0;
      for (let i = 0; i < cpu.length; i++) {
        const d = Math.abs(cpu[i] - gpu[i]);
        max = Math.max(max, d);
        if (d > 0) differing++;
      }
      // The WebGPU-vs-wasm tolerance of tests/pipeline.browser.test.ts.
      expect(max).toBeLessThanOrEqual(2);
      expect(differing / cpu.length).toBeLessThan(0.02);
    },
  );
});
