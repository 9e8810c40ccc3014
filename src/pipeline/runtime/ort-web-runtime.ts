import * as ort from 'onnxruntime-web/webgpu';
import { withBoundedUploads } from './bounded-uploads.js';
import type { OrtRuntime } from './ort-runtime.js';

type CreateSession = typeof ort.InferenceSession.create;

/** Every session's weights uploaded without piling up staging memory (bounded-uploads.ts). */
const createSession = ((...args: Parameters<CreateSession>) =>
  withBoundedUploads(() => ort.InferenceSession.create(...args))) as CreateSession;

/** The browser's runtime: onnxruntime-web's WebGPU build, which also carries the wasm EP. */
export const ortWebRuntime: OrtRuntime = {
  name: 'onnxruntime-web',
  InferenceSession: { create: createSession },
  Tensor: ort.Tensor,
  env: ort.env,
  gpuResidentTensors: true,
};
