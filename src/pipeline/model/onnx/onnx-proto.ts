/**
 * The protobuf framing of ONNX files, walked without decoding: enough to find fields by number and read
 * small messages. Shared by onnx-external-data.ts (rewrites initializers in a file held in memory) and
 * local-files/onnx-signature.ts (reads a file's inputs and outputs through small Blob slices).
 */

/** Field numbers of the onnx.proto messages walked here. */
export const MODEL_PROTO = { graph: 7 } as const;
export const GRAPH_PROTO = { initializer: 5, input: 11, output: 12 } as const;
export const TENSOR_PROTO = {
  dataType: 2,
  name: 8,
  rawData: 9,
  externalData: 13,
  dataLocation: 14,
} as const;
/** TensorProto.DataLocation.EXTERNAL: the tensor's bytes are in another file. */
/** TensorProto.DataType values that the load-time rewrites (widening, float timestep) change. */
export const DATA_TYPE = { float: 1, int64: 7, float16: 10 } as const;
export const DATA_LOCATION_EXTERNAL = 1;

/** TensorProto.DataType values (onnx.proto) under ORT's names. */
export const ELEMENT_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};
/** The TensorProto.DataType of ORT's element type name ('float32' -> 1). */
export function onnxDataType(type: string): number {
  const found = Object.entries(ELEMENT_TYPES).find(([, name]) => name === type);
  if (!found) throw new OnnxFormatError(`No ONNX element type is called "${type}".`);
  return Number(found[0]);
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

/** One protobuf field as it lies in the buffer: where it starts and ends, and where its payload is. */
export interface ProtoField {
  number: number;
  wireType: number;
  start: number;
  end: number;
  /** Payload of a length-delimited field; for others, the value's bytes. */
  valueStart: number;
  /** The value of a varint field (exact below 2^53). */
  varint: number;
}

/**
 * Walks the fields of one message in `bytes[position, limit)`. With `partial`, `bytes` may end before the
 * message does (a prefix read from a large file): the walk stops at the first field whose header is cut,
 * and the last field yielded may end past `limit`.
 */
export class ProtoReader {
  constructor(
    private readonly bytes: Uint8Array,
    private position: number,
    private readonly limit: number,
    private readonly partial = false,
  ) {}

  *fields(): Generator<ProtoField> {
    while (this.position < this.limit) {
      let field: ProtoField;
      try {
        field = this.field();
      } catch (error) {
        // A prefix ends somewhere inside the message: its last header may be cut.
        if (this.partial && error instanceof OnnxFormatError) return;
        throw error;
      }
      yield field;
    }
  }

  private field(): ProtoField {
    const start = this.position;
    const tag = this.varint();
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (number === 0) this.fail(start, 'field number 0');
    let varint = 0;
    let valueStart = this.position;
    switch (wireType) {
      case WIRE_VARINT:
        varint = this.varint();
        break;
      case WIRE_FIXED64:
        this.position += 8;
        break;
      case WIRE_FIXED32:
        this.position += 4;
        break;
      case WIRE_LENGTH_DELIMITED: {
        const length = this.varint();
        valueStart = this.position;
        this.position += length;
        break;
      }
      default:
        this.fail(start, `unsupported wire type ${wireType}`);
    }
    if (this.position > this.limit && !this.partial) {
      this.fail(start, 'a field runs past the end of its message');
    }
    return { number, wireType, start, end: this.position, valueStart, varint };
  }

  private varint(): number {
    if (this.position >= this.limit) this.fail(this.position, 'truncated varint');
    const { value, next } = readVarint(this.bytes, this.position, this.limit);
    if (next < 0) this.fail(this.position, next === -1 ? 'truncated varint' : 'varint longer than 10 bytes');
    this.position = next;
    return value;
  }

  private fail(offset: number, what: string): never {
    throw new OnnxFormatError(`Not a valid ONNX model: ${what} at byte ${offset}.`);
  }
}

/** The varint at `position`; `next` is -1 when it is cut off at `limit`, -2 when it is over 10 bytes. */
export function readVarint(
  bytes: Uint8Array,
  position: number,
  limit = bytes.byteLength,
): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (position + i >= limit) return { value, next: -1 };
    const byte = bytes[position + i];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: position + i + 1 };
    scale *= 128;
  }
  return { value, next: -2 };
}

export function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** The UTF-8 text of a length-delimited field. */
export function fieldText(bytes: Uint8Array, field: ProtoField): string {
  return new TextDecoder().decode(bytes.subarray(field.valueStart, field.end));
}

/** Bytes kept as pieces and joined once: the rewrites' output (and the downloader's chunk parts). */
export function byteLengthOf(pieces: readonly Uint8Array[]): number {
  return pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
}

/** The pieces as one buffer (a single piece is given back as it is, not copied). */
export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const joined = new Uint8Array(byteLengthOf(pieces));
  let offset = 0;
  for (const piece of pieces) {
    joined.set(piece, offset);
    offset += piece.byteLength;
  }
  return joined;
}
