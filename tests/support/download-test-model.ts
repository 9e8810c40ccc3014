import type {
  ModelEntry,
  ModelFile,
  StageName,
  TensorSpec,
} from '../../src/pipeline/model/manifest-types.js';

/**
 * A valid manifest entry around three given files, for tests of the downloader and models:pull, which
 * care about the files only (the tensors are the real exports' names and types).
 */
export function downloadTestModel(
  id: string,
  baseUrl: string,
  files: Record<StageName, ModelFile>,
): ModelEntry {
  const float = (name: string): TensorSpec => ({ name, type: 'float32' });
  return {
    id,
    name: `Test model ${id}`,
    baseUrl,
    weights: 'fp32',
    tokenizer: { maxLength: 77, padId: 0 },
    hiddenSize: 8,
    latent: { channels: 4, height: 8, width: 8 },
    image: { height: 64, width: 64 },
    vaeScalingFactor: 0.18215,
    requires: {
      webgpu: { shaderF16: false, maxStorageBufferBindingSize: 1 << 20, maxBufferSize: 1 << 20 },
      wasm: { heapBytes: 1 << 26 },
    },
    stages: {
      textEncoder: {
        file: files.textEncoder,
        inputs: { inputIds: { name: 'input_ids', type: 'int32' } },
        outputs: { hiddenStates: float('last_hidden_state') },
      },
      unet: {
        file: files.unet,
        inputs: {
          sample: float('sample'),
          timestep: { name: 'timestep', type: 'int64' },
          encoderHiddenStates: float('encoder_hidden_states'),
        },
        outputs: { noisePred: float('out_sample') },
      },
      vaeDecoder: {
        file: files.vaeDecoder,
        inputs: { latentSample: float('latent_sample') },
        outputs: { sample: float('sample') },
      },
    },
  };
}
