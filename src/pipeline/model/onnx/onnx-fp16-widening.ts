/**
 * Rewrites an FP16 ONNX model as FP32, for WebGPU adapters without the feature `shader-f16` (SwiftShader,
 * Firefox, many Linux and Android GPUs): there ORT's WebGPU provider refuses or miscomputes FP16 kernels,
 * while the same graph in FP32 runs. Every FP16 element type becomes FP32: initializers, `Constant` and
 * `ConstantOfShape` tensors, `Cast` targets, value infos, graph inputs and outputs.
 *
 * The widened weights are twice the FP16 bytes, so they never become one buffer: each large initializer
 * is widened straight from the stored file into one of several external-data pieces (at most
 * `maxPieceBytes` each, one tensor never split), which ORT's WebGPU provider uploads to GPU buffers
 * without passing them through its wasm heap. The graph itself stays a few KB.
 *
 * Only the protobuf framing is walked (as in onnx-external-data.ts); untouched fields are copied as bytes.
 */
import {
  DATA_LOCATION_EXTERNAL,
  encodeVarint,
  fieldText,
  GRAPH_PROTO,
  MODEL_PROTO,
  OnnxFormatError,
  ProtoReader,
  readVarint,
  TENSOR_PROTO,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  type ProtoField as Field,
  DATA_TYPE,
  byteLengthOf,
  concatBytes,
} from './onnx-proto.js';
import { DEFAULT_MIN_EXTERNAL_BYTES } from './onnx-external-data.js';

export { OnnxFormatError } from './onnx-proto.js';

const { float: FLOAT, float16: FLOAT16 } = DATA_TYPE;

/** Field numbers of the onnx.proto messages this rewrite walks, beyond those in onnx-proto.ts. */
const MODEL_FUNCTIONS = 25;
const FUNCTION_PROTO = { node: 7, valueInfo: 12 } as const;
const GRAPH = { node: 1, sparseInitializer: 15, valueInfo: 13 } as const;
const NODE = { opType: 4, attribute: 5 } as const;
const ATTRIBUTE = { name: 1, i: 3, t: 5, g: 6, tensors: 10, graphs: 11, tp: 14, typeProtos: 15 } as const;
const SPARSE_TENSOR_VALUES = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_PROTO = { tensor: 1, sequence: 4, map: 5, sparseTensor: 8, optional: 9 } as const;
const TENSOR_TYPE_ELEM_TYPE = 1;
const MAP_VALUE_TYPE = 2;
const TENSOR_INT32_DATA = 5;
const STRING_ENTRY_KEY = 1;
const STRING_ENTRY_VALUE = 2;

/** Attributes that name an element type, per operator: `Cast(to=FLOAT16)` becomes `Cast(to=FLOAT)`. */
const TYPE_ATTRIBUTES: Readonly<Record<string, string>> = {
  Cast: 'to',
  EyeLike: 'dtype',
  RandomNormal: 'dtype',
  RandomNormalLike: 'dtype',
  RandomUniform: 'dtype',
  RandomUniformLike: 'dtype',
  Bernoulli: 'dtype',
};

/** Default most bytes of one external-data piece: large enough for few pieces, small enough to allocate. */
export const DEFAULT_MAX_PIECE_BYTES = 128 * 1024 ** 2;

export interface WideningOptions {
  /** Name stem of the pieces: `${location}.0`, `${location}.1`, ... */
  location: string;
  /** Most bytes in one piece; a tensor larger than this has a piece of its own. */
  maxPieceBytes?: number;
  /**
   * Largest FP32 tensor the device can hold (the smaller of the adapter's `maxStorageBufferBindingSize`
   * and `maxBufferSize`); a larger one is refused with WidenedTensorTooLargeError.
   */
  maxTensorBytes?: number;
  /** FP32 tensors smaller than this stay inline (ORT reads small shape constants during shape inference). */
  minExternalBytes?: number;
}

