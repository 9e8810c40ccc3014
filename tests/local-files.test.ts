/**
 * "Your own files": reading a model file's inputs and outputs through Blob slices, deciding which file is
 * which stage, checking them against the pipeline's contract with messages that name the file and the
 * tensor, and storing them like downloaded weights. Runs on the generated tiny models and on small
 * mismatching models made with the project's ONNX builder.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  IdbChunkStore,
  listStoredModels,
  readStoredFile,
  type ChunkStore,
  type StorageManagerLike,
} from '../src/pipeline/storage/index.js';
import { LocalFilesError, PipelineError } from '../src/pipeline/errors.js';
import { readOnnxSignature } from '../src/pipeline/model/onnx/index.js';
import {
  LocalModelRegistry,
  checkLocalFiles,
  buildLocalEntry,
  importLocalModel,
  withLocalModels,
  type InspectedFile,
  type LocalModelFile,
} from '../src/pipeline/storage/local-files/index.js';
import { getModel, parseManifest } from '../src/pipeline/model/manifest.js';
import type { ModelEntry, ModelStageName } from '../src/pipeline/model/manifest-types.js';
import { STAGE_PATHS, TINY_MODELS_DIR, ensureTinyModels } from '../scripts/tiny-models/index.js';
import manifestJson from '../model-manifest.json' with { type: 'json' };
import { signatureModel, textEncoderOfWidth, type TensorDeclaration } from './support/onnx-variants.js';

const manifest = parseManifest(manifestJson);
const TINY_STAGES: readonly ModelStageName[] = ['textEncoder', 'unet', 'vaeDecoder', 'vaeEncoder'];

/** A tiny model file as a file-backed Blob, the way a browser's File is read: lazily, in slices. */
function tinyFile(set: string, stage: ModelStageName): Promise<Blob> {
  return openAsBlob(join(TINY_MODELS_DIR, set, STAGE_PATHS[stage]));
}

async function inspect(name: string, file: Blob): Promise<InspectedFile> {
  return { name, bytes: file.size, signature: await readOnnxSignature(file) };
}

/** The problems a LocalFilesError lists, or the error itself when something else was thrown. */
function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof LocalFilesError) return error.problems;
    throw error;
  }
  throw new Error('the files were accepted');
}

const UNET_SAMPLE: TensorDeclaration = {
  name: 'sample',
  type: 'float32',
  dims: ['batch_size', 4, 'height', 'width'],
};
const UNET_CONTEXT: TensorDeclaration = {
  name: 'encoder_hidden_states',
  type: 'float32',
  dims: ['batch_size', 77, 32],
};
const UNET_OUTPUT: TensorDeclaration = {
  name: 'out_sample',
  type: 'float32',
  dims: ['batch_size', 4, 'height', 'width'],
};

beforeAll(() => ensureTinyModels());

describe('readOnnxSignature', () => {
  it("reads the tiny UNet's inputs and outputs, symbolic dimensions included, and its weights' types", async () => {
    const signature = await readOnnxSignature(await tinyFile('tiny-fp32', 'unet'));
    expect(signature.inputs).toEqual([
      { name: 'sample', type: 'float32', shape: ['batch_size', 'num_channels', 'height', 'width'] },
      { name: 'timestep', type: 'int64', shape: [1] },
      { name: 'encoder_hidden_states', type: 'float32', shape: ['batch_size', 'sequence_length', 32] },
    ]);
    expect(signature.outputs).toEqual([
      { name: 'out_sample', type: 'float32', shape: ['batch_size', 'num_channels', 'height', 'width'] },
    ]);
    expect(signature.weights.externalTensors).toBe(0);
    expect(Object.keys(signature.weights.bytesByType).sort()).toEqual(['float32', 'int64']);
  });

  it("reads a fraction of a file: the text encoder's 6.3 MB token table is skipped, not read", async () => {
    const file = await tinyFile('tiny-fp32', 'textEncoder');
    let bytesRead = 0;
    const counting = {
      size: file.size,
      slice: (start: number, end: number) => {
        bytesRead += end - start;
        return file.slice(start, end);
      },
    };
    const signature = await readOnnxSignature(counting);
    expect(signature.outputs).toEqual([
      { name: 'last_hidden_state', type: 'float32', shape: ['batch_size', 77, 32] },
    ]);
    // The token embedding 49408 x 32 float32, exactly: its raw_data length, read from its header.
    expect(signature.weights.largestTensorBytes).toBe(49408 * 32 * 4);
    expect(file.size).toBeGreaterThan(6_000_000);
    expect(bytesRead).toBeLessThan(file.size / 50);
  });

  it('refuses a file that no ONNX model starts like, naming its first bytes', async () => {
    await expect(readOnnxSignature(new Blob(['<!DOCTYPE html>']))).rejects.toThrow(
      'Not a valid ONNX model: it starts with bytes 3c 21 ("<!"), which cannot begin one.',
    );
  });
});

