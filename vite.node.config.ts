import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * `vite build -c vite.node.config.ts`: the Node entry (src/node/index.ts, `sd-turbo-web/node`) as one ES
 * module, dist/node/index.js, with the CLIP merge list beside it. Everything of the project and
 * @huggingface/tokenizers is bundled; onnxruntime-node is left as an import (an optional peer dependency:
 * its native binaries are the consumer's install), and so are Node's built-ins.
 */

const VOCABULARY_SOURCE = 'data/clip/bpe_simple_vocab_16e6.txt.gz';
const VOCABULARY_OUTPUT = 'clip/bpe_simple_vocab_16e6.txt.gz';

/**
 * Vite resolves `new URL('…', import.meta.url)` assets for browser builds only; in this server build the
 * vocabulary's URL would still point three folders up from the bundle. This ships the file beside the
 * bundle and points the URL at it (read with node:fs by src/pipeline/text/clip-vocabulary.ts).
 */
const shipClipVocabulary: Plugin = {
  name: 'sd-turbo:node-clip-vocabulary',
  apply: 'build',
  enforce: 'pre',
  transform(code, id) {
    if (!id.endsWith('/src/pipeline/text/clip-vocabulary.ts')) return null;
    const literal = `'../../../${VOCABULARY_SOURCE}'`;
    if (!code.includes(literal)) {
      this.error(`clip-vocabulary.ts no longer loads ${literal}; update vite.node.config.ts`);
    }
    return { code: code.replace(literal, `'./${VOCABULARY_OUTPUT}'`), map: null };
  },
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: VOCABULARY_OUTPUT, source: readFileSync(VOCABULARY_SOURCE) });
  },
};

/**
 * The pipeline's default runtime is onnxruntime-web; the Node entry always passes onnxruntime-node's, so
 * onnxruntime-web (megabytes of browser code and wasm) is replaced by a module that says so if reached.
 */
const WEB_RUNTIME_STAND_IN = fileURLToPath(new URL('./src/node/no-web-runtime.ts', import.meta.url));
const withoutOnnxruntimeWeb: Plugin = {
  name: 'sd-turbo:node-without-onnxruntime-web',
  enforce: 'pre',
  resolveId(source, importer) {
    if (importer?.includes('/src/pipeline/') && source.endsWith('/ort-web-runtime.js'))
      return WEB_RUNTIME_STAND_IN;
    if (source === 'onnxruntime-web' || source.startsWith('onnxruntime-web/')) {
      this.error(`${importer ?? '?'} imports ${source}, which the Node bundle must not contain`);
    }
    return null;
  },
};

export default defineConfig({
  publicDir: false,
  build: {
    target: 'node20',
    outDir: 'dist/node',
    emptyOutDir: true,
    ssr: 'src/node/index.ts',
    minify: false,
    sourcemap: false,
    // The vocabulary above; a server build drops emitted assets otherwise.
    ssrEmitAssets: true,
    rolldownOptions: {
      output: { entryFileNames: 'index.js', format: 'es' },
    },
  },
  ssr: {
    target: 'node',
    // Bundle every dependency but the native runtime, so the package needs nothing else installed.
    noExternal: true,
    external: ['onnxruntime-node'],
  },
  plugins: [shipClipVocabulary, withoutOnnxruntimeWeb],
});
