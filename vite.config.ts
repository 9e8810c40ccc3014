import { readFileSync } from 'node:fs';
import { defineConfig, type BuildEnvironmentOptions, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// Cross-origin isolation lets onnxruntime-web use wasm threads (SharedArrayBuffer).
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

/**
 * `vite build --mode lib`: the `<sd-turbo>` element as one ES module, dist/lib/sd-turbo.js, with what it
 * loads at run time (the pipeline worker, ORT's .mjs/.wasm, the CLIP merges) as files beside it. Vite's
 * `build.lib` would inline all of those as base64 (70+ MB per file), so this is an ordinary build with a
 * module entry whose exports are kept. Lit is bundled in: a plain HTML page needs only a script tag.
 *

 * A bundler that imports the library (Vite, Rollup, webpack) copies a file the library loads at run time
 * only when it is written `new URL('./name', import.meta.url)`, and bundles a Worker only when that sits
 * right inside `new Worker(...)`. Vite writes `new URL(new URL('./name', import.meta.url).href, '' +
 * import.meta.url)` for a relative base (with the renderBuiltUrl below): this unwraps it.
 */
const bundlerFriendlyUrls: Plugin = {
  name: 'sd-turbo:bundler-friendly-urls',
  apply: 'build',
  enforce: 'post',
  // After Vite has put the final file names into the chunks.
  generateBundle(_options, bundle) {
    const nested =
      /new URL\(\s*(?:\/\*[^*]*\*\/\s*)?new URL\((`\.\/[^`$]+`),import\.meta\.url\)\.href,``\+import\.meta\.url\)/g;
    for (const output of Object.values(bundle)) {
      if (output.type === 'chunk') output.code = output.code.replace(nested, 'new URL($1,import.meta.url)');
    }
  },
};

const libraryBuild: BuildEnvironmentOptions = {
  target: 'es2022',
  outDir: 'dist/lib',
  emptyOutDir: true,
  copyPublicDir: false,
  assetsDir: '',
  assetsInlineLimit: 0,
  rolldownOptions: {
    input: { 'sd-turbo': 'src/components/index.ts' },
    preserveEntrySignatures: 'strict',
    output: { entryFileNames: '[name].js' },
  },
};

/**
 * The element's default catalogue (`new URL('../../../model-manifest.json', import.meta.url)` in
 * src/components/sd-turbo/sd-turbo.ts) is copied beside the built module. The package carries no test
 * model files, so the copy lists only the real models: the test models (ids `tiny-*`) are left out.
 */
const packagedCatalogue: Plugin = {
  name: 'sd-turbo:packaged-catalogue',
  apply: 'build',
  generateBundle(_options, bundle) {
    for (const output of Object.values(bundle)) {
      if (output.type !== 'asset' || !output.originalFileNames.includes('model-manifest.json')) continue;
      const manifest = JSON.parse(String(output.source)) as { models: { id: string }[] };
      manifest.models = manifest.models.filter((model) => !model.id.startsWith('tiny-'));
      output.source = `${JSON.stringify(manifest, null, 2)}\n`;
    }
  },
};

/** The app finds its models through model-manifest.json next to index.html; the dev server serves it from the root. */
const emitModelManifest: Plugin = {
  name: 'sd-turbo:emit-model-manifest',
  apply: 'build',
  generateBundle() {
    this.emitFile({
      type: 'asset',
      fileName: 'model-manifest.json',
      source: readFileSync('model-manifest.json'),
    });
  },
};

/**
 * Offline and installable: a web app manifest and a Workbox service worker that precaches the app shell
 * (HTML, JS, CSS, ORT's .mjs/.wasm, the CLIP vocabulary, model-manifest.json). Model weights are left out
 * on purpose: the downloader keeps them in IndexedDB, and a second copy in Cache Storage would double the
 * largest thing the app stores. `registerType: 'prompt'`: a new app shell waits until the page asks for
 * it (src/app/app-shell.ts announces it), so an update never reloads a page mid-generation. The
 * plugin's own script registers the worker in the built index.html; the dev server runs none.
 */
const offlineApp = VitePWA({
  registerType: 'prompt',
  injectRegister: 'script-defer',
  manifest: {
    name: 'SD-Turbo in your browser',
    short_name: 'SD-Turbo',
    description: 'Stable Diffusion Turbo, entirely in the browser on WebGPU.',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#ffffff',
    theme_color: '#1f2328',
    icons: [{ src: '/favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
  },
  workbox: {
    globPatterns: ['**/*.{html,js,mjs,css,wasm,json,txt,gz,svg,webmanifest}'],
    // Weights (the tiny models under public/models, and any .onnx) stay with the downloader.
    globIgnores: ['models/**', '**/*.onnx'],
    // ORT's wasm binaries are about 25 MB each.
    maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
    navigateFallback: '/index.html',
    navigateFallbackDenylist: [/^\/models\//, /\.onnx$/],
    // Nothing cached at run time: model files are fetched by the downloader (Range requests) and stored by it.
    runtimeCaching: [],
    cleanupOutdatedCaches: true,
  },
});

/**
 * examples/embed.html, as dist/examples/embed.html: there the library is `../lib/` rather than
 * `../dist/lib/`, so the built site serves a working example from any static server (the tiny model it
 * uses is in dist/models/, copied from public/).
 */
const emitEmbedExample: Plugin = {
  name: 'sd-turbo:emit-embed-example',
  apply: 'build',
  generateBundle() {
    const page = readFileSync('examples/embed.html', 'utf8');
    this.emitFile({
      type: 'asset',
      fileName: 'examples/embed.html',
      source: page.replaceAll('../dist/lib/', '../lib/'),
    });
  },
};

/** The product page, and the benchmark at its own URL. */
const appBuild: BuildEnvironmentOptions = {
  target: 'es2022',
  rolldownOptions: { input: { main: 'index.html', bench: 'bench.html' } },
};

export default defineConfig(({ mode }) => ({
  // The library is served from wherever its host puts it: its files find each other by relative URLs.
  base: mode === 'lib' ? './' : '/',
  server: { headers: crossOriginIsolation, port: 5173 },
  preview: { headers: crossOriginIsolation, port: 4173 },
  // Pre-bundling would move ORT's .mjs away from its .wasm files.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es', plugins: () => (mode === 'lib' ? [bundlerFriendlyUrls] : []) },
  build: mode === 'lib' ? libraryBuild : appBuild,
  plugins:
    mode === 'lib'
      ? [bundlerFriendlyUrls, packagedCatalogue]
      : [packagedCatalogue, emitModelManifest, emitEmbedExample, offlineApp],
  // Lit's production build whatever NODE_ENV says (vitest sets it to 'test' for the builds its tests run).
  resolve: mode === 'lib' ? { conditions: ['module', 'browser', 'production'] } : {},
  experimental:
    mode === 'lib'
      ? {
          renderBuiltUrl: (fileName: string) => ({
            runtime: `new URL(${JSON.stringify(`./${fileName}`)}, import.meta.url).href`,
          }),
        }
      : {},
}));