describe('checkLocalFiles', () => {
  const inspectTiny = (set: string, names: Partial<Record<ModelStageName, string>> = {}) =>
    Promise.all(
      TINY_STAGES.map(async (stage) => inspect(names[stage] ?? `${stage}.onnx`, await tinyFile(set, stage))),
    );

  for (const set of ['tiny-fp32', 'tiny-fp16', 'tiny-mixed']) {
    it(`assigns each ${set} file its stage from its graph alone and builds the manifest's ${set} entry`, async () => {
      // Shuffled, with names that say nothing.
      const files = await inspectTiny(set, {
        textEncoder: 'c.onnx',
        unet: 'a.onnx',
        vaeDecoder: 'd.onnx',
        vaeEncoder: 'b.onnx',
      });
      const checked = checkLocalFiles([files[2], files[0], files[3], files[1]], { imageSize: 64 });
      expect(
        Object.fromEntries(Object.entries(checked.stages).map(([stage, found]) => [stage, found.file.name])),
      ).toEqual({
        textEncoder: 'c.onnx',
        unet: 'a.onnx',
        vaeDecoder: 'd.onnx',
        vaeEncoder: 'b.onnx',
      });
      const entry = buildLocalEntry(checked, { id: 'local-test', name: 'Test' });
      const listed = getModel(manifest, set);
      const comparable = (model: ModelEntry) => ({
        weights: model.weights,
        tokenizer: model.tokenizer,
        hiddenSize: model.hiddenSize,
        latent: model.latent,
        image: model.image,
        vaeScalingFactor: model.vaeScalingFactor,
        webgpu: model.requires.webgpu,
        stages: Object.fromEntries(
          TINY_STAGES.map((stage) => {
            const { file, ...rest } = model.stages[stage]!;
            return [stage, { ...rest, path: file.path, bytes: file.bytes }];
          }),
        ),
      });
      expect(comparable(entry)).toEqual(comparable(listed));
      expect(checked.notes).toEqual([]);
    });
  }

  it("defaults to SD-Turbo's 512×512 where the files leave the size open, and says when they fix it", async () => {
    const files = await inspectTiny('tiny-fp32');
    const entry = buildLocalEntry(checkLocalFiles(files), { id: 'local-test', name: 'Test' });
    expect(entry.image).toEqual({ height: 512, width: 512 });
    expect(entry.stages.unet.session?.freeDimensionOverrides).toMatchObject({ height: 64, width: 64 });
    // SD-Turbo's self-attention scores at 64 x 64 latents: 5 heads x 4096² x 4 bytes.
    expect(entry.requires.webgpu && entry.requires.webgpu.maxStorageBufferBindingSize).toBe(
      5 * 4096 ** 2 * 4,
    );

    const fixed = await inspect(
      'vae_decoder.onnx',
      new Blob([
        signatureModel(
          [{ name: 'latent_sample', type: 'float32', dims: [1, 4, 16, 16] }],
          [{ name: 'sample', type: 'float32', dims: [1, 3, 128, 128] }],
        ),
      ]),
    );
    const checked = checkLocalFiles([files[0], files[1], fixed], { imageSize: 64 });
    expect(checked.sizes.imageHeight.value).toBe(128);
    expect(checked.notes).toEqual([
      'The files fix the image size at 128×128: the size chosen (64 px) does not apply.',
    ]);
  });

  it('says which file is the VAE decoder offered as the UNet, and that two files are VAE decoders', async () => {
    const files = [
      await inspect('text_encoder.onnx', await tinyFile('tiny-fp32', 'textEncoder')),
      await inspect('unet.onnx', await tinyFile('tiny-fp32', 'vaeDecoder')),
      await inspect('vae_decoder.onnx', await tinyFile('tiny-fp32', 'vaeDecoder')),
    ];
    expect(problemsOf(() => checkLocalFiles(files))).toEqual([
      'No file is the UNet, which takes sample float32|float16 [1,4,h,w], timestep float32|float16|int32|int64 [1] ' +
        'and encoder_hidden_states float32|float16 [1,77,D] and gives out_sample float32|float16 [1,4,h,w]. ' +
        "unet.onnx is named like the UNet, but its inputs and outputs are a VAE decoder's: it takes " +
        '"latent_sample" float32 [batch_size,num_channels_latent,height_latent,width_latent] and gives ' +
        '"sample" float32 [batch_size,3,height,width].',
      'unet.onnx and vae_decoder.onnx both look like the VAE decoder (it takes "latent_sample"): offer one of them.',
    ]);
  });

  it("names the UNet input whose width is not the text encoder's output width", async () => {
    const files = [
      await inspect('text_encoder.onnx', new Blob([textEncoderOfWidth(48)])),
      await inspect('unet.onnx', await tinyFile('tiny-fp32', 'unet')),
      await inspect('vae_decoder.onnx', await tinyFile('tiny-fp32', 'vaeDecoder')),
    ];
    expect(problemsOf(() => checkLocalFiles(files, { imageSize: 64 }))).toEqual([
      'unet.onnx: input "encoder_hidden_states" is float32 [batch_size,sequence_length,32] — expected float32 or ' +
        "float16 [1,77,48]: dimension 3 must be 48, the text states' width in text_encoder.onnx's output " +
        '"last_hidden_state".',
    ]);
  });

  it('says which output a text encoder lacks, and lists what it has', async () => {
    const pooled = signatureModel(
      [{ name: 'input_ids', type: 'int32', dims: ['batch_size', 77] }],
      [{ name: 'pooler_output', type: 'float32', dims: ['batch_size', 32] }],
    );
    const files = [
      await inspect('text_encoder.onnx', new Blob([pooled])),
      await inspect('unet.onnx', await tinyFile('tiny-fp32', 'unet')),
      await inspect('vae_decoder.onnx', await tinyFile('tiny-fp32', 'vaeDecoder')),
    ];
    expect(problemsOf(() => checkLocalFiles(files))).toEqual([
      'text_encoder.onnx has no output "last_hidden_state"; it has: "pooler_output" float32 [batch_size,32].',
    ]);
  });

  it('says what is wrong with a UNet input: a timestep of rank 2, an integer sample, an input never fed', async () => {
    const unet = signatureModel(
      [
        { ...UNET_SAMPLE, type: 'int32' },
        { name: 'timestep', type: 'int64', dims: [1, 1] },
        UNET_CONTEXT,
        { name: 'guidance', type: 'float32', dims: [1] },
      ],
      [UNET_OUTPUT],
    );
    const files = [
      await inspect('text_encoder.onnx', await tinyFile('tiny-fp32', 'textEncoder')),
      await inspect('unet.onnx', new Blob([unet])),
      await inspect('vae_decoder.onnx', await tinyFile('tiny-fp32', 'vaeDecoder')),
    ];
    expect(problemsOf(() => checkLocalFiles(files, { imageSize: 64 }))).toEqual([
      'unet.onnx: input "guidance" float32 [1] would get no value: the pipeline feeds this stage "sample", ' +
        '"timestep" and "encoder_hidden_states" only.',
    ]);
    const fedUnet = signatureModel(
      [{ ...UNET_SAMPLE, type: 'int32' }, { name: 'timestep', type: 'int64', dims: [1, 1] }, UNET_CONTEXT],
      [UNET_OUTPUT],
    );
    files[1] = await inspect('unet.onnx', new Blob([fedUnet]));
    expect(problemsOf(() => checkLocalFiles(files, { imageSize: 64 }))).toEqual([
      'unet.onnx: input "sample" is int32 [batch_size,4,height,width] — expected float32 or float16 [1,4,8,8]: ' +
        'the pipeline cannot feed int32.',
      'unet.onnx: input "timestep" is int64 [1,1] — expected float32, float16, int32 or int64 [1]: it has 2 ' +
        'dimensions, not 1.',
    ]);
  });

  it("refuses a UNet that takes another float type than the text encoder's output", async () => {
    const files = [
      await inspect('text_encoder.onnx', await tinyFile('tiny-fp16', 'textEncoder')),
      await inspect('unet.onnx', await tinyFile('tiny-fp32', 'unet')),
      await inspect('vae_decoder.onnx', await tinyFile('tiny-fp32', 'vaeDecoder')),
    ];
    expect(problemsOf(() => checkLocalFiles(files, { imageSize: 64 }))).toEqual([
      'unet.onnx: input "encoder_hidden_states" is float32, but text_encoder.onnx\'s output "last_hidden_state" ' +
        "is float16: the UNet takes the text encoder's tensor as it is, so both must have one type.",
    ]);
  });

  it('uses a file against its name when its graph says otherwise, and says so', async () => {
    const files = [
      await inspect('text_encoder.onnx', await tinyFile('tiny-fp32', 'textEncoder')),
      await inspect('vae_decoder.onnx', await tinyFile('tiny-fp32', 'unet')),
      await inspect('unet.onnx', await tinyFile('tiny-fp32', 'vaeDecoder')),
    ];
    const checked = checkLocalFiles(files, { imageSize: 64 });
    expect(checked.stages.unet.file.name).toBe('vae_decoder.onnx');
    expect(checked.notes).toEqual([
      'vae_decoder.onnx is used as the UNet, whatever its name says: it takes 3 inputs, as only a UNet does.',
      'unet.onnx is used as the VAE decoder, whatever its name says: it takes "latent_sample".',
    ]);
  });
});

