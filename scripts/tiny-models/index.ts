/**
 * Generates the tiny stand-in models into public/models/<set>/<stage>/model.onnx (served by Vite at
 * /models/...). Generation is deterministic: model-manifest.json records each file's exact size and
 * SHA-256, and tests/tiny-models.test.ts checks they still match.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAGE_NAMES, type ModelStageName } from '../../src/pipeline/model/manifest-types.js';
import { TINY_MODEL_SETS, type TinyModelSet } from './config.js';
import { buildTextEncoder } from './text-encoder.js';
import { buildUnet } from './unet.js';
import { buildVaeDecoder } from './vae-decoder.js';
import { buildVaeEncoder } from './vae-encoder.js';

export { TINY_DIMS, TINY_MODEL_SETS, type TinyModelSet } from './config.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TINY_MODELS_DIR = join(REPO_ROOT, 'public', 'models');

/** Each stage's file, relative to its set's folder (and to the manifest entry's baseUrl). */
export const STAGE_PATHS: Record<ModelStageName, string> = {
  textEncoder: 'text_encoder/model.onnx',
  unet: 'unet/model.onnx',
  vaeDecoder: 'vae_decoder/model.onnx',
  vaeEncoder: 'vae_encoder/model.onnx',
};

/** Both tiny sets have every stage, the optional VAE encoder included (image to image). */
export const TINY_STAGE_NAMES: readonly ModelStageName[] = [...STAGE_NAMES, 'vaeEncoder'];

const STAGE_BUILDERS: Record<ModelStageName, (set: TinyModelSet) => Uint8Array> = {
  textEncoder: buildTextEncoder,
  unet: buildUnet,
  vaeDecoder: buildVaeDecoder,
  vaeEncoder: buildVaeEncoder,
};

export interface TinyModelFile {
  setId: TinyModelSet['id'];
  stage: ModelStageName;
  /** Relative to the models folder, e.g. 'tiny-fp32/unet/model.onnx'. */
  path: string;
  bytes: Uint8Array;
  sha256: string;
}

/** Builds all tiny model files in memory (about a second). */
export function buildTinyModels(): TinyModelFile[] {
  return TINY_MODEL_SETS.flatMap((set) =>
    TINY_STAGE_NAMES.map((stage) => {
      const bytes = STAGE_BUILDERS[stage](set);
      return {
        setId: set.id,
        stage,
        path: `${set.id}/${STAGE_PATHS[stage]}`,
        bytes,
        sha256: sha256Hex(bytes),
      };
    }),
  );
}

/**
 * Writes every tiny model file that is missing under `modelsDir` or differs from what the generator
 * builds now; returns all files, written or not.
 */
export async function writeTinyModels(modelsDir = TINY_MODELS_DIR): Promise<TinyModelFile[]> {
  const files = buildTinyModels();
  for (const file of files) {
    const target = join(modelsDir, file.path);
    if (await isSameFile(target, file.bytes)) continue;
    await mkdir(dirname(target), { recursive: true });
    // Write then rename, so a dev server running meanwhile never serves a half-written model.
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, file.bytes);
    await rename(temporary, target);
  }
  return files;
}

/** For tests and dev hooks: makes sure public/models/tiny-* exist and are current. */
export async function ensureTinyModels(): Promise<void> {
  await writeTinyModels();
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function isSameFile(path: string, expected: Uint8Array): Promise<boolean> {
  try {
    return Buffer.from(await readFile(path)).equals(expected);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
