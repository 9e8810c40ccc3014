/**
 * The benchmark's Vite dev server: the repository's vite.config.ts (cross-origin isolation headers, ORT
 * kept out of pre-bundling) on a free loopback port, with no HMR and no file watching.
 */
import { createServer, type ViteDevServer } from 'vite';

export async function startBenchServer(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    configFile: 'vite.config.ts',
    logLevel: 'error',
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      open: false,
      hmr: false,
      // Vite's config merge drops `watch: null`, so watching is turned off by ignoring every path. A
      // watcher would crawl the tree at start and then react to every file other people (and Chromium's
      // profile, if it lived in the tree) write during the run: measured at about 0.6 of a core here.
      watch: { ignored: () => true },
    },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite dev server has no TCP address');
  return { server, url: `http://127.0.0.1:${address.port}` };
}
