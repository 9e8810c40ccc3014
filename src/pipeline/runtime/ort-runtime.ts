/**
 * The seam between the pipeline and an ONNX Runtime build. The stage code only ever constructs sessions
 * and tensors through an `OrtRuntime`, so the same pipeline runs on onnxruntime-web in a browser (the
 * default, see ./ort-web-runtime.ts) and on onnxruntime-node (src/node). The two builds share
 * onnxruntime-common's types but not its classes: a Tensor made by one cannot feed the other's sessions.
 */
import type { Env, InferenceSession, Tensor } from 'onnxruntime-web/webgpu';

export interface OrtRuntime {
  /** For messages: 'onnxruntime-web' or 'onnxruntime-node'. */
  readonly name: string;
  readonly InferenceSession: { create: typeof InferenceSession.create };
  readonly Tensor: typeof Tensor;
  readonly env: Env;
  /**
   * Whether tensors can stay in GPU buffers between stages (`Tensor.fromGpuBuffer` on ORT's own
   * GPUDevice, `env.webgpu.device`): onnxruntime-web's WebGPU build only; onnxruntime-node hands out no
   * device, so its WebGPU EP reads every stage's output back.
   */
  readonly gpuResidentTensors: boolean;
}
