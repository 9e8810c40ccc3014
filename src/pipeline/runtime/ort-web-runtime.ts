import * as ort from 'onnxruntime-web/webgpu';
import type { OrtRuntime } from './ort-runtime.js';

/** The browser's runtime: onnxruntime-web's WebGPU build, which also carries the wasm EP. */
export const ortWebRuntime: OrtRuntime = {
  name: 'onnxruntime-web',
  InferenceSession: ort.InferenceSession,
  Tensor: ort.Tensor,
  env: ort.env,
  gpuResidentTensors: true,
};