describe('importLocalModel', () => {
  let databases = 0;
  /** A fresh chunk store and registry, as a new page would open them on the same databases. */
  function storage(names = `import-${++databases}`) {
    return {
      names,
      store: new IdbChunkStore({ chunksDb: `${names}-chunks`, recordsDb: `${names}-records` }),
      registry: new LocalModelRegistry({ dbName: `${names}-models` }),
    };
  }

  async function tinyFiles(): Promise<LocalModelFile[]> {
    return Promise.all(
      (['textEncoder', 'unet', 'vaeDecoder'] as const).map(async (stage) => ({
        name: `tiny-fp32/${STAGE_PATHS[stage]}`,
        file: await tinyFile('tiny-fp32', stage),
      })),
    );
  }

  const sha256 = async (file: Blob) =>
    createHash('sha256')
      .update(new Uint8Array(await file.arrayBuffer()))
      .digest('hex');

  it('stores the files with their SHA-256 and keeps the entry, which a new store and registry find', async () => {
    const first = storage();
    const files = await tinyFiles();
    const progress: number[] = [];
    const imported = await importLocalModel(files, {
      store: first.store,
      registry: first.registry,
      imageSize: 64,
      storage: null,
      chunkSize: 1 << 20,
      onProgress: (report) => progress.push(report.bytesDone),
    });
    expect(imported.alreadyStored).toBe(false);
    expect(imported.model.id).toMatch(/^local-[0-9a-f]{12}$/);
    expect(imported.model.name).toBe('tiny-fp32 (your files)');
    const expectedHashes = await Promise.all(files.map(({ file }) => sha256(file)));
    const stages = imported.model.stages;
    expect([stages.textEncoder, stages.unet, stages.vaeDecoder].map((stage) => stage.file.sha256)).toEqual(
      expectedHashes,
    );
    expect(progress.at(-1)).toBe(files.reduce((sum, { file }) => sum + file.size, 0));

    // After a reload: nothing in memory, only the databases.
    const reloaded = storage(first.names);
    const [record] = await reloaded.registry.list();
    expect(record.entry).toEqual(imported.model);
    expect(record.sources).toEqual({
      textEncoder: 'tiny-fp32/text_encoder/model.onnx',
      unet: 'tiny-fp32/unet/model.onnx',
      vaeDecoder: 'tiny-fp32/vae_decoder/model.onnx',
    });
    expect(withLocalModels(manifest, [record]).models.map((model) => model.id)).toEqual([
      ...manifest.models.map((model) => model.id),
      imported.model.id,
    ]);
    const unetBytes = await readStoredFile(reloaded.store, {
      modelId: record.entry.id,
      path: 'unet/model.onnx',
    });
    expect(Buffer.from(unetBytes).equals(Buffer.from(await files[1].file.arrayBuffer()))).toBe(true);
    const [stored] = await listStoredModels(reloaded.store);
    expect(stored).toMatchObject({
      modelId: imported.model.id,
      complete: true,
      bytesStored: progress.at(-1),
    });

    const again = await importLocalModel(files, {
      store: reloaded.store,
      registry: reloaded.registry,
      imageSize: 64,
    });
    expect(again).toEqual({ model: imported.model, notes: [], alreadyStored: true });
  });

  it('refuses files that do not fit in the quota before storing a byte', async () => {
    const { store, registry } = storage();
    const tight: StorageManagerLike = { estimate: async () => ({ usage: 0, quota: 1_000_000 }) };
    const refusal = importLocalModel(await tinyFiles(), { store, registry, imageSize: 64, storage: tight });
    await expect(refusal).rejects.toMatchObject({ code: 'quota', name: 'QuotaError' });
    await expect(refusal).rejects.toThrow(
      /Not enough storage for your model files: 6\.\d MB still needed, 1\.0 MB available/,
    );
    expect(await listStoredModels(store)).toEqual([]);
    expect(await registry.list()).toEqual([]);
  });

  it('turns a store that fills up into a QuotaError, and deletes what it had stored', async () => {
    const { store, registry } = storage();
    let chunksWritten = 0;
    const fillsUp: ChunkStore = Object.assign(Object.create(store) as ChunkStore, {
      writeChunk: async (...args: Parameters<ChunkStore['writeChunk']>) => {
        if (++chunksWritten > 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return store.writeChunk(...args);
      },
    });
    const failing = importLocalModel(await tinyFiles(), {
      store: fillsUp,
      registry,
      imageSize: 64,
      storage: null,
      chunkSize: 1 << 20,
    });
    await expect(failing).rejects.toMatchObject({ code: 'quota' });
    await expect(failing).rejects.toThrow(/Storage full while storing text_encoder\/model\.onnx/);
    expect(await listStoredModels(store)).toEqual([]);
    expect(await registry.list()).toEqual([]);
  });

  it('stops storing when the signal aborts, deletes the partial copy and keeps no entry', async () => {
    const { store, registry } = storage();
    const abort = new AbortController();
    let chunksWritten = 0;
    let recordsWhenAborted = 0;
    // Aborted as the text encoder's fourth of seven 1 MiB chunks is stored: a partial copy.
    const cancelling: ChunkStore = Object.assign(Object.create(store) as ChunkStore, {
      writeChunk: async (...args: Parameters<ChunkStore['writeChunk']>) => {
        await store.writeChunk(...args);
        if (++chunksWritten === 4) {
          recordsWhenAborted = (await store.listRecords()).length;
          abort.abort();
        }
      },
    });
    const stopped = importLocalModel(await tinyFiles(), {
      store: cancelling,
      registry,
      imageSize: 64,
      storage: null,
      chunkSize: 1 << 20,
      signal: abort.signal,
    });
    await expect(stopped).rejects.toMatchObject({ name: 'AbortError' });
    expect(recordsWhenAborted).toBe(1);
    expect(chunksWritten).toBe(4);
    expect(await store.listRecords()).toEqual([]);
    expect(await listStoredModels(store)).toEqual([]);
    expect(await registry.list()).toEqual([]);
  });

  it('keeps nothing when the signal aborts as the last chunk is stored', async () => {
    const { store, registry } = storage();
    const files = await tinyFiles();
    const abort = new AbortController();
    const lastChunk = async (...args: Parameters<ChunkStore['writeChunk']>) => {
      await store.writeChunk(...args);
      const [record, index] = args;
      if (record.path === 'vae_decoder/model.onnx' && (index + 1) * record.chunkSize >= record.size) {
        abort.abort();
      }
    };
    const cancelling: ChunkStore = Object.assign(Object.create(store) as ChunkStore, {
      writeChunk: lastChunk,
    });
    const stopped = importLocalModel(files, {
      store: cancelling,
      registry,
      imageSize: 64,
      storage: null,
      signal: abort.signal,
    });
    await expect(stopped).rejects.toMatchObject({ name: 'AbortError' });
    expect(abort.signal.aborted).toBe(true);
    expect(await store.listRecords()).toEqual([]);
    expect(await registry.list()).toEqual([]);
  });

  it('names every file that is no ONNX model, and stores nothing', async () => {
    const { store, registry } = storage();
    const files = [...(await tinyFiles()), { name: 'notes.onnx', file: new Blob(['just text']) }];
    const refusal = importLocalModel(files, { store, registry });
    await expect(refusal).rejects.toBeInstanceOf(PipelineError);
    await expect(refusal).rejects.toMatchObject({
      code: 'model-io-mismatch',
      problems: [
        'notes.onnx: Not a valid ONNX model: it starts with bytes 6a 75 ("ju"), which cannot begin one.',
      ],
    });
    expect(await listStoredModels(store)).toEqual([]);
  });

  it('refuses an image size that is no multiple of 64', async () => {
    const { store, registry } = storage();
    await expect(
      importLocalModel(await tinyFiles(), { store, registry, imageSize: 100 }),
    ).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining('multiple of 64 from 64 to 2048 pixels'),
    });
  });
});
