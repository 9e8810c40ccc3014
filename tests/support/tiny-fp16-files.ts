import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelStageName } from '../../src/pipeline/model/manifest-types';
import { STAGE_PATHS, TINY_MODELS_DIR, ensureTinyModels } from '../../scripts/tiny-models/index';

/** Every stage of the tiny FP16 set, the graphs the widening tests rewrite. */
export const FP16_STAGES: readonly ModelStageName[] = ['textEncoder', 'unet', 'vaeDecoder', 'vaeEncoder'];

/** The tiny-fp16 ONNX files as bytes, by stage (generated first if missing). */
export async function tinyFp16Files(): Promise<Record<ModelStageName, Uint8Array>> {
  await ensureTinyModels();
  const entries = await Promise.all(
    FP16_STAGES.map(
      async (stage) =>
        [
          stage,
          new Uint8Array(await readFile(join(TINY_MODELS_DIR, 'tiny-fp16', STAGE_PATHS[stage]))),
        ] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<ModelStageName, Uint8Array>;
}
