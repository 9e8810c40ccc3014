/**
 * sd-turbo-web for Node: the same pipeline as the browser (manifest, downloader, tokenizer, scheduler,
 * stage code) on onnxruntime-node, writing PNGs with the same metadata as the element's `toBlob()`.
 *
 *   import { generateImage } from 'sd-turbo-web/node'; // from this repository: './src/node/index.ts' with tsx
 *   const image = await generateImage({ prompt: 'a lighthouse at dawn', seed: 42 });
 *   await writeFile(image.fileName, image.png);
 *
 * Files of a model served over http(s) are downloaded once into a cache folder (the filesystem chunk
 * store, resumable); a model whose baseUrl is a local folder (the tiny test models) is read in place.
 */
import { createHash, getRandomValues } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { imageFileName, imageMetadata } from '../image-file/index.js';
import { downloadModel, FsChunkStore, loadModelFile } from '../pipeline/storage/node.js';
import type { DownloadProgress } from '../pipeline/storage/progress.js';
import { PipelineError } from '../pipeline/errors.js';
import type { ProviderChoice } from '../pipeline/types.js';
import { getModel, loadManifest, parseManifest, resolveFileUrl } from '../pipeline/model/manifest.js';
import { sizedModelEntry } from '../pipeline/model/sized-model-entry.js';
import {
  stageFile,
  type Manifest,
  type ModelEntry,
  type ModelFile,
  type ModelStageName,
} from '../pipeline/model/manifest-types.js';
import type { GenerateResult } from '../pipeline/engine/generate-result.js';
import { TextToImagePipeline } from '../pipeline/engine/text-to-image-pipeline.js';
import type { StageLoader } from '../pipeline/engine/sessions/index.js';
import { ortNodeRuntime } from './ort-node-runtime.js';
import { encodePng } from './png.js';

// The package's `sd-turbo-web/node` face. Its declarations stay free of onnxruntime-web, DOM and WebGPU
// types (tests/package.browser.test.ts type-checks a consumer against them).
export { encodePng } from './png.js';
export { PipelineError, type PipelineErrorCode } from '../pipeline/errors.js';
export type { DownloadProgress } from '../pipeline/storage/progress.js';
export type { StageTimings } from '../pipeline/engine/generate-result.js';
export type { ModelEntry } from '../pipeline/model/manifest-types.js';

/** onnxruntime-node's execution providers that the pipeline runs on. */
export type NodeProvider = 'cpu' | 'webgpu';

