/**
 * Whether a file's first bytes can start an ONNX model, so that a wrong answer from a server (an error
 * page, a file of another kind) is refused before a byte of it is stored.
 *
 * An .onnx file is a serialized ModelProto: a sequence of protobuf fields, each starting with a varint tag
 * `field_number << 3 | wire_type`. Serializers write fields in field-number order, so a real export
 * starts with ir_version (field 1, varint: byte 0x08; onnx-proto and the tiny models give 08 08, IR 8),
 * but any ModelProto field may legally come first. Field numbers up to 26 need at most two tag bytes.
 */
import { readVarint } from './onnx-proto.js';

/** ModelProto's fields (onnx.proto, IR version 11): field number → wire type (0 varint, 2 length-delimited). */
const MODEL_PROTO_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, 0], // ir_version
  [2, 2], // producer_name
  [3, 2], // producer_version
  [4, 2], // domain
  [5, 0], // model_version
  [6, 2], // doc_string
  [7, 2], // graph
  [8, 2], // opset_import
  [14, 2], // metadata_props
  [20, 2], // training_info
  [25, 2], // functions
  [26, 2], // configuration
]);

/** Bytes enough to read the first field's tag. */
export const ONNX_HEADER_BYTES = 2;

/** True when `bytes` (the file's first bytes, at least ONNX_HEADER_BYTES of them when the file has that many) begin with the tag of a ModelProto field of the right wire type. */
export function canStartOnnxModel(bytes: Uint8Array): boolean {
  const tag = firstTag(bytes);
  return tag !== undefined && MODEL_PROTO_FIELDS.get(tag >>> 3) === (tag & 7);
}

/** The varint tag at the start of `bytes`, if it ends within ONNX_HEADER_BYTES. */
function firstTag(bytes: Uint8Array): number | undefined {
  const tag = readVarint(bytes, 0, Math.min(bytes.byteLength, ONNX_HEADER_BYTES));
  return tag.next > 0 ? tag.value : undefined;
}

/** '3c 21 44 4f ("<!DO")': the first bytes as hex, with their printable text. */
export function describeBytes(bytes: Uint8Array): string {
  if (bytes.byteLength === 0) return 'no bytes at all';
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(bytes, (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.'));
  return `bytes ${hex} (${JSON.stringify(text.join(''))})`;
}
