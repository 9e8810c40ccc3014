import { readFileSync } from 'node:fs';
import { defineConfig, type BuildEnvironmentOptions, type Plugin } from 'vite';

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
 */
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

export default defineConfig(({ mode }) => ({
  // The library is served from wherever its host puts it: its files find each other by relative URLs.
  base: mode === 'lib' ? './' : '/',
  server: { headers: crossOriginIsolation, port: 5173 },
  preview: { headers: crossOriginIsolation, port: 4173 },
  // Pre-bundling would move ORT's .mjs away from its .wasm files.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: mode === 'lib' ? libraryBuild : { target: 'es2022' },
  plugins: mode === 'lib' ? [] : [emitModelManifest],
}));
