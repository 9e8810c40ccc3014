/**
 * ORT WebGPU graph capture: the first `session.run` records its GPU commands and later runs replay them,
 * so the page's thread no longer issues each of a UNet step's ~770 kernels. ORT allows it only when every
 * node of a session runs on the WebGPU EP (no CPU node, no memcpy), every input and output is a GPU
 * buffer, and those buffers are the same on every run (it binds them once). GpuStageRun keeps all of them
 * in buffers allocated at load; what stands in the way in the exports is the UNet's int64 timestep, whose
 * nodes ORT runs on its CPU EP: at load it is made float32 (onnx-float-timestep.ts).
 *
 * With that, onnxruntime-web 1.30 creates every captured session and its first (capturing) run succeeds,
 * but the second run fails: its WebGPU build unregisters each caller-owned GPU buffer at the end of every
 * `session.run` (`webgpuUnregisterBuffer`, releasing the buffer's handle), while the captured commands
 * keep those handles, so the replay's `createBindGroup` gets an undefined buffer. (A lone session run
 * twice can get the same handles back by chance; the pipeline's sessions, which share buffers, do not.)
 * Only buffers ORT allocated itself stay registered, and the pipeline's inputs are written by its own WGSL
 * passes. Until a release keeps caller buffers registered, the pipeline refuses capture on those versions
 * with that reason (tests/graph-capture.browser.scale.test.ts shows the failing replay on ORT directly).
 */
import { PipelineError } from '../errors.js';
import type { ModelEntry, ModelFile } from '../model/manifest-types.js';
import { TimestepRewriteError, floatTimestepModel } from '../model/onnx/onnx-float-timestep.js';
import type { OrtRuntime } from '../runtime/ort-runtime.js';
import type { ProviderChoice, TensorResidency } from '../types.js';

/** The last onnxruntime-web release measured to drop caller buffers before a captured graph's replay. */
export const LAST_UNREPLAYABLE_ORT_WEB = '1.30.0';

function versionAtMost(version: string, limit: string): boolean {
  const parts = version.split(/[.-]/).map(Number);
  const limits = limit.split('.').map(Number);
  for (let i = 0; i < limits.length; i++) {
    if ((parts[i] ?? 0) !== limits[i]) return (parts[i] ?? 0) < limits[i];
  }
  return true;
}

/** Why graph capture cannot run with this provider and residency, or undefined when it can. */
export function graphCaptureRefusal(
  provider: ProviderChoice,
  residency: TensorResidency,
  runtime: OrtRuntime,
): string | undefined {
  if (provider.provider !== 'webgpu') {
    return `Graph capture is an option of ORT's WebGPU provider, not of ${provider.provider}.`;
  }
  if (!runtime.gpuResidentTensors) {
    return 'Graph capture needs GPU-buffer inputs and outputs, which this ONNX Runtime build cannot give.';
  }
  if (residency !== 'gpu') {
    return "Graph capture needs every input and output in GPU buffers: use residency 'gpu', not 'cpu'.";
  }
  const version = runtime.env.versions.web;
  if (runtime.name === 'onnxruntime-web' && version && versionAtMost(version, LAST_UNREPLAYABLE_ORT_WEB)) {
    return (
      `Graph capture cannot replay on onnxruntime-web ${version}: its WebGPU build releases each ` +
      "caller-owned GPU buffer's handle at the end of every session.run, and the captured commands " +
      'reuse those handles (the second run fails in createBindGroup). The UNet is capturable (its int64 ' +
      'timestep is made float32 at load); the runtime is not yet.'
    );
  }
  return undefined;
}

/** The entry as the captured sessions take it: an int64 timestep becomes float32, as the graph does. */
export function capturedModelEntry(model: ModelEntry): ModelEntry {
  const { unet } = model.stages;
  if (unet.inputs.timestep.type !== 'int64') return model;
  const timestep = { ...unet.inputs.timestep, type: 'float32' as const };
  return {
    ...model,
    stages: { ...model.stages, unet: { ...unet, inputs: { ...unet.inputs, timestep } } },
  };
}

/** The UNet's graph with a float32 timestep, or the precise reason it cannot be captured. */
export function capturableUnetGraph(graph: Uint8Array, timestep: string, file: ModelFile): Uint8Array {
  try {
    return floatTimestepModel(graph, timestep).graph;
  } catch (error) {
    if (!(error instanceof TimestepRewriteError)) throw error;
    throw new PipelineError(
      'invalid-input',
      `Graph capture cannot run ${file.path}: ${error.message} ORT would run that int64 node on its CPU ` +
        'EP, and a session with any CPU node cannot be captured. Turn graph capture off.',
      { cause: error },
    );
  }
}
