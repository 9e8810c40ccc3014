/**
 * FP16 -> FP32 widening of a model read chunk by chunk (the store's chunks, as they are read): neither the
 * whole FP16 file nor a whole widened file is ever one buffer. One pass over the chunks widens each large
 * FP16 initializer's raw data straight into its external-data piece, so a chunk can go as soon as its
 * halves are written, and keeps the rest of the file (nodes, small tensors, value infos: a few MB) as a
 * skeleton in which those initializers already point at their FP32 pieces. widenFp16Model then rewrites
 * the skeleton's remaining FP16 types in memory. At the end the widened pieces and the small graph are all
 * that is left, and ORT's WebGPU provider uploads the pieces without copying them into its wasm heap.
 */
import {
  DATA_LOCATION_EXTERNAL,
  DATA_TYPE,
  GRAPH_PROTO,
  MODEL_PROTO,
  OnnxFormatError,
  TENSOR_PROTO,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  encodeVarint,
  concatBytes,
} from './onnx-proto.js';
import { DEFAULT_MIN_EXTERNAL_BYTES } from './onnx-external-data.js';
import {
  DEFAULT_MAX_PIECE_BYTES,
  WidenedTensorTooLargeError,
  float16BitsToFloat32Bits,
  lengthDelimited,
  pieceName,
  stringEntry,
  varintField,
  widenFp16Model,
  widenInto,
  type Piece,
  type WidenedModel,
  type WideningOptions,
} from './onnx-fp16-widening.js';

const { float: FLOAT, float16: FLOAT16 } = DATA_TYPE;

/**
 * Reads a byte stream given as chunks, in order. A chunk is dropped as soon as the next one is needed and
 * is never kept (its source may take its buffer back): whatever outlives a call is copied.
 */
class ChunkReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  /** Bytes read so far: the position in the file. */
  position = 0;

  constructor(private readonly chunks: AsyncIterator<Uint8Array>) {}

  /** True once every chunk has been read (which is when a checked source compares its digest). */
  async atEnd(): Promise<boolean> {
    while (this.at >= this.chunk.byteLength) {
      const next = await this.chunks.next();
      if (next.done) return true;
      this.chunk = next.value;
      this.at = 0;
    }
    return false;
  }

  async byte(): Promise<number> {
    if (await this.atEnd()) this.truncated();
    this.position++;
    return this.chunk[this.at++];
  }

  /** The varint's value (exact below 2^53) and its bytes as they were. */
  async varint(): Promise<{ value: number; bytes: number[] }> {
    const bytes: number[] = [];
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = await this.byte();
      bytes.push(byte);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return { value, bytes };
      if (bytes.length === 10)
        throw new OnnxFormatError(`Not a valid ONNX model: a varint over 10 bytes at byte ${this.position}.`);
      scale *= 128;
    }
  }

  /** Hands the next `length` bytes to `sink` as slices of the chunks, each valid only during its call. */
  async stream(length: number, sink: (bytes: Uint8Array) => void): Promise<void> {
    let left = length;
    while (left > 0) {
      if (await this.atEnd()) this.truncated();
      const slice = this.chunk.subarray(this.at, this.at + Math.min(left, this.chunk.byteLength - this.at));
      sink(slice);
      this.at += slice.byteLength;
      this.position += slice.byteLength;
      left -= slice.byteLength;
    }
  }

  /** The next `length` bytes, copied (slice by slice, so a false length fails at the end of the file). */
  async bytes(length: number): Promise<Uint8Array> {
    const copies: Uint8Array[] = [];
    await this.stream(length, (slice) => copies.push(slice.slice()));
    return concatBytes(copies);
  }

  private truncated(): never {
    throw new OnnxFormatError(`Not a valid ONNX model: it ends inside a field, at byte ${this.position}.`);
  }
}

/** A field's tag as read; for a length-delimited field, its payload's length (not yet read). */
interface FieldHead {
  number: number;
  wireType: number;
  tag: number[];
  length: number;
}

async function readHead(reader: ChunkReader): Promise<FieldHead> {
  const tag = await reader.varint();
  const wireType = tag.value % 8;
  const number = Math.floor(tag.value / 8);
  const length = wireType === WIRE_LENGTH_DELIMITED ? (await reader.varint()).value : 0;
  return { number, wireType, tag: tag.bytes, length };
}

/** The rest of the field whose head was just read, with its head: the field's bytes as they were. */
async function readRest(reader: ChunkReader, head: FieldHead): Promise<Piece> {
  const start = reader.position;
  switch (head.wireType) {
    case WIRE_VARINT:
      return Uint8Array.from([...head.tag, ...(await reader.varint()).bytes]);
    case WIRE_FIXED64:
    case WIRE_FIXED32:
      return Uint8Array.from([...head.tag, ...(await reader.bytes(head.wireType === WIRE_FIXED64 ? 8 : 4))]);
    case WIRE_LENGTH_DELIMITED:
      return concatBytes([
        Uint8Array.from([...head.tag, ...encodeVarint(head.length)]),
        await reader.bytes(head.length),
      ]);
    default:
      throw new OnnxFormatError(`Not a valid ONNX model: wire type ${head.wireType} at byte ${start}.`);
  }
}