export interface WidenedModel {
  /** The FP32 graph; its large initializers point into `externalData`. */
  graph: Uint8Array;
  /** For `SessionOptions.externalData`: the widened weights, in pieces. */
  externalData: { path: string; data: Uint8Array }[];
  /** FP16 tensors made FP32 (initializers and constants). */
  tensorsWidened: number;
  /** Element-type fields changed from FP16 to FP32: type attributes, value infos, inputs and outputs. */
  typesWidened: number;
  /** Bytes of the widened external weights, all pieces together. */
  externalBytes: number;
  /** Bytes of the largest widened tensor. */
  largestTensorBytes: number;
}

/** A widened tensor would not fit in one GPU buffer binding of this device. */
export class WidenedTensorTooLargeError extends Error {
  override name = 'WidenedTensorTooLargeError';
  constructor(
    readonly tensorName: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `The tensor "${tensorName}" is ${bytes} bytes in FP32, above the ${maxBytes} bytes this GPU allows ` +
        'per buffer binding.',
    );
  }
}

/** IEEE 754 binary16 bits -> binary32 bits: exact for every half (subnormals, infinities, NaN payloads). */
export function float16BitsToFloat32Bits(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal half: shift the mantissa up to an implicit leading one, lowering the exponent to match.
  let shift = 0;
  let normalized = mantissa;
  while ((normalized & 0x400) === 0) {
    normalized <<= 1;
    shift++;
  }
  return (sign | ((113 - shift) << 23) | ((normalized & 0x3ff) << 13)) >>> 0;
}

let table: Uint32Array | undefined;

/** All 65536 conversions (256 KiB), so widening a tensor is one lookup per element. */
function halfToFloatTable(): Uint32Array {
  if (!table) {
    table = new Uint32Array(65536);
    for (let half = 0; half < 65536; half++) table[half] = float16BitsToFloat32Bits(half);
  }
  return table;
}

/** Widens FP16 bits (little-endian bytes, any alignment) into `out`, FP32 bits. */
export function widenInto(halves: Uint8Array, out: Uint32Array): void {
  const lookup = halfToFloatTable();
  const aligned =
    halves.byteOffset % 2 === 0
      ? new Uint16Array(halves.buffer, halves.byteOffset, halves.byteLength / 2)
      : new Uint16Array(halves.slice().buffer);
  for (let i = 0; i < aligned.length; i++) out[i] = lookup[aligned[i]];
}

export type Piece = Uint8Array;

export function lengthDelimited(number: number, pieces: readonly Piece[]): Piece[] {
  const header = Uint8Array.from([
    ...encodeVarint(number * 8 + WIRE_LENGTH_DELIMITED),
    ...encodeVarint(byteLengthOf(pieces)),
  ]);
  return [header, ...pieces];
}

export function varintField(number: number, value: number): Piece {
  return Uint8Array.from([...encodeVarint(number * 8 + WIRE_VARINT), ...encodeVarint(value)]);
}

export function stringEntry(key: string, value: string): Piece[] {
  const encoder = new TextEncoder();
  return lengthDelimited(TENSOR_PROTO.externalData, [
    ...lengthDelimited(STRING_ENTRY_KEY, [encoder.encode(key)]),
    ...lengthDelimited(STRING_ENTRY_VALUE, [encoder.encode(value)]),
  ]);
}

/** Where each external tensor goes: pieces filled in order, planned first and written once at the end. */
class PiecePlan {
  readonly pieces: { bytes: number; tensors: { source: Uint8Array; offset: number }[] }[] = [];

  constructor(private readonly maxPieceBytes: number) {}

  place(source: Uint8Array): { piece: number; offset: number } {
    const bytes = source.byteLength * 2;
    let last = this.pieces.at(-1);
    if (!last || (last.bytes > 0 && last.bytes + bytes > this.maxPieceBytes)) {
      last = { bytes: 0, tensors: [] };
      this.pieces.push(last);
    }
    const offset = last.bytes;
    last.tensors.push({ source, offset });
    last.bytes += bytes;
    return { piece: this.pieces.length - 1, offset };
  }

