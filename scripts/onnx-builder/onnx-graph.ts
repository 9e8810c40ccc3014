/**
 * A minimal ONNX graph builder over onnx-proto's generated protobuf classes: enough to write the
 * generated stand-in models (tiny and stand-in), nothing more. Weight values are drawn lazily, when the
 * model is encoded or streamed to a file, so a full-size model never has to sit in memory.
 */
import { createRequire } from 'node:module';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { toFloat16Bits } from '../../src/pipeline/engine/float16.js';

// onnx-proto is CommonJS that assigns `module.exports` wholesale, so Node's ESM loader sees no named
// exports; require() is the reliable way in (these scripts only ever run in Node).
export const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNamespace };

export type ElementType = 'float32' | 'float16' | 'int32' | 'int64';
export type FloatType = 'float32' | 'float16';
/** A fixed size, or a symbolic name (dim_param) that ORT's freeDimensionOverrides can pin. */
export type Dim = number | string;
/** Integers and integer lists map to INT/INTS; floats must say so, as ONNX types attributes strictly. */
export type AttributeValue = number | number[] | string | { float: number };

/** ONNX IR version 8 pairs with opset 17, the newest both onnx-proto's schema and ORT-web cover. */
const IR_VERSION = 8;
const OPSET = 17;

const DEFAULT_PRODUCER = 'sd-turbo-web scripts/make-tiny-models.ts';

const DATA_TYPE: Record<ElementType, OnnxNamespace.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

export const ELEMENT_BYTES: Record<ElementType, number> = { float32: 4, float16: 2, int32: 4, int64: 8 };

/** Values of a weight, or a function that draws them when the model is written (called once). */
export type WeightValues = Float32Array | (() => Float32Array);

/** An initializer whose raw_data is produced only when the model is written. */
export interface PendingTensor {
  /** Every TensorProto field but raw_data: name, data_type, dims. */
  header: OnnxNamespace.ITensorProto;
  type: ElementType;
  /** Number of elements: raw_data is count * ELEMENT_BYTES[type] bytes. */
  count: number;
  values: () => ArrayLike<number>;
}

/**
 * A model split where its weights go. protobuf-js writes fields in field-number order and a message's
 * encoding may be concatenated from encodings of disjoint field subsets, so
 * modelHead + graph(graphHead + initializers + graphTail) + modelTail is byte for byte what one
 * in-memory ModelProto.encode gives.
 */
export interface ModelParts {
  /** ModelProto fields 1-6 (ir_version, producer_name, doc_string): those before graph (7). */
  modelHead: OnnxNamespace.IModelProto;
  /** GraphProto fields 1-2 (node, name): those before initializer (5). */
  graphHead: OnnxNamespace.IGraphProto;
  initializers: PendingTensor[];
  /** GraphProto fields 11-12 (input, output). */
  graphTail: OnnxNamespace.IGraphProto;
  /** ModelProto field 8 (opset_import). */
  modelTail: OnnxNamespace.IModelProto;
}

export class GraphBuilder {
  private readonly nodes: OnnxNamespace.INodeProto[] = [];
  private readonly initializers: PendingTensor[] = [];
  private readonly inputs: OnnxNamespace.IValueInfoProto[] = [];
  private readonly outputs: OnnxNamespace.IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private finished = false;

  /**
   * @param floatType element type of the weights and of the arithmetic inside the graph
   * @param producerName recorded in the ModelProto
   */
  constructor(
    readonly floatType: FloatType,
    private readonly producerName = DEFAULT_PRODUCER,
  ) {}

