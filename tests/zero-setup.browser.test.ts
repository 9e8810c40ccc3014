/**
 * Zero set-up: a consumer project that installs the packed tarball and has only `import 'sd-turbo-web'` and
 * `<sd-turbo></sd-turbo>` shows SD-Turbo's first-run panel, with no console error. The package's catalogue
 * travels beside its module; the page has no manifest of its own and sends no cross-origin isolation headers.
 *
 * Fast-tier version of tests/package.browser.scale.test.ts: only the browser library is built (no Node entry,
 * no declarations), packed with `npm pack --ignore-scripts` from a copy of package.json, installed offline
 * (the package has no dependencies) and bundled by Vite as a consumer would.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../scripts/tiny-models/index.js';
import { launchChromium, openPage } from './support/browser.js';

const run = promisify(execFile);

const CONSUMER_PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>zero set-up</title><link rel="icon" href="data:," /></head>
  <body>
    <script type="module">import 'sd-turbo-web';</script>
    <sd-turbo></sd-turbo>
  </body>
</html>
`;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

let workDir: string;
let consumer: string;
let server: Server | undefined;
let origin: string;
let browser: Browser;

/** The package as `npm pack` makes it, from the browser library alone: the tarball's path. */
async function packLibrary(): Promise<string> {
  const packageDir = join(workDir, 'package');
  await build({
    configFile: join(REPO_ROOT, 'vite.config.ts'),
    mode: 'lib',
    logLevel: 'error',
    build: { outDir: join(packageDir, 'dist/lib') },
  });
  for (const file of ['package.json', 'README.md', 'LICENSE']) {
    await copyFile(join(REPO_ROOT, file), join(packageDir, file));
  }
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', workDir], {
    cwd: packageDir,
  });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  return join(workDir, packed.filename);
}

/** Files from `root` only, as a plain static host: no COOP/COEP headers. */
async function serveStatic(root: string): Promise<void> {
  const staticServer = createServer((request, response) => {
    const requested = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    const path = requested.endsWith('/') ? `${requested}index.html` : requested;
    readFile(join(root, path)).then(
      (body) => {
        response.setHeader('Content-Type', CONTENT_TYPES[extname(path)] ?? 'application/octet-stream');
        response.end(body);
      },
      () => {
        response.statusCode = 404;
        response.end();
      },
    );
  });
  server = staticServer;
  await new Promise<void>((resolve) => staticServer.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'sd-turbo-zero-setup-'));
  const tarball = await packLibrary();
  consumer = join(workDir, 'consumer');
  await mkdir(consumer);
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  await run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], {
    cwd: consumer,
  });
  await writeFile(join(consumer, 'index.html'), CONSUMER_PAGE);
  await build({ root: consumer, configFile: false, logLevel: 'error', build: { target: 'es2022' } });
  await serveStatic(join(consumer, 'dist'));
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  const openServer = server;
  if (openServer) await new Promise((resolve) => openServer.close(resolve));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("zero set-up: only import 'sd-turbo-web' and <sd-turbo></sd-turbo>", () => {
  it('installs the tarball with the SD-Turbo catalogue beside the module, test models left out', async () => {
    const installed = join(consumer, 'node_modules/sd-turbo-web/dist/lib');
    const module = await readFile(join(installed, 'sd-turbo.js'), 'utf8');
    const name = /new URL\(["'`](\.\/model-manifest-[\w-]+\.json)["'`],\s*import\.meta\.url\)/.exec(
      module,
    )?.[1];
    expect(name, 'the module names its catalogue beside itself').toBeDefined();
    const catalogue = JSON.parse(await readFile(join(installed, name!), 'utf8')) as {
      defaultModel: string;
      models: { id: string }[];
    };
    expect(catalogue.defaultModel).toBe('sd-turbo');
    expect(catalogue.models.map((model) => model.id)).toEqual(['sd-turbo', 'sd-turbo-webnn']);
  });

  it("shows SD-Turbo's first-run panel, with no console error", async () => {
    const { context, page, logs } = await openPage(browser, `${origin}/`);
    try {
      const panel = page.locator('sd-turbo [part~="first-run"]');
      // On a GPU without shader-f16 (SwiftShader) the same panel says why this device cannot run it.
      await panel.waitFor({ timeout: 30_000 });
      expect((await panel.textContent())?.replace(/\s+/g, ' ')).toContain('SD-Turbo');
      const state = (await page.evaluate(() => {
        const element = document.querySelector('sd-turbo') as unknown as Record<string, unknown>;
        return { modelId: element.modelId, manifestUrl: element.manifestUrl };
      })) as { modelId: string; manifestUrl: string };
      expect(state.modelId).toBe('sd-turbo');
      // The consumer's bundle, not the page's folder: no model-manifest.json beside index.html exists.
      expect(state.manifestUrl).toMatch(new RegExp(`^${origin}/assets/model-manifest-[\\w-]+\\.json$`));
      expect(await page.locator('sd-turbo [part~="error"]').count()).toBe(0);
      expect(logs.filter((line) => line.startsWith('[error]') || line.startsWith('[pageerror]'))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