/** Widens FP16 bytes into `out` as they arrive, a half cut between two chunks included. */
class HalfWriter {
  private written = 0;
  private pendingLowByte = -1;

  constructor(private readonly out: Uint32Array) {}

  write(halves: Uint8Array): void {
    let start = 0;
    if (this.pendingLowByte >= 0 && halves.byteLength > 0) {
      this.out[this.written++] = float16BitsToFloat32Bits(this.pendingLowByte | (halves[0] << 8));
      this.pendingLowByte = -1;
      start = 1;
    }
    const whole = (halves.byteLength - start) & ~1;
    widenInto(
      halves.subarray(start, start + whole),
      this.out.subarray(this.written, this.written + whole / 2),
    );
    this.written += whole / 2;
    if (start + whole < halves.byteLength) this.pendingLowByte = halves[start + whole];
  }
}

/** The widened pieces, filled in order: each made at most maxPieceBytes (a larger tensor gets its own). */
class StreamedPieces {
  readonly done: { path: string; data: Uint8Array }[] = [];
  private open?: { data: Uint8Array; used: number };

  constructor(
    private readonly location: string,
    private readonly maxPieceBytes: number,
  ) {}

  /** Room for one widened tensor of `bytes`, and where it lies. */
  place(bytes: number): { path: string; offset: number; out: Uint32Array } {
    if (!this.open || (this.open.used > 0 && this.open.used + bytes > this.open.data.byteLength)) {
      this.close();
      this.open = { data: new Uint8Array(Math.max(this.maxPieceBytes, bytes)), used: 0 };
    }
    const offset = this.open.used;
    this.open.used += bytes;
    const out = new Uint32Array(this.open.data.buffer, offset, bytes / 4);
    return { path: pieceName(this.location, this.done.length), offset, out };
  }

  /**
   * Ends the piece being filled: a view of the bytes it holds, not a copy (a copy of every piece would leave
   * the whole stage's pieces again as garbage during the load). The unwritten end of the allocation is
   * fresh zeroed memory that is never touched, so the system never commits its pages.
   */
  close(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    this.done.push({
      path: pieceName(this.location, this.done.length),
      data: open.data.subarray(0, open.used),
    });
  }
}

/** One pass over the chunks: the skeleton's bytes, with the large FP16 initializers widened into pieces. */
class StreamingWidener {
  readonly pieces: StreamedPieces;
  tensorsWidened = 0;
  externalBytes = 0;
  largestTensorBytes = 0;

  constructor(
    private readonly reader: ChunkReader,
    private readonly options: Required<WideningOptions>,
  ) {
    this.pieces = new StreamedPieces(options.location, options.maxPieceBytes);
  }

  async model(): Promise<Piece[]> {
    const pieces: Piece[] = [];
    while (!(await this.reader.atEnd())) {
      const head = await readHead(this.reader);
      if (head.number === MODEL_PROTO.graph && head.wireType === WIRE_LENGTH_DELIMITED) {
        pieces.push(...lengthDelimited(head.number, await this.graph(head.length)));
      } else pieces.push(await readRest(this.reader, head));
    }
    this.pieces.close();
    return pieces;
  }

  private async graph(length: number): Promise<Piece[]> {
    const end = this.reader.position + length;
    const pieces: Piece[] = [];
    while (this.reader.position < end) {
      const head = await readHead(this.reader);
      if (head.number === GRAPH_PROTO.initializer && head.wireType === WIRE_LENGTH_DELIMITED) {
        pieces.push(...lengthDelimited(head.number, await this.initializer(head.length)));
      } else pieces.push(await readRest(this.reader, head));
    }
    return pieces;
  }

