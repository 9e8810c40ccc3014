/**
 * Stands in for src/pipeline/runtime/ort-web-runtime.ts in the packaged Node bundle (vite.node.config.ts), so that
 * onnxruntime-web is not shipped in it. The Node entry always hands the pipeline onnxruntime-node's
 * runtime; reaching this object means a pipeline was created without one.
 */
import type { OrtRuntime } from '../pipeline/runtime/ort-runtime.js';

function missing(): never {
  throw new Error(
    'sd-turbo-web/node runs on onnxruntime-node: create pipelines through NodeTextToImage or generateImage.',
  );
}

export const ortWebRuntime: OrtRuntime = {
  name: 'onnxruntime-web (not in the Node bundle)',
  get InferenceSession(): OrtRuntime['InferenceSession'] {
    return missing();
  },
  get Tensor(): OrtRuntime['Tensor'] {
    return missing();
  },
  get env(): OrtRuntime['env'] {
    return missing();
  },
  gpuResidentTensors: false,
};
