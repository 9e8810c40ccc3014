/**
 * One ONNX graph cut into consecutive parts along its node order, each part a model of its own holding
 * about an equal share of the weights. Run one after another, each part given the values the earlier ones
 * made, the parts compute what the whole graph does, while only one part's weights need be on the device.
 * Low-memory mode runs the UNet this way where it alone is much larger than the other stages.
 *
 * The graph is walked as protobuf framing (onnx-proto.ts); nodes, initializers and value infos are copied
 * as they are. A graph whose initializers are external (onnx-external-data.ts, the widened pieces) keeps its
 * references, so every part can be given the same `externalData`.
 */
import { lengthDelimited, varintField, type Piece } from './onnx-fp16-widening.js';
import {
  fieldText,
  GRAPH_PROTO,
  MODEL_PROTO,
  OnnxFormatError,
  ProtoReader,
  TENSOR_PROTO,
  WIRE_LENGTH_DELIMITED,
  type ProtoField,
  concatBytes,
} from './onnx-proto.js';

/** NodeProto's, AttributeProto's, ValueInfoProto's and TypeProto's fields used here (onnx.proto). */
const NODE = { input: 1, output: 2 } as const;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPHS = [6, 11];
const GRAPH_NODE = 1;
const GRAPH_VALUE_INFO = 13;
const GRAPH_SPARSE_INITIALIZER = 15;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE_TENSOR = 1;
const TENSOR_TYPE = { elementType: 1, shape: 2 } as const;
/** TensorShapeProto's dim, and its Dimension's dim_value. */
const SHAPE_DIM = 1;
const DIMENSION_VALUE = 1;
const STRING_ENTRY = { key: 1, value: 2 } as const;

export class GraphSplitError extends Error {
  override name = 'GraphSplitError';
}

/** One part: which values it takes and gives, and the weights it holds. */
export interface GraphPart {
  /** The whole graph's inputs it reads, then the values earlier parts make for it, in first-use order. */
  inputs: string[];
  /** The whole graph's outputs it makes, and the values later parts read from it. */
  outputs: string[];
  /** Bytes of the initializers its nodes use (an initializer used by two parts is in both). */
  weightBytes: number;
}

/** What a value an earlier part made is: its ONNX DataType and, where known, its dimensions. */
export interface ValueType {
  elementType: number;
  dims?: readonly number[];
}

export interface GraphSplit {
  parts: GraphPart[];
  /**
   * Part `index` as a ModelProto. `inputTypes` says what each value an earlier part makes for it is (the
   * tensors those parts gave): with their dimensions the part's inputs are static, as WebNN needs. A value
   * missing there keeps the graph's value_info for it, where it has one.
   */
  model(index: number, inputTypes?: ReadonlyMap<string, ValueType>): Uint8Array;
}

interface Node {
  bytes: Uint8Array;
  inputs: string[];
  outputs: string[];
}

interface Initializer {
  bytes: Uint8Array;
  weightBytes: number;
}

interface ParsedGraph {
  /** The ModelProto's fields other than its graph, copied into every part. */
  modelFields: Uint8Array[];
  /** The GraphProto's name and other fields every part keeps. */
  graphFields: Uint8Array[];
  nodes: Node[];
  initializers: Map<string, Initializer>;
  inputs: Map<string, Uint8Array>;
  outputs: Map<string, Uint8Array>;
  valueInfos: Map<string, Uint8Array>;
}

function repeatedText(bytes: Uint8Array, message: ProtoField, number: number): string[] {
  const texts: string[] = [];
  for (const field of new ProtoReader(bytes, message.valueStart, message.end).fields()) {
    if (field.number === number && field.wireType === WIRE_LENGTH_DELIMITED)
      texts.push(fieldText(bytes, field));
  }
  return texts;
}

function hasSubgraph(bytes: Uint8Array, node: ProtoField): boolean {
  for (const field of new ProtoReader(bytes, node.valueStart, node.end).fields()) {
    if (field.number !== NODE_ATTRIBUTE || field.wireType !== WIRE_LENGTH_DELIMITED) continue;
    for (const attribute of new ProtoReader(bytes, field.valueStart, field.end).fields()) {
      if (ATTRIBUTE_GRAPHS.includes(attribute.number)) return true;
    }
  }
  return false;
}

