/**
 * A model file's inputs and outputs (names, element types, shapes with their symbolic dimensions) and a
 * summary of its weights, read from a Blob through small slices: the file is never read whole. A 1.7 GB
 * UNet is its graph's nodes (a few hundred KB, read in growing windows), then each initializer's first
 * bytes (its type and name; the weights themselves are skipped), then the inputs and outputs.
 */
import { canStartOnnxModel, describeBytes, ONNX_HEADER_BYTES } from './onnx-header.js';
import {
  DATA_LOCATION_EXTERNAL,
  ELEMENT_TYPES,
  fieldText,
  GRAPH_PROTO,
  MODEL_PROTO,
  OnnxFormatError,
  ProtoReader,
  TENSOR_PROTO,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  type ProtoField,
} from './onnx-proto.js';

/** One graph input or output, as ORT's session metadata would give it. */
export interface TensorSignature {
  name: string;
  /** ORT's element type name ('float32', 'float16', 'int32', 'int64', ...), or what else the value is. */
  type: string;
  /** Fixed sizes and symbolic names; '?' for a dimension with neither. Absent when the file gives no shape. */
  shape?: (number | string)[];
}

export interface WeightSummary {
  /** Bytes of the initializers per element type: FP16 or FP32 weights. */
  bytesByType: Record<string, number>;
  /** The largest initializer: a lower bound on the largest buffer a shader binds. */
  largestTensorBytes: number;
  /** Initializers whose bytes are in another file, which the browser was not given. */
  externalTensors: number;
}

export interface OnnxSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  weights: WeightSummary;
}

/** What is read of a file: a Blob or File, or anything that slices like one (tests count the bytes read). */
export interface SliceableFile {
  readonly size: number;
  slice(start: number, end: number): Blob;
}

/** TypeProto's fields other than tensor_type, for a message that says what a value is instead. */
const NON_TENSOR_TYPES: Record<number, string> = {
  4: 'sequence',
  5: 'map',
  8: 'sparse tensor',
  9: 'optional',
};
/** An initializer's type and name come before its raw_data (serializers write fields in number order). */
const TENSOR_PREFIX_BYTES = 2048;
/** A field's tag and length take at most 15 bytes; more is read at once, since fields follow each other. */
const HEADER_BYTES = 16;

export async function readOnnxSignature(file: SliceableFile): Promise<OnnxSignature> {
  const reader = new SliceReader(file);
  const first = await reader.bytes(0, ONNX_HEADER_BYTES);
  if (!canStartOnnxModel(first)) {
    throw new OnnxFormatError(
      `Not a valid ONNX model: it starts with ${describeBytes(first)}, which cannot begin one.`,
    );
  }
  for await (const field of reader.fields(0, file.size)) {
    if (field.number === MODEL_PROTO.graph && field.wireType === WIRE_LENGTH_DELIMITED) {
      return readGraph(reader, field);
    }
  }
  throw new OnnxFormatError('Not a valid ONNX model: it has no graph.');
}

async function readGraph(reader: SliceReader, graph: ProtoField): Promise<OnnxSignature> {
  const inputs: TensorSignature[] = [];
  const outputs: TensorSignature[] = [];
  const weights: WeightSummary = { bytesByType: {}, largestTensorBytes: 0, externalTensors: 0 };
  const initializerNames = new Set<string>();
  for await (const field of reader.fields(graph.valueStart, graph.end)) {
    if (field.wireType !== WIRE_LENGTH_DELIMITED) continue;
    const length = field.end - field.valueStart;
    if (field.number === GRAPH_PROTO.input || field.number === GRAPH_PROTO.output) {
      const info = valueInfo(await reader.bytes(field.valueStart, length));
      (field.number === GRAPH_PROTO.input ? inputs : outputs).push(info);
    } else if (field.number === GRAPH_PROTO.initializer) {
      const prefix = await reader.bytes(field.valueStart, Math.min(length, TENSOR_PREFIX_BYTES));
      const tensor = initializerHeader(prefix, length);
      initializerNames.add(tensor.name);
      addWeight(weights, tensor.type, tensor.bytes, tensor.external);
    }
  }
  // Older exports also list every initializer among the inputs: those are weights, not inputs.
  return { inputs: inputs.filter((input) => !initializerNames.has(input.name)), outputs, weights };
}

function addWeight(weights: WeightSummary, type: string, bytes: number, external: boolean): void {
  weights.bytesByType[type] = (weights.bytesByType[type] ?? 0) + bytes;
  weights.largestTensorBytes = Math.max(weights.largestTensorBytes, bytes);
  if (external) weights.externalTensors++;
}

/**
 * An initializer's element type, name, size (its raw_data, else the whole TensorProto) and whether its
 * bytes are elsewhere, from the start of its TensorProto.
 */
