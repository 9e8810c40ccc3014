/**
 * Small ONNX files with chosen inputs and outputs, for checks that read a file's signature only (they are
 * valid models, not meaningful ones): a text encoder of another width, a UNet with a wrong timestep...
 */
import { GraphBuilder, type Dim, type ElementType } from '../../scripts/onnx-builder/onnx-graph.js';

export interface TensorDeclaration {
  name: string;
  type: ElementType;
  dims: Dim[];
}

/** A model whose every output is an Identity of its first input, with one weight of `weightCount` floats. */
export function signatureModel(
  inputs: readonly TensorDeclaration[],
  outputs: readonly TensorDeclaration[],
  weightCount = 256,
): Uint8Array<ArrayBuffer> {
  const graph = new GraphBuilder('float32', 'sd-turbo-web tests/support/onnx-variants.ts');
  for (const input of inputs) graph.addInput(input.name, input.type, input.dims);
  graph.weight('weight', [weightCount], new Float32Array(weightCount).fill(0.5));
  for (const output of outputs) {
    graph.addOutput(graph.node('Identity', [inputs[0].name]), output.name, output.type, output.dims);
  }
  // A copy on an ArrayBuffer of its own, so it can be a Blob part.
  return new Uint8Array(graph.encode('variant', 'a test stand-in with chosen inputs and outputs'));
}

/** A CLIP-like text encoder's signature with a text width of `hidden` (SD-Turbo: 1024, tiny: 32). */
export function textEncoderOfWidth(hidden: number): Uint8Array<ArrayBuffer> {
  return signatureModel(
    [{ name: 'input_ids', type: 'int32', dims: ['batch_size', 77] }],
    [{ name: 'last_hidden_state', type: 'float32', dims: ['batch_size', 77, hidden] }],
  );
}
