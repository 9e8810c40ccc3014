/**
 * The manifest entry of an FP16 model as it runs widened to FP32 (WebGPU without `shader-f16`): the same
 * files, with every float16 input and output made float32, as onnx-fp16-widening.ts makes the graphs.
 * The stage runs read element types from the entry, so they feed and read FP32 tensors.
 */
import type { ModelEntry, ModelStageName, TensorSpec } from './manifest-types.js';

function widenSpecs<Specs extends Record<string, TensorSpec>>(specs: Specs): Specs {
  const widened = Object.entries(specs).map(([key, spec]) => [
    key,
    spec.type === 'float16' ? { ...spec, type: 'float32' } : spec,
  ]);
  return Object.fromEntries(widened) as Specs;
}

/** `asStored`: stages that run unwidened (a text encoder placed on wasm), their specs kept as they are. */
export function widenedModelEntry(model: ModelEntry, asStored: readonly ModelStageName[] = []): ModelEntry {
  const stages = Object.fromEntries(
    Object.entries(model.stages).map(([name, stage]) => [
      name,
      asStored.includes(name as ModelStageName)
        ? stage
        : { ...stage, inputs: widenSpecs(stage.inputs), outputs: widenSpecs(stage.outputs) },
    ]),
  ) as ModelEntry['stages'];
  return { ...model, stages };
}
