/**
 * Streams an ONNX model to a file one initializer at a time, so a 1.7 GB model is never one in-memory
 * protobuf message (nor one Float32Array). onnx-proto encodes everything but the weights; each
 * initializer's raw_data is framed here, with every length prefix computed up front from the element
 * counts. The result is byte for byte what GraphBuilder.encode() gives for the same graph.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { ELEMENT_BYTES, drawBytes, onnx, type ModelParts, type PendingTensor } from './onnx-graph.js';

/** Field tags (field number << 3 | wire type 2, length-delimited). */
const MODEL_GRAPH_TAG = (7 << 3) | 2;
const GRAPH_INITIALIZER_TAG = (5 << 3) | 2;
const TENSOR_RAW_DATA_TAG = (9 << 3) | 2;

export interface WrittenModel {
  bytes: number;
  sha256: string;
}

/** Called after each initializer with the bytes written so far and the file's final size. */
export type WriteProgress = (bytesWritten: number, bytesTotal: number) => void;

/** Writes `parts` to `path` (created or truncated); returns the file's size and SHA-256. */
export async function writeModelFile(
  path: string,
  parts: ModelParts,
  onProgress?: WriteProgress,
): Promise<WrittenModel> {
  const layout = planLayout(parts);
  const file = await open(path, 'w');
  const hash = createHash('sha256');
  let written = 0;
  const emit = async (bytes: Uint8Array) => {
    for (let offset = 0; offset < bytes.length;) {
      offset += (await file.write(bytes, offset)).bytesWritten;
    }
    hash.update(bytes);
    written += bytes.length;
  };
  try {
    await emit(concatBytes(layout.modelHead, tag(MODEL_GRAPH_TAG), varint(layout.graphLength)));
    await emit(layout.graphHead);
    for (const tensor of layout.tensors) {
      await emit(tensor.prefix);
      await emit(drawBytes(tensor.pending));
      onProgress?.(written, layout.totalLength);
    }
    await emit(concatBytes(layout.graphTail, layout.modelTail));
  } finally {
    await file.close();
  }
  if (written !== layout.totalLength) {
    throw new Error(`${path}: wrote ${written} bytes, planned ${layout.totalLength}`);
  }
  return { bytes: written, sha256: hash.digest('hex') };
}

/** The size of the file writeModelFile would write, computed without drawing any weight. */
export function plannedFileBytes(parts: ModelParts): number {
  return planLayout(parts).totalLength;
}

/**
 * Writes the model next to `target` under a temporary name, then renames it into place, unless `target`
 * already holds exactly those bytes (then it is left untouched). A dev server running meanwhile never
 * serves a half-written model.
 */
export async function replaceModelFile(
  target: string,
  parts: ModelParts,
  onProgress?: WriteProgress,
): Promise<WrittenModel & { rewritten: boolean }> {
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    const written = await writeModelFile(temporary, parts, onProgress);
    const current = await fileDigest(target);
    if (current?.bytes === written.bytes && current.sha256 === written.sha256) {
      await rm(temporary);
      return { ...written, rewritten: false };
    }
    await rename(temporary, target);
    return { ...written, rewritten: true };
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Size and SHA-256 of a file, or undefined when it does not exist. */
export async function fileDigest(path: string): Promise<WrittenModel | undefined> {
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 24 })) hash.update(chunk as Buffer);
  return { bytes, sha256: hash.digest('hex') };
}

interface TensorLayout {
  pending: PendingTensor;
  /** Initializer tag and length, the TensorProto without raw_data, then raw_data's tag and length. */
  prefix: Uint8Array;
}

interface Layout {
  modelHead: Uint8Array;
  graphHead: Uint8Array;
  tensors: TensorLayout[];
  graphTail: Uint8Array;
  modelTail: Uint8Array;
  graphLength: number;
  totalLength: number;
}

function planLayout(parts: ModelParts): Layout {
  const tensors = parts.initializers.map(planTensor);
  const graphHead = onnx.GraphProto.encode(parts.graphHead).finish();
  const graphTail = onnx.GraphProto.encode(parts.graphTail).finish();
  const graphLength =
    graphHead.length +
    tensors.reduce((sum, { prefix, pending }) => sum + prefix.length + rawLength(pending), 0) +
    graphTail.length;
  const modelHead = onnx.ModelProto.encode(parts.modelHead).finish();
  const modelTail = onnx.ModelProto.encode(parts.modelTail).finish();
  const totalLength = modelHead.length + 1 + varint(graphLength).length + graphLength + modelTail.length;
  return { modelHead, graphHead, tensors, graphTail, modelTail, graphLength, totalLength };
}

function planTensor(pending: PendingTensor): TensorLayout {
  const header = onnx.TensorProto.encode(pending.header).finish();
  const rawDataField = concatBytes(tag(TENSOR_RAW_DATA_TAG), varint(rawLength(pending)));
  const tensorLength = header.length + rawDataField.length + rawLength(pending);
  return {
    pending,
    prefix: concatBytes(tag(GRAPH_INITIALIZER_TAG), varint(tensorLength), header, rawDataField),
  };
}

function rawLength(tensor: PendingTensor): number {
  return tensor.count * ELEMENT_BYTES[tensor.type];
}

function tag(value: number): Uint8Array {
  return Uint8Array.of(value);
}

/** Protobuf base-128 varint of a non-negative safe integer (lengths here exceed 2^31). */
export function varint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a varint length: ${value}`);
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

function concatBytes(...pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}
