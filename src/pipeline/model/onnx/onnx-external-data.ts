/**
 * Turns an ONNX model with embedded weights (one `.onnx` file, as the Hub serves SD-Turbo) into a small
 * graph whose large initializers point, as ONNX external data, into the untouched original bytes.
 *
 * Why: `InferenceSession.create(bytes)` copies the whole file into ORT's wasm heap, which is capped at
 * 4 GiB; the text encoder and UNet together nearly fill it (3.66 GiB measured at real size). Mounted as
 * external data, the bytes stay in JS memory and the WebGPU provider uploads each initializer straight to
 * a GPU buffer, so the heap holds only the graph. On wasm the weights are copied into the heap once,
 * instead of the file and then its tensors.
 *
 * Only the protobuf framing is walked (ModelProto -> GraphProto -> TensorProto); nothing is decoded
 * beyond the fields needed to find each initializer's `raw_data`, so a 1.7 GB file takes milliseconds.
 */
import {
  DATA_LOCATION_EXTERNAL,
  encodeVarint,
  GRAPH_PROTO,
  MODEL_PROTO,
  OnnxFormatError,
  ProtoReader,
  TENSOR_PROTO,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  type ProtoField as Field,
  byteLengthOf,
  concatBytes,
} from './onnx-proto.js';

const MODEL_GRAPH = MODEL_PROTO.graph;
const GRAPH_INITIALIZER = GRAPH_PROTO.initializer;
const TENSOR_RAW_DATA = TENSOR_PROTO.rawData;
const TENSOR_EXTERNAL_DATA = TENSOR_PROTO.externalData;
const TENSOR_DATA_LOCATION = TENSOR_PROTO.dataLocation;
/** StringStringEntryProto's key and value. */
const STRING_ENTRY_KEY = 1;
const STRING_ENTRY_VALUE = 2;

export { OnnxFormatError } from './onnx-proto.js';

/**
 * Tensors smaller than this stay inline: ORT reads small constants (Reshape shapes, axes) during shape
 * inference, where external tensors fail ("Cannot parse data from external tensors").
 */
export const DEFAULT_MIN_EXTERNAL_BYTES = 1024;

export interface ExternalizedModel {
  /** The model with every large initializer's raw_data replaced by a reference into `weights`. */
  graph: Uint8Array;
  /** For `SessionOptions.externalData`: the original file's bytes under the name the graph refers to. */
  externalData: { path: string; data: Uint8Array };
  tensorsMoved: number;
  bytesMoved: number;
}

function lengthDelimited(number: number, payload: readonly number[]): number[] {
  return [...encodeVarint(number * 8 + WIRE_LENGTH_DELIMITED), ...encodeVarint(payload.length), ...payload];
}

function stringEntry(key: string, value: string): number[] {
  const encoder = new TextEncoder();
  return lengthDelimited(TENSOR_EXTERNAL_DATA, [
    ...lengthDelimited(STRING_ENTRY_KEY, [...encoder.encode(key)]),
    ...lengthDelimited(STRING_ENTRY_VALUE, [...encoder.encode(value)]),
  ]);
}

/** Pieces of the output: views into the original bytes or small new encodings, joined once at the end. */
type Piece = Uint8Array;

function header(number: number, payloadLength: number): Piece {
  return Uint8Array.from([
    ...encodeVarint(number * 8 + WIRE_LENGTH_DELIMITED),
    ...encodeVarint(payloadLength),
  ]);
}

interface MoveCount {
  tensors: number;
  bytes: number;
}

/** A TensorProto with its raw_data swapped for an external reference, or undefined to keep it as it is. */
function externalTensor(
  bytes: Uint8Array,
  tensor: Field,
  location: string,
  minBytes: number,
): { pieces: Piece[]; rawLength: number } | undefined {
  const kept: Piece[] = [];
  let raw: Field | undefined;
  for (const field of new ProtoReader(bytes, tensor.valueStart, tensor.end).fields()) {
    // Already external: it points at a file we do not have, and ORT will say so.
    if (field.number === TENSOR_DATA_LOCATION || field.number === TENSOR_EXTERNAL_DATA) return undefined;
    if (field.number === TENSOR_RAW_DATA && field.wireType === WIRE_LENGTH_DELIMITED) raw = field;
    else kept.push(bytes.subarray(field.start, field.end));
  }
  const rawLength = raw ? raw.end - raw.valueStart : 0;
  if (!raw || rawLength < minBytes) return undefined;
  kept.push(
    Uint8Array.from([
      ...stringEntry('location', location),
      ...stringEntry('offset', String(raw.valueStart)),
      ...stringEntry('length', String(rawLength)),
      ...encodeVarint(TENSOR_DATA_LOCATION * 8 + WIRE_VARINT),
      DATA_LOCATION_EXTERNAL,
    ]),
  );
  return { pieces: kept, rawLength };
}

function externalGraph(
  bytes: Uint8Array,
  graph: Field,
  location: string,
  minBytes: number,
  moved: MoveCount,
): Piece[] {
  const pieces: Piece[] = [];
  for (const field of new ProtoReader(bytes, graph.valueStart, graph.end).fields()) {
    const rewritten =
      field.number === GRAPH_INITIALIZER && field.wireType === WIRE_LENGTH_DELIMITED
        ? externalTensor(bytes, field, location, minBytes)
        : undefined;
    if (!rewritten) {
      pieces.push(bytes.subarray(field.start, field.end));
      continue;
    }
    moved.tensors++;
    moved.bytes += rewritten.rawLength;
    pieces.push(header(GRAPH_INITIALIZER, byteLengthOf(rewritten.pieces)), ...rewritten.pieces);
  }
  return pieces;
}

/**
 * The graph of `model` with every initializer of at least `minBytes` of raw_data stored externally, at
 * its own offset in `model` itself under the name `location`. The original bytes are not copied.
 */
export function externalizeInitializers(
  model: Uint8Array,
  location: string,
  minBytes = DEFAULT_MIN_EXTERNAL_BYTES,
): ExternalizedModel {
  const pieces: Piece[] = [];
  const moved: MoveCount = { tensors: 0, bytes: 0 };
  let graphs = 0;
  for (const field of new ProtoReader(model, 0, model.byteLength).fields()) {
    if (field.number !== MODEL_GRAPH || field.wireType !== WIRE_LENGTH_DELIMITED) {
      pieces.push(model.subarray(field.start, field.end));
      continue;
    }
    graphs++;
    const graph = externalGraph(model, field, location, minBytes, moved);
    pieces.push(header(MODEL_GRAPH, byteLengthOf(graph)), ...graph);
  }
  if (graphs === 0) throw new OnnxFormatError('Not a valid ONNX model: it has no graph.');
  const graph = concatBytes(pieces);
  return {
    graph,
    externalData: { path: location, data: model },
    tensorsMoved: moved.tensors,
    bytesMoved: moved.bytes,
  };
}
