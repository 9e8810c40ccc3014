// @module-tag scale
/**
 * The npm package as a web developer gets it: `npm pack` (which builds the library first), installed from
 * the tarball into a fresh folder, imported as `sd-turbo-web` by a page that Vite builds, served by a plain
 * static server, and generating an image in Chromium. Nothing of the repository is visible to that page
 * but the tarball and the tiny model files it is given.
 *
 * The same consumer also runs a Node script that imports `sd-turbo-web/node` and writes a PNG, with
 * onnxruntime-node (the package's optional peer dependency) installed beside it from this repository's
 * node_modules, and type-checks a TypeScript file against the package's declarations.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeTextToImage } from '../src/node/index.js';
import { REPO_ROOT, TINY_MODELS_DIR, ensureTinyModels } from '../scripts/tiny-models/index.js';
import { launchChromium, openPage } from './support/browser.js';
import { expectTinyFp32Png } from './support/png-decode.js';

const run = promisify(execFile);

let workDir: string;
let tarball: string;
let consumer: string;
let browser: Browser;
let server: Server | undefined;
let origin: string;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** Files from `root` only, with the headers a cross-origin-isolated page needs, as any static host. */
async function serveStatic(root: string): Promise<void> {
  const staticServer = createServer(async (request, response) => {
    const requested = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    const path = requested.endsWith('/') ? `${requested}index.html` : requested;
    response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    try {
      const body = await readFile(join(root, path));
      response.setHeader('Content-Type', CONTENT_TYPES[extname(path)] ?? 'application/octet-stream');
      response.end(body);
    } catch {
      response.statusCode = 404;
      response.end();
    }
  });
  server = staticServer;
  await new Promise<void>((resolve) => staticServer.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}`;
}

const CONSUMER_PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>consumer</title></head>
  <body>
    <sd-turbo manifest="/models/manifest.json" model="tiny-fp32" prompt="a red kite" seed="11" autoload></sd-turbo>
    <script type="module" src="./main.js"></script>
  </body>
</html>
`;

/** A Node program of the consumer's: one image from the packed `sd-turbo-web/node`, written as a file. */
const CONSUMER_NODE_SCRIPT = `import { writeFile } from 'node:fs/promises';
import { generateImage } from 'sd-turbo-web/node';

const image = await generateImage({
  prompt: 'a red kite',
  seed: 11,
  model: 'tiny-fp32',
  manifest: 'public/models/manifest.json',
});
await writeFile(image.fileName, image.png);
console.log(JSON.stringify({ fileName: image.fileName, provider: image.provider, modelId: image.modelId }));
`;

/** The same from TypeScript, checked against the package's declarations (strict, no DOM, skipLibCheck off). */
const CONSUMER_TYPESCRIPT = `import { writeFile } from 'node:fs/promises';
import { generateImage, NodeTextToImage, PipelineError, type DownloadProgress, type NodeImage } from 'sd-turbo-web/node';

const onProgress = (progress: DownloadProgress): void => console.log(progress.bytesDone / progress.bytesTotal);
const image: NodeImage = await generateImage({ prompt: 'a red kite', seed: 11, model: 'tiny-fp32', onProgress });
const seconds: number = image.timings.totalMs / 1000;
await writeFile(image.fileName, image.png);
const generator = await NodeTextToImage.load({ model: 'tiny-fp32', provider: 'cpu' });
const next: Uint8ClampedArray = (await generator.generate({ prompt: 'again', steps: 2 })).pixels;
await generator.dispose();
console.log(seconds, next.length, new PipelineError('invalid-input', 'x').code);
`;

/**
 * A page's TypeScript, checked against the package's declarations with only the DOM's types (strict,
 * skipLibCheck off): no lit, onnxruntime-web or WebGPU types are installed, and none may be needed. The
 * `@ts-expect-error` lines fail if the element or its event details degrade to `any`.
 */
const CONSUMER_BROWSER_TYPESCRIPT = `import {
  SdTurboElement,
  randomSeed,
  readPngText,
  type GenerateOptions,
  type SdErrorCode,
  type SdImageDetail,
  type SdProgressDetail,
  type SdTurboEventMap,
} from 'sd-turbo-web';

const found = document.querySelector('sd-turbo');
if (!found) throw new Error('no <sd-turbo>');
const element: SdTurboElement = found;
const host: HTMLElement = element;
console.log(element instanceof SdTurboElement, host.isConnected, customElements.get('sd-turbo') === SdTurboElement);
element.prompt = 'a red kite';
element.seed = randomSeed();
element.provider = 'webgpu';
// @ts-expect-error: the element's properties are typed, not any.
element.promt = 'a typo';
// @ts-expect-error: provider is one of its preferences.
element.provider = 'cuda';

element.addEventListener('sd-image', (event) => {
  const detail: SdImageDetail = event.detail;
  const seconds: number = detail.timings.totalMs / 1000;
  const width: number = detail.bitmap.width;
  // @ts-expect-error: the detail is typed, not any.
  const wrong: string = detail.seed;
  void detail.toBlob().then(async (blob) => console.log(readPngText(new Uint8Array(await blob.arrayBuffer())).prompt));
  console.log(seconds, width, wrong, detail.provider, detail.fileName);
});
element.addEventListener('sd-progress', (event) => {
  const detail: SdProgressDetail = event.detail;
  if (detail.phase === 'generating') console.log(detail.stage, detail.step, detail.steps);
  else console.log(detail.bytesDone / detail.bytesTotal, detail.files.length);
});
const onReady = ({ detail }: SdTurboEventMap['sd-ready']): void => console.log(detail.provider.fellBack, detail.modelId);
element.addEventListener('sd-ready', onReady);
element.addEventListener('sd-error', (event) => {
  const code: SdErrorCode = event.detail.code;
  console.log(code, event.detail.advice);
});
const options: GenerateOptions = { prompt: 'a red kite', steps: 2 };
const image: SdImageDetail = await element.generate(options);
console.log(image.seed, (await element.load()).provider.provider, element.busy);
element.cancel();
`;

const CONSUMER_SCRIPT = `import 'sd-turbo-web';
window.firstImage = new Promise((resolve) => {
  document.addEventListener('sd-image', (event) => {
    const { seed, prompt, width, height, modelId } = event.detail;
    resolve({ seed, prompt, width, height, modelId, defined: customElements.get('sd-turbo') !== undefined });
  });
});
document.addEventListener('sd-ready', () => document.querySelector('sd-turbo').generate());
`;

/** The tiny model with a manifest of its own, as a consumer would self-host it. */
async function addTinyModel(publicDir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'model-manifest.json'), 'utf8')) as {
    models: { id: string; baseUrl: string }[];
  };
  const entry = manifest.models.find((model) => model.id === 'tiny-fp32');
  if (!entry) throw new Error('model-manifest.json has no tiny-fp32');
  await mkdir(join(publicDir, 'models'), { recursive: true });
  await cp(join(TINY_MODELS_DIR, 'tiny-fp32'), join(publicDir, 'models', 'tiny-fp32'), { recursive: true });
  const own = { version: 1, defaultModel: 'tiny-fp32', models: [{ ...entry, baseUrl: 'tiny-fp32/' }] };
  await writeFile(join(publicDir, 'models', 'manifest.json'), JSON.stringify(own));
}

