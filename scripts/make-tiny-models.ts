/**
 * npm run models:tiny — writes the tiny stand-in models to public/models/tiny-{fp32,fp16}/ (only files
 * that are missing or out of date) and prints each file's size and SHA-256.
 *
 *   --update-manifest  also records those sizes and hashes in model-manifest.json's tiny entries
 *                      (needed after changing the generator; tests/tiny-models.test.ts checks they match).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, TINY_MODELS_DIR, writeTinyModels, type TinyModelFile } from './tiny-models/index.js';

const MANIFEST_PATH = join(REPO_ROOT, 'model-manifest.json');

interface ManifestFileJson {
  bytes?: number;
  approxBytes?: number;
  sha256?: string;
}
interface ManifestJson {
  models: { id: string; stages: Record<string, { file: ManifestFileJson }> }[];
}

async function main(args: string[]): Promise<void> {
  const unknown = args.filter((arg) => arg !== '--update-manifest');
  if (unknown.length > 0)
    throw new Error(`unknown argument ${unknown[0]}; usage: make-tiny-models [--update-manifest]`);
  const files = await writeTinyModels();
  for (const file of files)
    console.log(`${file.path.padEnd(40)} ${String(file.bytes.length).padStart(9)}  ${file.sha256}`);
  console.log(`tiny models are in ${TINY_MODELS_DIR}`);
  if (args.includes('--update-manifest')) {
    await recordInManifest(files);
    console.log(`updated ${MANIFEST_PATH}`);
  }
}

/** Sets exact `bytes` and `sha256` on each tiny model's stage files (model id = set id). */
async function recordInManifest(files: TinyModelFile[]): Promise<void> {
  const manifest = JSON.parse(await readFile(MANIFEST_PATH, 'utf8')) as ManifestJson;
  for (const file of files) {
    const entry = manifest.models.find((model) => model.id === file.setId)?.stages[file.stage]?.file;
    if (!entry) throw new Error(`model-manifest.json has no ${file.setId} ${file.stage} stage`);
    delete entry.approxBytes;
    entry.bytes = file.bytes.length;
    entry.sha256 = file.sha256;
  }
  await writeFile(MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
