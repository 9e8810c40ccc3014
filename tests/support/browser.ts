import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { realpathSync } from 'node:fs';
import { createServer, searchForWorkspaceRoot, type ViteDevServer } from 'vite';

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
      // A git worktree's node_modules may be a link to another checkout's: Vite serves its real path
      // (ORT's .wasm files) only when allowed.
      fs: { allow: [searchForWorkspaceRoot(process.cwd()), realpathSync('node_modules')] },
    },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite dev server has no TCP address');
  return { server, url: `http://127.0.0.1:${address.port}` };
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  logs: string[];
}

export interface OpenPageOptions {
  /** Runs on the new context before its page opens: what it sets up sees every request from the first. */
  prepare?(context: BrowserContext): void | Promise<void>;
}

/** A page whose console errors and page errors are collected, so a failing test can show them. */
export async function openPage(
  browser: Browser,
  url: string,
  options: OpenPageOptions = {},
): Promise<OpenedPage> {
  const context = await browser.newContext();
  await options.prepare?.(context);
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (message) => logs.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => logs.push(`[pageerror] ${error.message}`));
  await page.goto(url);
  return { context, page, logs };
}

/** Waits until a page under tests/pages has installed its window API. */
export async function testPageReady(page: Page): Promise<void> {
  // 'attached': the attribute is the signal, and a test page's body may hold nothing that is visible.
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
}

/** The dev server and a WebGPU Chromium, which most browser test files share for all their tests. */
export interface TestApp {
  /** `http://127.0.0.1:port`, with no trailing slash: the paths given to `open` start with one. */
  origin: string;
  browser: Browser;
  /** `browser` overrides the shared one, for a test that needs other flags on the same server. */
  open(path: string, options?: OpenPageOptions & { browser?: Browser }): Promise<OpenedPage>;
  /** For pages under tests/pages: resolves once the page is ready to be driven. */
  openTestPage(path: string): Promise<OpenedPage>;
  close(): Promise<void>;
}

export async function startTestApp(): Promise<TestApp> {
  const { server, url: origin } = await startDevServer();
  const browser = await launchChromium({ webgpu: true }).catch(async (error: unknown) => {
    // No TestApp to close: the server would keep the test run alive.
    await server.close();
    throw error;
  });
  const open: TestApp['open'] = (path, options = {}) =>
    openPage(options.browser ?? browser, `${origin}${path}`, options);
  return {
    origin,
    browser,
    open,
    async openTestPage(path) {
      const opened = await open(path);
      await testPageReady(opened.page);
      return opened;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Opens the Settings drawer of the page's first `<sd-turbo>` (seed, steps, images, model, provider, your
 * own files) if it is closed, as a user would: a click on its summary line.
 */
export async function openSettings(page: Page, host = 'sd-turbo'): Promise<void> {
  const drawer = page.locator(`${host} details[part~="settings"]`).first();
  if (await drawer.evaluate((details) => (details as HTMLDetailsElement).open)) return;
  await drawer.locator('> summary').click();
}