beforeAll(async () => {
  await ensureTinyModels();
  workDir = await mkdtemp(join(tmpdir(), 'sd-turbo-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', workDir], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  // prepack's build log comes first on stdout and may itself hold '[', so the report starts at a line of its own.
  const reportStart = stdout.search(/^\[\s*$/m);
  if (reportStart < 0) throw new Error(`npm pack --json printed no report:\n${stdout}`);
  const [packed] = JSON.parse(stdout.slice(reportStart)) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(workDir, packed.filename);

  consumer = join(workDir, 'consumer');
  await mkdir(consumer);
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // onnxruntime-node from this repository's node_modules: npm links the folder, and its own dependencies
  // resolve beside it. --ignore-scripts: npm would run a linked folder's `prepare` (onnxruntime-node's
  // builds its sources, which its package does not ship) and its install script (a CUDA download).
  const onnxruntimeNode = join(REPO_ROOT, 'node_modules', 'onnxruntime-node');
  await run(
    'npm',
    ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball, onnxruntimeNode],
    { cwd: consumer, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } },
  );
  await writeFile(join(consumer, 'index.html'), CONSUMER_PAGE);
  await writeFile(join(consumer, 'main.js'), CONSUMER_SCRIPT);
  await addTinyModel(join(consumer, 'public'));
  await build({ root: consumer, configFile: false, logLevel: 'error', build: { target: 'es2022' } });
  await serveStatic(join(consumer, 'dist'));
  browser = await launchChromium({ webgpu: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  const openServer = server;
  if (openServer) await new Promise((resolve) => openServer.close(resolve));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the packed npm package', () => {
  it('holds the built library and every file its exports name', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean);
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { types: string; default: string }>;
    };
    const exported = Object.values(manifest.exports).flatMap((target) =>
      typeof target === 'string' ? [target] : [target.types, target.default],
    );
    for (const path of exported) expect(files).toContain(`package/${path.replace(/^\.\//, '')}`);
    // The Node entry: its bundle, the CLIP vocabulary it reads beside it, and no onnxruntime (a peer).
    expect(files).toContain('package/dist/node/index.js');
    expect(files).toContain('package/dist/node/clip/bpe_simple_vocab_16e6.txt.gz');
    expect(files.filter((file) => /^package\/dist\/node\/.*(\.wasm|\.node)$/.test(file))).toEqual([]);
    expect(files.some((file) => /^package\/dist\/lib\/pipeline-worker-.*\.js$/.test(file))).toBe(true);
    expect(files.some((file) => file.endsWith('.wasm'))).toBe(true);
    // Nothing of the repository beyond the library: no sources, tests or test models.
    expect(files.filter((file) => /^package\/(src|tests|public|scripts)\//.test(file))).toEqual([]);
  });

  // The page loads tiny-fp32 on SwiftShader's WebGPU: 30-40 s on a quiet 2-core machine, more beside other jobs.
  it('works when a Vite-built page imports it from the tarball', { timeout: 240_000 }, async () => {
    const { context, page, logs } = await openPage(browser, `${origin}/`);
    try {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const image = await Promise.race([
        page.evaluate(
          () => (window as unknown as { firstImage: Promise<Record<string, unknown>> }).firstImage,
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no sd-image within 180 s:\n${logs.join('\n')}`)),
            180_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      expect(image, logs.join('\n')).toEqual({
        seed: 11,
        prompt: 'a red kite',
        width: 64,
        height: 64,
        modelId: 'tiny-fp32',
        defined: true,
      });
      // The library ships Lit's production build.
      expect(logs.filter((line) => line.includes('dev mode'))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('generates a PNG in Node from `sd-turbo-web/node`, the same pixels as the source entry', async () => {
    await writeFile(join(consumer, 'generate.mjs'), CONSUMER_NODE_SCRIPT);
    const { stdout } = await run(process.execPath, ['generate.mjs'], { cwd: consumer, timeout: 60_000 });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, string>;
    expect(report).toEqual({
      fileName: 'sd-turbo_11_a-red-kite_64x64.png',
      provider: 'cpu',
      modelId: 'tiny-fp32',
    });
    // The bundle runs the consumer's onnxruntime-node, not a copy of its own.
    const bundle = await readFile(join(consumer, 'node_modules/sd-turbo-web/dist/node/index.js'), 'utf8');
    expect(bundle).toMatch(/^import \* as \w+ from "onnxruntime-node";$/m);

    const png = new Uint8Array(await readFile(join(consumer, report.fileName)));
    const pixels = expectTinyFp32Png(png, { prompt: 'a red kite', seed: 11 });

    // Bit for bit what the repository's own src/node makes from the same files on the same runtime.
    const generator = await NodeTextToImage.load({
      model: 'tiny-fp32',
      manifest: join(consumer, 'public/models/manifest.json'),
    });
    const reference = await generator
      .generate({ prompt: 'a red kite', seed: 11 })
      .finally(() => generator.dispose());
    expect(new Uint8Array(pixels)).toEqual(new Uint8Array(reference.pixels));
  });

  it("type-checks a TypeScript consumer against the package's declarations", async () => {
    await writeFile(join(consumer, 'check.ts'), CONSUMER_TYPESCRIPT);
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // Only @types/node comes from the repository (a Node project has it); no DOM, WebGPU or ORT types.
    const args = [
      ...['--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'es2022', '--lib', 'es2022'],
      ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node'],
      ...['--typeRoots', join(REPO_ROOT, 'node_modules', '@types'), 'check.ts'],
    ];
    const checked = await run(process.execPath, [tsc, ...args], { cwd: consumer }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(checked).toBe('');
  });

  it("type-checks a page's TypeScript against the package's declarations, with nothing else installed", async () => {
    const pageDir = join(consumer, 'page-check');
    await mkdir(pageDir, { recursive: true });
    await writeFile(join(pageDir, 'page.ts'), CONSUMER_BROWSER_TYPESCRIPT);
    // The DOM's own types only: no @types at all, and the consumer has neither lit nor onnxruntime-web.
    const compilerOptions = {
      noEmit: true,
      strict: true,
      skipLibCheck: false,
      target: 'es2022',
      lib: ['es2022', 'dom', 'dom.iterable'],
      types: [],
      module: 'nodenext',
      moduleResolution: 'nodenext',
    };
    await writeFile(join(pageDir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['page.ts'] }));
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['-p', 'tsconfig.json'];
    const checked = await run(process.execPath, [tsc, ...args], { cwd: pageDir }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(checked).toBe('');
  });
});
