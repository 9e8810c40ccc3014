import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that give headless Chromium a WebGPU adapter (SwiftShader) and keep it off the network. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];

export async function launchChromium(
  options: { webgpu?: boolean; extraArgs?: string[] } = {},
): Promise<Browser> {
  const webgpu = options.webgpu ?? true;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(webgpu ? WEBGPU_FLAGS : []), ...(options.extraArgs ?? [])],
  });
}

/** A Vite dev server for the repository on a free loopback port. */
export async function startDevServer(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    configFile: 'vite.config.ts',
    logLevel: 'error',
    // No HMR and no watcher (Vite's config merge drops `watch: null`; ignoring every path turns it off):
    // files edited during a run must not reload the page under test, nor cost a core to watch.
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      open: false,
      hmr: false,
      watch: { ignored: () => true },
    },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite dev server has no TCP address');
  return { server, url: `http://127.0.0.1:${address.port}` };
}

/** A page whose console errors and page errors are collected, so a failing test can show them. */
export async function openPage(
  browser: Browser,
  url: string,
): Promise<{ context: BrowserContext; page: Page; logs: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (message) => logs.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => logs.push(`[pageerror] ${error.message}`));
  await page.goto(url);
  return { context, page, logs };
}