/** An initializer's name and the bytes of its values: inline, or the `length` of its external reference. */
function readInitializer(bytes: Uint8Array, tensor: ProtoField): { name: string; weightBytes: number } {
  let name = '';
  let weightBytes = tensor.end - tensor.valueStart;
  for (const field of new ProtoReader(bytes, tensor.valueStart, tensor.end).fields()) {
    if (field.number === TENSOR_PROTO.name) name = fieldText(bytes, field);
    else if (field.number === TENSOR_PROTO.rawData) weightBytes = field.end - field.valueStart;
    else if (field.number === TENSOR_PROTO.externalData) {
      const [key] = repeatedText(bytes, field, STRING_ENTRY.key);
      const [value] = repeatedText(bytes, field, STRING_ENTRY.value);
      if (key === 'length' && value !== undefined) weightBytes = Number(value);
    }
  }
  return { name, weightBytes };
}

function parseGraph(model: Uint8Array): ParsedGraph {
  const parsed: ParsedGraph = {
    modelFields: [],
    graphFields: [],
    nodes: [],
    initializers: new Map(),
    inputs: new Map(),
    outputs: new Map(),
    valueInfos: new Map(),
  };
  let graph: ProtoField | undefined;
  for (const field of new ProtoReader(model, 0, model.byteLength).fields()) {
    if (field.number === MODEL_PROTO.graph && field.wireType === WIRE_LENGTH_DELIMITED) graph = field;
    else parsed.modelFields.push(model.subarray(field.start, field.end));
  }
  if (!graph) throw new OnnxFormatError('Not a valid ONNX model: it has no graph.');
  for (const field of new ProtoReader(model, graph.valueStart, graph.end).fields()) {
    const bytes = model.subarray(field.start, field.end);
    switch (field.number) {
      case GRAPH_NODE:
        if (hasSubgraph(model, field)) {
          throw new GraphSplitError('The graph has a node with a subgraph, which cannot be cut apart.');
        }
        parsed.nodes.push({
          bytes,
          inputs: repeatedText(model, field, NODE.input).filter((name) => name !== ''),
          outputs: repeatedText(model, field, NODE.output).filter((name) => name !== ''),
        });
        break;
      case GRAPH_PROTO.initializer: {
        const { name, weightBytes } = readInitializer(model, field);
        parsed.initializers.set(name, { bytes, weightBytes });
        break;
      }
      case GRAPH_SPARSE_INITIALIZER:
        throw new GraphSplitError('The graph has a sparse initializer, which is not cut apart here.');
      case GRAPH_PROTO.input:
      case GRAPH_PROTO.output:
      case GRAPH_VALUE_INFO: {
        const [name = ''] = repeatedText(model, field, VALUE_INFO.name);
        const map =
          field.number === GRAPH_PROTO.input
            ? parsed.inputs
            : field.number === GRAPH_PROTO.output
              ? parsed.outputs
              : parsed.valueInfos;
        map.set(name, bytes);
        break;
      }
      default:
        parsed.graphFields.push(bytes);
    }
  }
  return parsed;
}

/**
 * Where each part ends: after the node at which the weights used so far first reach the part's share.
 * Weights count at their first use; a graph without weights is cut by node count.
 */
function cutPoints(graph: ParsedGraph, partCount: number): number[] {
  const counted = new Set<string>();
  const cumulative: number[] = [];
  let total = 0;
  for (const node of graph.nodes) {
    for (const name of node.inputs) {
      const initializer = graph.initializers.get(name);
      if (!initializer || counted.has(name)) continue;
      counted.add(name);
      total += initializer.weightBytes;
    }
    cumulative.push(total);
  }
  const ends: number[] = [];
  for (let part = 1; part < partCount; part++) {
    const share = total > 0 ? (total * part) / partCount : 0;
    const previous = ends.at(-1) ?? 0;
    let end =
      total > 0
        ? cumulative.findIndex((bytes) => bytes >= share) + 1
        : Math.round((graph.nodes.length * part) / partCount);
    // Every part keeps at least one node.
    end = Math.min(Math.max(end, previous + 1), graph.nodes.length - (partCount - part));
    ends.push(end);
  }
  ends.push(graph.nodes.length);
  return ends;
}

function planParts(graph: ParsedGraph, ends: number[]): { nodes: Node[]; part: GraphPart }[] {
  const producer = new Map<string, number>();
  const lastReader = new Map<string, number>();
  const partOf = (nodeIndex: number) => ends.findIndex((end) => nodeIndex < end);
  graph.nodes.forEach((node, index) => {
    const part = partOf(index);
    for (const name of node.outputs) producer.set(name, part);
    for (const name of node.inputs) lastReader.set(name, Math.max(lastReader.get(name) ?? -1, part));
  });
  for (const name of graph.outputs.keys()) {
    if (!producer.has(name)) {
      throw new GraphSplitError(`The graph output "${name}" is not made by a node, so no part can give it.`);
    }
  }
  return ends.map((end, index) => {
    const nodes = graph.nodes.slice(index === 0 ? 0 : ends[index - 1], end);
    const inputs = new Set<string>();
    const outputs = new Set<string>();
    const used = new Set<string>();
    let weightBytes = 0;
    for (const node of nodes) {
      for (const name of node.inputs) {
        const initializer = graph.initializers.get(name);
        if (initializer) {
          if (!used.has(name)) weightBytes += initializer.weightBytes;
          used.add(name);
        } else if (producer.get(name) !== index) {
          if (!graph.inputs.has(name) && producer.get(name) === undefined) {
            throw new GraphSplitError(`The node input "${name}" is made by no node and is no graph input.`);
          }
          inputs.add(name);
        }
      }
      for (const name of node.outputs) {
        if (graph.outputs.has(name) || (lastReader.get(name) ?? -1) > index) outputs.add(name);
      }
    }
    return { nodes, part: { inputs: [...inputs], outputs: [...outputs], weightBytes } };
  });
}

