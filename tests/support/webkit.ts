/**
 * WebKitGTK (Debian's `webkit2gtk-driver`): its WebDriver server drives MiniBrowser, which has no headless
 * mode, so both run on a virtual display (`xvfb-run`). Sessions are plain W3C WebDriver, through
 * selenium-webdriver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Builder, type WebDriver } from 'selenium-webdriver';

export const WEBKIT_DRIVER_PATH = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export const XVFB_RUN_PATH = '/usr/bin/xvfb-run';
/** MiniBrowser lives in the library's folder, whose name holds the architecture (x86_64-linux-gnu, ...). */
export const MINIBROWSER_PATH = process.env.MINIBROWSER_PATH ?? findMiniBrowser();

function findMiniBrowser(): string | undefined {
  const libraryFolders = existsSync('/usr/lib') ? readdirSync('/usr/lib') : [];
  return libraryFolders
    .map((folder) => join('/usr/lib', folder, 'webkit2gtk-4.1', 'MiniBrowser'))
    .find((path) => existsSync(path));
}

/** Why WebKitGTK cannot be driven here, or undefined when it can. */
export function webkitMissing(): string | undefined {
  if (!existsSync(WEBKIT_DRIVER_PATH)) {
    return `no WebKitWebDriver at ${WEBKIT_DRIVER_PATH} (apt-get install webkit2gtk-driver, or set WEBKIT_DRIVER_PATH)`;
  }
  if (!MINIBROWSER_PATH) {
    return 'no MiniBrowser in /usr/lib/*/webkit2gtk-4.1/ (apt-get install webkit2gtk-driver, or set MINIBROWSER_PATH)';
  }
  if (!existsSync(XVFB_RUN_PATH))
    return `no ${XVFB_RUN_PATH}: MiniBrowser needs a display (apt-get install xvfb)`;
  return undefined;
}

export interface WebKitSession {
  driver: WebDriver;
  /** Ends the session, the driver, MiniBrowser and the virtual display. */
  close(): Promise<void>;
}

export async function startWebKit(): Promise<WebKitSession> {
  const port = await freePort();
  // Its own process group, so that closing ends xvfb-run, Xvfb and the driver together.
  const server = spawn(XVFB_RUN_PATH, ['-a', WEBKIT_DRIVER_PATH, `--port=${port}`], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const errors: string[] = [];
  server.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const endServer = () => stopGroup(server);
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForDriver(url, server, errors);
    const driver = await new Builder()
      .usingServer(url)
      .withCapabilities({
        // WebKitWebDriver checks the name against the browser it starts.
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER_PATH, args: ['--automation'] },
      })
      .build();
    return {
      driver,
      async close() {
        await driver.quit().catch(() => undefined);
        await endServer();
      },
    };
  } catch (error) {
    await endServer();
    throw error;
  }
}

async function waitForDriver(url: string, server: ChildProcess, errors: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`WebKitWebDriver exited with ${server.exitCode}: ${errors.join('')}`);
    }
    const ready = await fetch(`${url}/status`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await sleep(200);
  }
  throw new Error(`WebKitWebDriver did not answer on ${url} within 30 s: ${errors.join('')}`);
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await Promise.race([exited, sleep(5_000)]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