export interface NodeLoadOptions {
  /** A model id from the manifest; default the manifest's `defaultModel`. */
  model?: string;
  /** Path or http(s) URL of the manifest; default `./model-manifest.json`. */
  manifest?: string;
  /** Where downloaded files are kept, one folder per model; default `$XDG_CACHE_HOME/sd-turbo-web` or `~/.cache/sd-turbo-web`. */
  cacheDir?: string;
  /** Replaces the model's `baseUrl` (a self-hosted copy of the weights). */
  mirrorBaseUrl?: string;
  /** Default 'cpu'. */
  provider?: NodeProvider;
  /**
   * The image size, each side within the model's `sizes` (docs/sizes.md); default the model's own. A side
   * left out is the model's.
   */
  width?: number;
  height?: number;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

export interface NodeGenerateRequest {
  prompt: string;
  /** Integer in 0 .. 2^32 - 1; default a random one. */
  seed?: number;
  /** 1 .. 4; default 1. */
  steps?: number;
  signal?: AbortSignal;
}

export interface NodeImage extends Omit<GenerateResult, 'pixels'> {
  /** RGBA8, row-major. */
  pixels: Uint8ClampedArray;
  /** The PNG, with `prompt`, `seed`, `steps`, `model`, `size` and `Software` text chunks as the browser writes them. */
  png: Uint8Array;
  /** `sd-turbo_<seed>_<prompt-slug>_<width>x<height>.png`, the name the element gives a downloaded image. */
  fileName: string;
  metadata: Record<string, string>;
  modelId: string;
  provider: NodeProvider;
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sd-turbo-web');
}

/** A manifest path or URL, read and checked; `url` is what relative `baseUrl`s resolve against. */
export async function readManifest(location: string): Promise<{ manifest: Manifest; url: string }> {
  if (/^https?:\/\//i.test(location)) return { manifest: await loadManifest(location), url: location };
  const path = location.startsWith('file:') ? fileURLToPath(location) : resolve(location);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new PipelineError('manifest', `Cannot read the manifest ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { manifest: parseManifest(json, location), url: pathToFileURL(path).href };
}

/**
 * Where a file the manifest places on this disk is: at its URL, or, in this repository's layout (the
 * manifest at the root, Vite serving public/ at the site root), under public/ beside the manifest.
 */
async function localFilePath(url: string, manifestUrl: string): Promise<string> {
  const direct = fileURLToPath(url);
  const manifestDir = fileURLToPath(new URL('.', manifestUrl));
  const relativePath = direct.startsWith(manifestDir) ? direct.slice(manifestDir.length) : undefined;
  const candidates = relativePath ? [direct, join(manifestDir, 'public', relativePath)] : [direct];
  for (const candidate of candidates) {
    if (
      await stat(candidate).then(
        (found) => found.isFile(),
        () => false,
      )
    )
      return candidate;
  }
  throw new PipelineError('not-loaded', `No model file at ${candidates.join(' or ')}.`);
}

/** Reads a file the manifest places on this disk, checking its size and SHA-256 where the manifest gives them. */
async function readLocalFile(file: ModelFile, url: string, manifestUrl: string): Promise<Uint8Array> {
  const path = await localFilePath(url, manifestUrl);
  const bytes = new Uint8Array(await readFile(path));
  const sha256 = file.sha256 ? createHash('sha256').update(bytes).digest('hex') : undefined;
  if ((file.bytes !== undefined && bytes.length !== file.bytes) || sha256 !== file.sha256) {
    throw new PipelineError(
      'corrupt',
      `${path} is ${bytes.length} bytes with SHA-256 ${sha256 ?? '(not checked)'}, but the ` +
        `manifest says ${file.bytes ?? '?'} bytes and ${file.sha256 ?? '?'}.`,
    );
  }
  return bytes;
}

/** Downloads (or finds stored) what is remote, and returns the loader the pipeline reads stages with. */
async function prepareStageLoader(
  model: ModelEntry,
  manifestUrl: string,
  options: NodeLoadOptions,
): Promise<StageLoader> {
  const urls = (stage: ModelStageName) =>
    resolveFileUrl(model, stageFile(model, stage), manifestUrl, options.mirrorBaseUrl);
  if (new URL(urls('unet')).protocol === 'file:') {
    return (stage, file) => readLocalFile(file, urls(stage), manifestUrl);
  }
  const store = new FsChunkStore(join(options.cacheDir ?? defaultCacheDir(), model.id));
  await downloadModel(model, {
    manifestUrl,
    mirrorBaseUrl: options.mirrorBaseUrl,
    store,
    storage: null,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  return (stage) => loadModelFile(model, stage, store);
}

function nodeProviderChoice(provider: NodeProvider): ProviderChoice {
  return {
    provider,
    reason:
      provider === 'cpu'
        ? "onnxruntime-node's CPU execution provider."
        : "onnxruntime-node's WebGPU execution provider (Dawn); stage outputs are read back between stages.",
    fellBack: false,
    shaderF16: false,
    softwareAdapter: false,
  };
}

/** Advice for the one failure measured on a machine whose WebGPU is SwiftShader (Chromium's Vulkan). */
function webGpuAdvice(error: unknown): unknown {
  if (!(error instanceof PipelineError) || !/No supported adapters/.test(error.message)) return error;
  return new PipelineError(
    error.code,
    `${error.message}\nonnxruntime-node's WebGPU EP found no adapter: Dawn needs a Vulkan loader ` +
      "(libvulkan.so.1) and a driver. Without a GPU, Chromium's SwiftShader works: run with " +
      'LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json',
    { cause: error },
  );
}

/** A loaded model on onnxruntime-node: make as many images as you like, then `dispose()`. */
export class NodeTextToImage {
  private constructor(
    private readonly pipeline: TextToImagePipeline,
    readonly model: ModelEntry,
    readonly provider: NodeProvider,
  ) {}

  static async load(options: NodeLoadOptions = {}): Promise<NodeTextToImage> {
    const { manifest, url } = await readManifest(options.manifest ?? './model-manifest.json');
    const model = getModel(manifest, options.model ?? manifest.defaultModel);
    const provider = options.provider ?? 'cpu';
    if (provider !== 'cpu' && provider !== 'webgpu') {
      throw new PipelineError('invalid-input', `Unknown provider "${String(provider)}"; use cpu or webgpu.`);
    }
    // Refused before any download: a size the model does not declare.
    const sized = sizedModelEntry(model, {
      width: options.width ?? model.image.width,
      height: options.height ?? model.image.height,
    });
    const loadStage = await prepareStageLoader(model, url, options);
    try {
      const pipeline = await TextToImagePipeline.create(sized, {
        loadStage,
        runtime: { ort: ortNodeRuntime, provider: nodeProviderChoice(provider) },
      });
      return new NodeTextToImage(pipeline, sized, provider);
    } catch (error) {
      throw provider === 'webgpu' ? webGpuAdvice(error) : error;
    }
  }

  async generate(request: NodeGenerateRequest): Promise<NodeImage> {
    const seed = request.seed ?? getRandomValues(new Uint32Array(1))[0];
    const result = await this.pipeline.generate({
      prompt: request.prompt,
      seed,
      steps: request.steps,
      signal: request.signal,
    });
    const pixels = result.pixels!; // always present: no canvas was given
    // The same keys, in the same order, as the element's toBlob() (src/components/image-detail.ts).
    const metadata = imageMetadata({ ...result, modelId: this.model.id });
    return {
      ...result,
      pixels,
      png: encodePng(pixels, result.width, result.height, metadata),
      fileName: imageFileName(result.seed, result.prompt, result),
      metadata,
      modelId: this.model.id,
      provider: this.provider,
    };
  }

  dispose(): Promise<void> {
    return this.pipeline.dispose();
  }
}

/** Loads the model, makes one image and releases the model. */
export async function generateImage(options: NodeLoadOptions & NodeGenerateRequest): Promise<NodeImage> {
  const generator = await NodeTextToImage.load(options);
  try {
    return await generator.generate(options);
  } finally {
    await generator.dispose();
  }
}