  /**
   * A TensorProto. Its raw data is widened into a piece as it streams when the type (written before it in
   * the usual field order) is FP16 and the FP32 form is large enough to go external; otherwise it is kept
   * as it is, and widened from the copy if the type, read after it, says so.
   */
  private async initializer(length: number): Promise<Piece[]> {
    const end = this.reader.position + length;
    const kept: { number: number; bytes: Piece }[] = [];
    let dataType = 0;
    let name = '';
    let raw: Uint8Array | undefined;
    let widened: { path: string; offset: number; bytes: number } | undefined;
    while (this.reader.position < end) {
      const head = await readHead(this.reader);
      if (head.number === TENSOR_PROTO.rawData && head.wireType === WIRE_LENGTH_DELIMITED) {
        if (dataType === FLOAT16 && this.goesExternal(head.length)) {
          widened = await this.widen(name, head.length, (sink) => this.reader.stream(head.length, sink));
        } else raw = await this.reader.bytes(head.length);
        continue;
      }
      if (head.number === TENSOR_PROTO.dataType && head.wireType === WIRE_VARINT) {
        const value = await this.reader.varint();
        dataType = value.value;
        kept.push({ number: head.number, bytes: Uint8Array.from([...head.tag, ...value.bytes]) });
        continue;
      }
      const bytes = await readRest(this.reader, head);
      if (head.number === TENSOR_PROTO.name && head.wireType === WIRE_LENGTH_DELIMITED) {
        name = new TextDecoder().decode(bytes.subarray(bytes.byteLength - head.length));
      }
      kept.push({ number: head.number, bytes });
    }
    if (!widened && raw && dataType === FLOAT16 && this.goesExternal(raw.byteLength)) {
      const halves = raw;
      widened = await this.widen(name, halves.byteLength, async (sink) => sink(halves));
      raw = undefined;
    }
    if (!widened) {
      const rawField = raw ? lengthDelimited(TENSOR_PROTO.rawData, [raw]) : [];
      return [...kept.map((field) => field.bytes), ...rawField];
    }
    return [
      varintField(TENSOR_PROTO.dataType, FLOAT),
      ...kept.filter((field) => field.number !== TENSOR_PROTO.dataType).map((field) => field.bytes),
      ...stringEntry('location', widened.path),
      ...stringEntry('offset', String(widened.offset)),
      ...stringEntry('length', String(widened.bytes)),
      varintField(TENSOR_PROTO.dataLocation, DATA_LOCATION_EXTERNAL),
    ];
  }

  private goesExternal(halfBytes: number): boolean {
    return halfBytes * 2 >= this.options.minExternalBytes;
  }

  private async widen(
    name: string,
    halfBytes: number,
    read: (sink: (halves: Uint8Array) => void) => Promise<void>,
  ): Promise<{ path: string; offset: number; bytes: number }> {
    if (halfBytes % 2 !== 0) {
      throw new OnnxFormatError(
        `Not a valid ONNX model: the FP16 tensor "${name}" has an odd number of bytes.`,
      );
    }
    const bytes = halfBytes * 2;
    if (bytes > this.options.maxTensorBytes) {
      throw new WidenedTensorTooLargeError(name, bytes, this.options.maxTensorBytes);
    }
    const { path, offset, out } = this.pieces.place(bytes);
    const writer = new HalfWriter(out);
    await read((halves) => writer.write(halves));
    this.tensorsWidened++;
    this.externalBytes += bytes;
    this.largestTensorBytes = Math.max(this.largestTensorBytes, bytes);
    return { path, offset, bytes };
  }
}

async function* inOrder(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
  yield* chunks;
}

/**
 * The FP32 form of the FP16 model whose bytes arrive as `chunks` (in order; each may be reused by its
 * source once the next is asked for), as widenFp16Model gives it, built without holding the FP16 file.
 * Reads every chunk, so a source that checks a digest at its end has checked it when this resolves.
 */
export async function widenFp16Chunks(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: WideningOptions,
): Promise<WidenedModel> {
  const settings: Required<WideningOptions> = {
    maxPieceBytes: DEFAULT_MAX_PIECE_BYTES,
    maxTensorBytes: Number.POSITIVE_INFINITY,
    minExternalBytes: DEFAULT_MIN_EXTERNAL_BYTES,
    ...options,
  };
  if (!(settings.maxPieceBytes > 0) || settings.maxPieceBytes % 4 !== 0) {
    throw new RangeError(`maxPieceBytes must be a positive multiple of 4, got ${settings.maxPieceBytes}.`);
  }
  const source = inOrder(chunks);
  const streaming = new StreamingWidener(new ChunkReader(source), settings);
  let skeleton: Uint8Array;
  try {
    skeleton = concatBytes(await streaming.model());
  } finally {
    // A widening stopped early (a tensor too large, a bad file) lets the source clean up (the store's hasher).
    await source.return(undefined);
  }
  // What the pass left in FP16 (types, constants, small tensors), widened in memory; its own pieces (only
  // a large FP16 tensor held as int32_data would make one) are named apart from the streamed ones.
  const rest = widenFp16Model(skeleton, { ...settings, location: `${settings.location}.rest` });
  return {
    graph: rest.graph,
    externalData: [...streaming.pieces.done, ...rest.externalData],
    tensorsWidened: streaming.tensorsWidened + rest.tensorsWidened,
    typesWidened: rest.typesWidened,
    externalBytes: streaming.externalBytes + rest.externalBytes,
    largestTensorBytes: Math.max(streaming.largestTensorBytes, rest.largestTensorBytes),
  };
}