  addInput(name: string, type: ElementType, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, dims));
    return name;
  }

  /** Declares `value` a graph output named `name`, by renaming its producer's output (no Identity node). */
  addOutput(value: string, name: string, type: ElementType, dims: Dim[]): void {
    const producer = this.nodes.find((node) => node.output?.includes(value));
    if (!producer?.output) throw new Error(`no node produces ${value}`);
    if (this.nodes.some((node) => node.input?.includes(value))) {
      throw new Error(`${value} also feeds another node; graph outputs here are final values`);
    }
    producer.output = producer.output.map((output) => (output === value ? this.claim(name) : output));
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A weight tensor stored in the graph's float type. */
  weight(name: string, dims: number[], values: WeightValues): string {
    return this.initializer(name, this.floatType, dims, values);
  }

  /** A scalar constant in the graph's float type. */
  scalar(name: string, value: number): string {
    return this.weight(name, [], Float32Array.of(value));
  }

  float32(name: string, dims: number[], values: number[]): string {
    return this.initializer(name, 'float32', dims, Float32Array.from(values));
  }

  int64(name: string, dims: number[], values: number[]): string {
    return this.initializer(name, 'int64', dims, values);
  }

  /** Appends a node and returns the name of its (single) output. */
  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.nodeWithOutputs(opType, inputs, 1, attributes)[0];
  }

  /** Appends a node with several outputs (Split) and returns their names. */
  nodeWithOutputs(
    opType: string,
    inputs: string[],
    outputCount: number,
    attributes: Record<string, AttributeValue> = {},
  ): string[] {
    const name = this.uniqueName(opType);
    const outputs = [name];
    for (let index = 1; index < outputCount; index++) outputs.push(this.claim(`${name}:${index}`));
    this.nodes.push({
      opType,
      name,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outputs;
  }

  cast(x: string, to: ElementType): string {
    return this.node('Cast', [x], { to: DATA_TYPE[to] });
  }

  /** Serialises the model in memory; protobuf encoding of the same messages is byte-for-byte stable. */
  encode(graphName: string, docString: string): Uint8Array {
    const parts = this.parts(graphName, docString);
    const initializer = parts.initializers.map((tensor) => ({
      ...tensor.header,
      rawData: drawBytes(tensor),
    }));
    const model = onnx.ModelProto.create({
      ...parts.modelHead,
      ...parts.modelTail,
      graph: { ...parts.graphHead, initializer, ...parts.graphTail },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /** The model in pieces for a streaming writer. A builder is finished once: weights are drawn once. */
  parts(graphName: string, docString: string): ModelParts {
    if (this.finished) throw new Error('this graph was already encoded');
    this.finished = true;
    return {
      modelHead: { irVersion: IR_VERSION, producerName: this.producerName, docString },
      graphHead: { node: this.nodes, name: graphName },
      initializers: this.initializers,
      graphTail: { input: this.inputs, output: this.outputs },
      modelTail: { opsetImport: [{ domain: '', version: OPSET }] },
    };
  }

  private initializer(
    name: string,
    type: ElementType,
    dims: number[],
    values: WeightValues | ArrayLike<number>,
  ): string {
    this.initializers.push({
      header: { name: this.claim(name), dataType: DATA_TYPE[type], dims },
      type,
      count: dims.reduce((a, b) => a * b, 1),
      values: typeof values === 'function' ? values : () => values,
    });
    return name;
  }

  private claim(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`duplicate tensor name ${name}`);
    this.usedNames.add(name);
    return name;
  }

  private uniqueName(prefix: string): string {
    let index = 0;
    while (this.usedNames.has(`${prefix}_${index}`)) index++;
    return this.claim(`${prefix}_${index}`);
  }
}

function valueInfo(name: string, type: ElementType, dims: Dim[]): OnnxNamespace.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: DATA_TYPE[type], shape: { dim } } } };
}

function attribute(name: string, value: AttributeValue): OnnxNamespace.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') {
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  }
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  return { name, type: AttributeType.FLOAT, f: value.float };
}

/** Draws a pending tensor's values and returns them as raw_data bytes. */
export function drawBytes(tensor: PendingTensor): Uint8Array {
  const values = tensor.values();
  if (values.length !== tensor.count) {
    throw new Error(`${tensor.header.name}: ${values.length} values for ${tensor.count} elements`);
  }
  return rawBytes(tensor.type, values);
}

/** raw_data is little-endian by the ONNX spec, so typed-array bytes are only right on such a host. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function rawBytes(type: ElementType, values: ArrayLike<number>): Uint8Array {
  if (!HOST_IS_LITTLE_ENDIAN) throw new Error('big-endian hosts are not supported');
  const typed = typedArray(type, values);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

function typedArray(type: ElementType, values: ArrayLike<number>): ArrayBufferView {
  switch (type) {
    case 'float32':
      return Float32Array.from(values);
    case 'float16':
      return toFloat16Bits(values);
    case 'int32':
      return Int32Array.from(values);
    case 'int64':
      return BigInt64Array.from(Array.from(values, (value) => BigInt(value)));
  }
}
