/**
 * Rewrites a UNet's int64 timestep input as float32, for ORT's WebGPU graph capture: ORT places int64
 * arithmetic on its CPU EP, and a session with any node there cannot be captured. The exports turn the
 * timestep into float at once (`Cast(to=FLOAT)`, sometimes after reshaping it), so making the input
 * float32 leaves every later node unchanged: the reshapes pass float through and the Cast becomes a no-op
 * that ORT removes. Timesteps are integers below 2^24, so float32 holds each one exactly and the
 * embedding is the same number for number.
 *
 * Only the protobuf framing is walked (as in onnx-fp16-widening.ts); untouched fields are copied as bytes.
 */
import {
  encodeVarint,
  fieldText,
  GRAPH_PROTO,
  MODEL_PROTO,
  OnnxFormatError,
  ProtoReader,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  type ProtoField as Field,
  DATA_TYPE,
  concatBytes,
} from './onnx-proto.js';

const { float: FLOAT, int64: INT64, float16: FLOAT16 } = DATA_TYPE;

const GRAPH_NODE = 1;
const GRAPH_VALUE_INFO = 13;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTRIBUTE = { name: 1, i: 3 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE_PROTO_TENSOR = 1;
const TENSOR_TYPE_ELEM_TYPE = 1;

/** Operators that pass their first input's values on unchanged in another shape, int64 or float alike. */
const RESHAPING_OPERATORS = new Set(['Unsqueeze', 'Squeeze', 'Reshape', 'Expand', 'Flatten', 'Identity']);

/** The timestep reaches an operator that needs it as int64: the rewrite would change the model. */
export class TimestepRewriteError extends Error {
  override name = 'TimestepRewriteError';
}

export interface FloatTimestepModel {
  /** The rewritten graph (or the input bytes, untouched, when the timestep was not int64). */
  graph: Uint8Array;
  /** Whether the input was int64 and is float32 now. */
  rewritten: boolean;
}

interface NodeSummary {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  /** `Cast`'s `to`. */
  castTo?: number;
}

type Piece = Uint8Array;

function lengthDelimited(number: number, pieces: readonly Piece[]): Piece[] {
  const length = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  const header = Uint8Array.from([
    ...encodeVarint(number * 8 + WIRE_LENGTH_DELIMITED),
    ...encodeVarint(length),
  ]);
  return [header, ...pieces];
}

function fieldsOf(bytes: Uint8Array, field: Pick<Field, 'valueStart' | 'end'>): Field[] {
  return [...new ProtoReader(bytes, field.valueStart, field.end).fields()];
}

function readNode(bytes: Uint8Array, field: Field): NodeSummary {
  const node: NodeSummary = { name: '', opType: '', inputs: [], outputs: [] };
  for (const child of fieldsOf(bytes, field)) {
    if (child.wireType !== WIRE_LENGTH_DELIMITED) continue;
    if (child.number === NODE.input) node.inputs.push(fieldText(bytes, child));
    else if (child.number === NODE.output) node.outputs.push(fieldText(bytes, child));
    else if (child.number === NODE.name) node.name = fieldText(bytes, child);
    else if (child.number === NODE.opType) node.opType = fieldText(bytes, child);
    else if (child.number === NODE.attribute) {
      const parts = fieldsOf(bytes, child);
      const name = parts.find((part) => part.number === ATTRIBUTE.name);
      const value = parts.find((part) => part.number === ATTRIBUTE.i && part.wireType === WIRE_VARINT);
      if (name && fieldText(bytes, name) === 'to' && value) node.castTo = value.varint;
    }
  }
  return node;
}

/** The value info's name and its tensor element-type field, if it has one. */
function readValueInfo(bytes: Uint8Array, field: Field): { name: string; elemType?: number } {
  let name = '';
  let elemType: number | undefined;
  for (const child of fieldsOf(bytes, field)) {
    if (child.number === VALUE_INFO.name) name = fieldText(bytes, child);
    if (child.number !== VALUE_INFO.type || child.wireType !== WIRE_LENGTH_DELIMITED) continue;
    for (const typeField of fieldsOf(bytes, child)) {
      if (typeField.number !== TYPE_PROTO_TENSOR || typeField.wireType !== WIRE_LENGTH_DELIMITED) continue;
      for (const tensorField of fieldsOf(bytes, typeField)) {
        if (tensorField.number === TENSOR_TYPE_ELEM_TYPE && tensorField.wireType === WIRE_VARINT) {
          elemType = tensorField.varint;
        }
      }
    }
  }
  return { name, elemType };
}

/** A value info with its tensor element type made float32 (the field rewritten in place, the rest copied). */
function floatValueInfo(bytes: Uint8Array, field: Field): Piece[] {
  const retype = (message: Field, match: (child: Field) => boolean, inner: (child: Field) => Piece[]) =>
    lengthDelimited(
      message.number,
      fieldsOf(bytes, message).flatMap((child) =>
        match(child) ? inner(child) : [bytes.subarray(child.start, child.end)],
      ),
    );
  return retype(
    field,
    (child) => child.number === VALUE_INFO.type && child.wireType === WIRE_LENGTH_DELIMITED,
    (type) =>
      retype(
        type,
        (child) => child.number === TYPE_PROTO_TENSOR && child.wireType === WIRE_LENGTH_DELIMITED,
        (tensor) =>
          retype(
            tensor,
            (child) => child.number === TENSOR_TYPE_ELEM_TYPE && child.wireType === WIRE_VARINT,
            () => [Uint8Array.from([...encodeVarint(TENSOR_TYPE_ELEM_TYPE * 8 + WIRE_VARINT), FLOAT])],
          ),
      ),
  );
}

/**
 * The tensors that carry the timestep's values until a Cast to float: the input and what the reshaping
 * operators make of it. Any other reader of them needs int64 and is refused.
 */
function timestepTensors(nodes: readonly NodeSummary[], input: string): Set<string> {
  const carried = new Set([input]);
  for (let grew = true; grew;) {
    grew = false;
    for (const node of nodes) {
      const reads = node.inputs.findIndex((name) => carried.has(name));
      if (reads < 0) continue;
      const label = `${node.opType} node "${node.name || node.outputs[0]}"`;
      if (node.opType === 'Cast') {
        if (node.castTo === FLOAT || node.castTo === FLOAT16) continue;
        throw new TimestepRewriteError(`The timestep is cast to element type ${node.castTo} by ${label}.`);
      }
      if (
        !RESHAPING_OPERATORS.has(node.opType) ||
        reads !== 0 ||
        node.inputs.slice(1).some((n) => carried.has(n))
      ) {
        throw new TimestepRewriteError(`The timestep is read as int64 by ${label}.`);
      }
      for (const output of node.outputs) {
        if (!carried.has(output)) {
          carried.add(output);
          grew = true;
        }
      }
    }
  }
  return carried;
}

function rewriteGraph(bytes: Uint8Array, graph: Field, input: string): Piece[] | undefined {
  const children = fieldsOf(bytes, graph);
  const inputs = children.filter((child) => child.number === GRAPH_PROTO.input);
  const timestep = inputs
    .map((field) => ({ field, ...readValueInfo(bytes, field) }))
    .find((v) => v.name === input);
  if (!timestep) throw new OnnxFormatError(`The model has no input "${input}".`);
  if (timestep.elemType !== INT64) return undefined;
  const nodes = children
    .filter((child) => child.number === GRAPH_NODE)
    .map((field) => readNode(bytes, field));
  const carried = timestepTensors(nodes, input);
  const pieces = children.flatMap((child) => {
    const retype =
      (child.number === GRAPH_PROTO.input || child.number === GRAPH_VALUE_INFO) &&
      carried.has(readValueInfo(bytes, child).name);
    return retype ? floatValueInfo(bytes, child) : [bytes.subarray(child.start, child.end)];
  });
  return lengthDelimited(graph.number, pieces);
}

/** `model` with its int64 input `input` (the UNet's timestep) made float32; see the file's comment. */
export function floatTimestepModel(model: Uint8Array, input: string): FloatTimestepModel {
  const pieces: Piece[] = [];
  let graphs = 0;
  let rewritten = false;
  for (const field of new ProtoReader(model, 0, model.byteLength).fields()) {
    if (field.number === MODEL_PROTO.graph && field.wireType === WIRE_LENGTH_DELIMITED) {
      graphs++;
      const graph = rewriteGraph(model, field, input);
      if (graph) {
        rewritten = true;
        pieces.push(...graph);
        continue;
      }
    }
    pieces.push(model.subarray(field.start, field.end));
  }
  if (graphs === 0) throw new OnnxFormatError('Not a valid ONNX model: it has no graph.');
  return rewritten ? { graph: concatBytes(pieces), rewritten } : { graph: model, rewritten };
}