/** A graph input's ValueInfoProto: a tensor of `type` (of any shape where it gives no dimensions). */
function tensorValueInfo(name: string, type: ValueType): Piece[] {
  const dims = (type.dims ?? []).flatMap((size) =>
    lengthDelimited(SHAPE_DIM, [varintField(DIMENSION_VALUE, size)]),
  );
  const tensorType = lengthDelimited(TYPE_TENSOR, [
    varintField(TENSOR_TYPE.elementType, type.elementType),
    ...(type.dims ? lengthDelimited(TENSOR_TYPE.shape, dims) : []),
  ]);
  return lengthDelimited(GRAPH_PROTO.input, [
    ...lengthDelimited(VALUE_INFO.name, [new TextEncoder().encode(name)]),
    ...lengthDelimited(VALUE_INFO.type, tensorType),
  ]);
}

/** A value info of the graph's, moved to another field of GraphProto (input, output or value_info). */
function asField(number: number, valueInfo: Uint8Array): Piece[] {
  const field = new ProtoReader(valueInfo, 0, valueInfo.byteLength).fields().next().value as ProtoField;
  return lengthDelimited(number, [valueInfo.subarray(field.valueStart, field.end)]);
}

function partModel(
  graph: ParsedGraph,
  nodes: Node[],
  part: GraphPart,
  inputTypes: ReadonlyMap<string, ValueType>,
): Uint8Array {
  const made = new Set(nodes.flatMap((node) => node.outputs));
  const pieces: Piece[] = [...graph.graphFields];
  for (const node of nodes) pieces.push(node.bytes);
  const initializers = new Set(
    nodes.flatMap((node) => node.inputs.filter((name) => graph.initializers.has(name))),
  );
  for (const name of initializers) pieces.push(graph.initializers.get(name)!.bytes);
  for (const name of part.inputs) {
    const original = graph.inputs.get(name);
    const type = inputTypes.get(name);
    const known = original ?? (type ? undefined : graph.valueInfos.get(name));
    if (known) pieces.push(...asField(GRAPH_PROTO.input, known));
    else if (type) pieces.push(...tensorValueInfo(name, type));
    else throw new GraphSplitError(`The type of "${name}", made by an earlier part, was not given.`);
  }
  for (const name of part.outputs) {
    const known = graph.outputs.get(name) ?? graph.valueInfos.get(name);
    // A part's output needs no type: ORT infers it from the node that makes it.
    pieces.push(
      ...(known
        ? asField(GRAPH_PROTO.output, known)
        : lengthDelimited(
            GRAPH_PROTO.output,
            lengthDelimited(VALUE_INFO.name, [new TextEncoder().encode(name)]),
          )),
    );
  }
  for (const [name, valueInfo] of graph.valueInfos) {
    if (made.has(name) && !part.outputs.includes(name)) pieces.push(valueInfo);
  }
  return concatBytes([...graph.modelFields, ...lengthDelimited(MODEL_PROTO.graph, pieces)]);
}

/** `model` cut into `partCount` parts of about equal weights (1 gives the graph back as one part). */
export function splitGraph(model: Uint8Array, partCount: number): GraphSplit {
  if (!Number.isInteger(partCount) || partCount < 1) {
    throw new GraphSplitError(`A graph is cut into a whole number of parts, at least 1, not ${partCount}.`);
  }
  const graph = parseGraph(model);
  if (graph.nodes.length < partCount) {
    throw new GraphSplitError(
      `A graph of ${graph.nodes.length} nodes cannot be cut into ${partCount} parts.`,
    );
  }
  const planned = planParts(graph, cutPoints(graph, partCount));
  return {
    parts: planned.map(({ part }) => part),
    model(index, inputTypes = new Map()) {
      const plan = planned[index];
      if (!plan) throw new GraphSplitError(`There is no part ${index} of ${planned.length}.`);
      return partModel(graph, plan.nodes, plan.part, inputTypes);
    },
  };
}