function initializerHeader(
  prefix: Uint8Array,
  length: number,
): { type: string; name: string; bytes: number; external: boolean } {
  const header = { type: 'unknown', name: '', bytes: length, external: false };
  for (const field of new ProtoReader(prefix, 0, prefix.byteLength, prefix.byteLength < length).fields()) {
    if (field.number === TENSOR_PROTO.dataType && field.wireType === WIRE_VARINT) {
      header.type = ELEMENT_TYPES[field.varint] ?? `type ${field.varint}`;
    } else if (field.number === TENSOR_PROTO.name && field.end <= prefix.byteLength) {
      header.name = fieldText(prefix, field);
    } else if (field.number === TENSOR_PROTO.dataLocation && field.varint === DATA_LOCATION_EXTERNAL) {
      header.external = true;
    } else if (field.number === TENSOR_PROTO.rawData) {
      header.bytes = field.end - field.valueStart;
      break;
    }
  }
  return header;
}

/** ValueInfoProto: name (1) and type (2). */
function valueInfo(bytes: Uint8Array): TensorSignature {
  const info: TensorSignature = { name: '', type: 'unknown' };
  for (const field of new ProtoReader(bytes, 0, bytes.byteLength).fields()) {
    if (field.number === 1 && field.wireType === WIRE_LENGTH_DELIMITED) info.name = fieldText(bytes, field);
    if (field.number === 2 && field.wireType === WIRE_LENGTH_DELIMITED)
      Object.assign(info, typeOf(bytes, field));
  }
  return info;
}

/** TypeProto: tensor_type (1) is TypeProto.Tensor, with elem_type (1) and shape (2). */
function typeOf(bytes: Uint8Array, type: ProtoField): Omit<TensorSignature, 'name'> {
  for (const field of new ProtoReader(bytes, type.valueStart, type.end).fields()) {
    if (field.number !== 1) return { type: NON_TENSOR_TYPES[field.number] ?? 'not a tensor' };
    const tensor: Omit<TensorSignature, 'name'> = { type: 'unknown' };
    for (const part of new ProtoReader(bytes, field.valueStart, field.end).fields()) {
      if (part.number === 1) tensor.type = ELEMENT_TYPES[part.varint] ?? `type ${part.varint}`;
      if (part.number === 2) tensor.shape = shapeOf(bytes, part);
    }
    return tensor;
  }
  return { type: 'unknown' };
}

/** TensorShapeProto: dim (1), each a dim_value (1) or a dim_param (2). */
function shapeOf(bytes: Uint8Array, shape: ProtoField): (number | string)[] {
  const dims: (number | string)[] = [];
  for (const dim of new ProtoReader(bytes, shape.valueStart, shape.end).fields()) {
    if (dim.number !== 1) continue;
    let value: number | string = '?';
    for (const part of new ProtoReader(bytes, dim.valueStart, dim.end).fields()) {
      // A negative dim_value (-1 for "any") arrives as a 10-byte varint: no usable size.
      if (part.number === 1 && Number.isSafeInteger(part.varint)) value = part.varint;
      if (part.number === 2 && part.wireType === WIRE_LENGTH_DELIMITED) value = fieldText(bytes, part);
    }
    dims.push(value);
  }
  return dims;
}

/**
 * Reads a file through Blob slices, keeping the last slice: fields that follow each other are served from
 * it, and a walk that keeps reading on doubles the slice (up to 1 MiB); a jump over weights starts small.
 */
class SliceReader {
  static readonly MIN_WINDOW = 4096;
  static readonly MAX_WINDOW = 1024 * 1024;
  private window = new Uint8Array(0);
  private windowStart = 0;
  private windowBytes = SliceReader.MIN_WINDOW;

  constructor(private readonly file: SliceableFile) {}

  /** `length` bytes from `start` (fewer at the end of the file). */
  async bytes(start: number, length: number): Promise<Uint8Array> {
    const end = Math.min(start + length, this.file.size);
    const windowEnd = this.windowStart + this.window.byteLength;
    if (start >= this.windowStart && end <= windowEnd) {
      return this.window.subarray(start - this.windowStart, end - this.windowStart);
    }
    const continues = start >= this.windowStart && start <= windowEnd;
    this.windowBytes = continues
      ? Math.min(this.windowBytes * 2, SliceReader.MAX_WINDOW)
      : SliceReader.MIN_WINDOW;
    const readEnd = Math.min(this.file.size, start + Math.max(end - start, this.windowBytes));
    this.window = new Uint8Array(await this.file.slice(start, readEnd).arrayBuffer());
    this.windowStart = start;
    return this.window.subarray(0, end - start);
  }

  /** The fields of the message in [start, end), with positions in the file; payloads are not read. */
  async *fields(start: number, end: number): AsyncGenerator<ProtoField> {
    let position = start;
    while (position < end) {
      const field = await this.header(position, end);
      yield field;
      position = field.end;
    }
  }

  private async header(position: number, end: number): Promise<ProtoField> {
    const bytes = await this.bytes(position, Math.min(HEADER_BYTES, end - position));
    const field = new ProtoReader(bytes, 0, bytes.byteLength, true).fields().next().value;
    if (!field) throw new OnnxFormatError(`Not a valid ONNX model: a field is cut off at byte ${position}.`);
    const placed = {
      ...field,
      start: position,
      valueStart: position + field.valueStart,
      end: position + field.end,
    };
    if (placed.end > end) {
      throw new OnnxFormatError(
        `Not a valid ONNX model: a field runs past the end of its message at byte ${position}.`,
      );
    }
    return placed;
  }
}