  write(location: string): { path: string; data: Uint8Array }[] {
    return this.pieces.map((piece, index) => {
      const data = new Uint8Array(piece.bytes);
      for (const { source, offset } of piece.tensors) {
        widenInto(source, new Uint32Array(data.buffer, offset, source.byteLength / 2));
      }
      return { path: pieceName(location, index), data };
    });
  }
}

export function pieceName(location: string, index: number): string {
  return `${location}.${index}`;
}

interface Counts {
  tensors: number;
  types: number;
  externalBytes: number;
  largest: number;
}

/** Walks the model once, collecting new bytes for changed messages and the plan of the external pieces. */
class Widener {
  readonly counts: Counts = { tensors: 0, types: 0, externalBytes: 0, largest: 0 };
  readonly plan: PiecePlan;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: Required<WideningOptions>,
  ) {
    this.plan = new PiecePlan(options.maxPieceBytes);
  }

  model(): Piece[] {
    let graphs = 0;
    const pieces = this.message({ start: 0, end: this.bytes.byteLength, valueStart: 0 }, (field) => {
      if (field.number === MODEL_PROTO.graph) {
        graphs++;
        return this.graph(field);
      }
      if (field.number === MODEL_FUNCTIONS) return this.functionProto(field);
      return undefined;
    });
    if (graphs === 0) throw new OnnxFormatError('Not a valid ONNX model: it has no graph.');
    return pieces ?? [this.bytes];
  }

  /**
   * The fields of one message, each rewritten by `rewrite` (undefined: copied as it is). Returns undefined
   * when nothing changed, so that callers copy the original bytes.
   */
  private message(
    message: Pick<Field, 'start' | 'end' | 'valueStart'>,
    rewrite: (field: Field) => Piece[] | undefined,
  ): Piece[] | undefined {
    const pieces: Piece[] = [];
    let changed = false;
    for (const field of new ProtoReader(this.bytes, message.valueStart, message.end).fields()) {
      const rewritten = field.wireType === WIRE_LENGTH_DELIMITED ? rewrite(field) : undefined;
      if (rewritten) changed = true;
      pieces.push(...(rewritten ?? [this.bytes.subarray(field.start, field.end)]));
    }
    return changed ? pieces : undefined;
  }

  /** A length-delimited field whose payload `rewrite` changes, with its new length. */
  private nested(field: Field, rewrite: (field: Field) => Piece[] | undefined): Piece[] | undefined {
    const payload = this.message(field, rewrite);
    return payload && lengthDelimited(field.number, payload);
  }

  private graph(field: Field): Piece[] | undefined {
    return this.nested(field, (child) => {
      switch (child.number) {
        case GRAPH.node:
          return this.node(child);
        case GRAPH_PROTO.initializer:
          return this.tensor(child, true);
        case GRAPH.sparseInitializer:
          return this.nested(child, (part) =>
            part.number === SPARSE_TENSOR_VALUES ? this.tensor(part, false) : undefined,
          );
        case GRAPH_PROTO.input:
        case GRAPH_PROTO.output:
        case GRAPH.valueInfo:
          return this.valueInfo(child);
        default:
          return undefined;
      }
    });
  }

  private functionProto(field: Field): Piece[] | undefined {
    return this.nested(field, (child) => {
      if (child.number === FUNCTION_PROTO.node) return this.node(child);
      if (child.number === FUNCTION_PROTO.valueInfo) return this.valueInfo(child);
      return undefined;
    });
  }

  private node(field: Field): Piece[] | undefined {
    let opType = '';
    for (const child of new ProtoReader(this.bytes, field.valueStart, field.end).fields()) {
      if (child.number === NODE.opType) opType = fieldText(this.bytes, child);
    }
    return this.nested(field, (child) =>
      child.number === NODE.attribute ? this.attribute(child, TYPE_ATTRIBUTES[opType]) : undefined,
    );
  }

  private attribute(field: Field, typeAttribute: string | undefined): Piece[] | undefined {
    let name = '';
    let typeValue: Field | undefined;
    for (const child of new ProtoReader(this.bytes, field.valueStart, field.end).fields()) {
      if (child.number === ATTRIBUTE.name) name = fieldText(this.bytes, child);
      if (child.number === ATTRIBUTE.i && child.wireType === WIRE_VARINT) typeValue = child;
    }
    const retype = typeAttribute !== undefined && name === typeAttribute && typeValue?.varint === FLOAT16;
    const pieces: Piece[] = [];
    let changed = false;
    for (const child of new ProtoReader(this.bytes, field.valueStart, field.end).fields()) {
      let rewritten: Piece[] | undefined;
      if (retype && child.start === typeValue?.start) {
        rewritten = [varintField(ATTRIBUTE.i, FLOAT)];
        this.counts.types++;
      } else if (child.wireType === WIRE_LENGTH_DELIMITED) {
        rewritten = this.attributeValue(child);
      }
      if (rewritten) changed = true;
      pieces.push(...(rewritten ?? [this.bytes.subarray(child.start, child.end)]));
    }
    return changed ? lengthDelimited(field.number, pieces) : undefined;
  }

  private attributeValue(field: Field): Piece[] | undefined {
    switch (field.number) {
      case ATTRIBUTE.t:
      case ATTRIBUTE.tensors:
        return this.tensor(field, false);
      case ATTRIBUTE.g:
      case ATTRIBUTE.graphs:
        return this.graph(field);
      case ATTRIBUTE.tp:
      case ATTRIBUTE.typeProtos:
        return this.type(field);
      default:
        return undefined;
    }
  }

  private valueInfo(field: Field): Piece[] | undefined {
    return this.nested(field, (child) => (child.number === VALUE_INFO_TYPE ? this.type(child) : undefined));
  }

  /** TypeProto: tensor and sparse-tensor element types, and those inside sequences, maps and optionals. */
  private type(field: Field): Piece[] | undefined {
    return this.nested(field, (child) => {
      switch (child.number) {
        case TYPE_PROTO.tensor:
        case TYPE_PROTO.sparseTensor:
          return this.tensorType(child);
        case TYPE_PROTO.sequence:
        case TYPE_PROTO.optional:
          return this.nested(child, (inner) => (inner.number === 1 ? this.type(inner) : undefined));
        case TYPE_PROTO.map:
          return this.nested(child, (inner) =>
            inner.number === MAP_VALUE_TYPE ? this.type(inner) : undefined,
          );
        default:
          return undefined;
      }
    });
  }

  private tensorType(field: Field): Piece[] | undefined {
    const pieces: Piece[] = [];
    let changed = false;
    for (const child of new ProtoReader(this.bytes, field.valueStart, field.end).fields()) {
      if (
        child.number === TENSOR_TYPE_ELEM_TYPE &&
        child.wireType === WIRE_VARINT &&
        child.varint === FLOAT16
      ) {
        pieces.push(varintField(TENSOR_TYPE_ELEM_TYPE, FLOAT));
        this.counts.types++;
        changed = true;
      } else {
        pieces.push(this.bytes.subarray(child.start, child.end));
      }
    }
    return changed ? lengthDelimited(field.number, pieces) : undefined;
  }

  /** An FP16 TensorProto as FP32: inline, or (for initializers of at least minExternalBytes) in a piece. */
  private tensor(field: Field, mayBeExternal: boolean): Piece[] | undefined {
    const kept: Piece[] = [];
    const int32Data: Field[] = [];
    let dataType = 0;
    let name = '';
    let raw: Uint8Array | undefined;
    let external = false;
    for (const child of new ProtoReader(this.bytes, field.valueStart, field.end).fields()) {
      if (child.number === TENSOR_PROTO.dataType && child.wireType === WIRE_VARINT) {
        dataType = child.varint;
      } else if (child.number === TENSOR_PROTO.rawData && child.wireType === WIRE_LENGTH_DELIMITED) {
        raw = this.bytes.subarray(child.valueStart, child.end);
      } else if (child.number === TENSOR_INT32_DATA) {
        int32Data.push(child);
      } else {
        if (child.number === TENSOR_PROTO.name) name = fieldText(this.bytes, child);
        if (child.number === TENSOR_PROTO.dataLocation || child.number === TENSOR_PROTO.externalData) {
          external = true;
        }
        kept.push(this.bytes.subarray(child.start, child.end));
      }
    }
    if (dataType !== FLOAT16) return undefined;
    if (external) {
      throw new OnnxFormatError(
        `The FP16 tensor "${name}" keeps its data in another file (ONNX external data), which cannot be widened here.`,
      );
    }
    const source = raw ?? this.int32Halves(int32Data);
    if (source.byteLength % 2 !== 0) {
      throw new OnnxFormatError(
        `Not a valid ONNX model: the FP16 tensor "${name}" has an odd number of bytes.`,
      );
    }
    const bytes = source.byteLength * 2;
    if (bytes > this.options.maxTensorBytes) {
      throw new WidenedTensorTooLargeError(name, bytes, this.options.maxTensorBytes);
    }
    this.counts.tensors++;
    this.counts.largest = Math.max(this.counts.largest, bytes);
    const pieces = [varintField(TENSOR_PROTO.dataType, FLOAT), ...kept];
    if (mayBeExternal && bytes >= this.options.minExternalBytes) {
      const { piece, offset } = this.plan.place(source);
      this.counts.externalBytes += bytes;
      pieces.push(
        ...stringEntry('location', pieceName(this.options.location, piece)),
        ...stringEntry('offset', String(offset)),
        ...stringEntry('length', String(bytes)),
        varintField(TENSOR_PROTO.dataLocation, DATA_LOCATION_EXTERNAL),
      );
    } else if (bytes > 0) {
      const widened = new Uint8Array(bytes);
      widenInto(source, new Uint32Array(widened.buffer));
      pieces.push(...lengthDelimited(TENSOR_PROTO.rawData, [widened]));
    }
    return lengthDelimited(field.number, pieces);
  }

  /** FP16 values stored as int32_data (one half's bits per int32), packed or not, as little-endian bytes. */
  private int32Halves(fields: readonly Field[]): Uint8Array {
    const values: number[] = [];
    for (const field of fields) {
      if (field.wireType === WIRE_VARINT) {
        values.push(field.varint);
        continue;
      }
      for (let position = field.valueStart; position < field.end;) {
        const { value, next } = readVarint(this.bytes, position, field.end);
        if (next < 0)
          throw new OnnxFormatError(`Not a valid ONNX model: bad int32_data at byte ${position}.`);
        values.push(value);
        position = next;
      }
    }
    return new Uint8Array(Uint16Array.from(values).buffer);
  }
}

/**
 * The FP32 form of an FP16 model held in `model` (the stored `.onnx` bytes, left untouched): the graph and
 * its widened weights in pieces for `SessionOptions.externalData`.
 */
export function widenFp16Model(model: Uint8Array, options: WideningOptions): WidenedModel {
  const settings: Required<WideningOptions> = {
    maxPieceBytes: DEFAULT_MAX_PIECE_BYTES,
    maxTensorBytes: Number.POSITIVE_INFINITY,
    minExternalBytes: DEFAULT_MIN_EXTERNAL_BYTES,
    ...options,
  };
  if (!(settings.maxPieceBytes > 0) || settings.maxPieceBytes % 4 !== 0) {
    throw new RangeError(`maxPieceBytes must be a positive multiple of 4, got ${settings.maxPieceBytes}.`);
  }
  const widener = new Widener(model, settings);
  const pieces = widener.model();
  const graph = concatBytes(pieces);
  const { tensors, types, externalBytes, largest } = widener.counts;
  return {
    graph,
    externalData: widener.plan.write(settings.location),
    tensorsWidened: tensors,
    typesWidened: types,
    externalBytes,
    largestTensorBytes: largest,
  };
}
