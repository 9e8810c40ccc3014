import * as ortNode from 'onnxruntime-node';
import type { OrtRuntime } from '../pipeline/runtime/ort-runtime.js';

/** onnxruntime-node as the pipeline's runtime: CPU and WebGPU (Dawn) EPs, tensors read back between stages. */
export const ortNodeRuntime: OrtRuntime = {
  name: 'onnxruntime-node',
  InferenceSession: ortNode.InferenceSession,
  Tensor: ortNode.Tensor,
  env: ortNode.env,
  gpuResidentTensors: false,
};
