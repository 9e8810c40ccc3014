/**
 * onnxruntime-web 1.30's WebGPU EP uploads each external weight through a staging buffer mapped at
 * creation, then a `copyBufferToBuffer`, all inside one synchronous session creation. In Chromium a mapped
 * range is shared memory between the page and the GPU process, given back only once the GPU process has
 * done the copy: where the GPU process lags behind (SwiftShader on a busy CPU), a whole stage's staging piles
 * up, 1.9 GiB for the widened UNet on top of its weights (docs/benchmarks/results/2026-12-07.md).
 *
 * While a session is created, `withBoundedUploads` turns those staged uploads into `queue.writeBuffer`
 * calls, which copy the bytes when called: the staging range becomes one reused scratch buffer in the page,
 * and the GPU process receives the bytes through its command transfer buffer, which makes the page wait
 * rather than grow when the GPU process is behind. Only buffers made exactly as ORT's upload makes them
 * (mapped at creation, MAP_WRITE | COPY_SRC) and used only as a copy's source are replaced.
 */

/** A multiple of 4, as writeBuffer requires of sizes and offsets. */
const WRITE_SLICE_BYTES = 4 * 1024 * 1024;

/** A staging buffer's stand-in: its "mapped range" is page memory, written to the GPU when copied from. */
class StagedUpload {
  private bytes?: ArrayBuffer;

  constructor(
    readonly device: GPUDevice,
    readonly size: number,
    private readonly scratch: Scratch,
  ) {}

  getMappedRange(offset = 0, size = this.size - offset): ArrayBuffer {
    if (offset !== 0 || size !== this.size) throw new Error('a staged upload maps its whole range only');
    this.bytes ??= this.scratch.take(this.size);
    return this.bytes;
  }

  unmap(): void {}

  writeTo(destination: GPUBuffer, destinationOffset: number, sourceOffset: number, size: number): void {
    if (!this.bytes) throw new Error('a staged upload was copied before it was written');
    // In slices: the transfer memory a write takes grows with the write (a 200 MB embedding table).
    for (let done = 0; done < size; done += WRITE_SLICE_BYTES) {
      const bytes = Math.min(WRITE_SLICE_BYTES, size - done);
      this.device.queue.writeBuffer(
        destination,
        destinationOffset + done,
        this.bytes,
        sourceOffset + done,
        bytes,
      );
    }
  }

  destroy(): void {
    if (this.bytes) this.scratch.give(this.bytes);
    this.bytes = undefined;
  }
}

/**
 * One buffer for the uploads one after another (ORT makes, fills, copies and destroys each in turn). A range
 * may be longer than asked for: ORT only writes its weight at its start, and the copy takes `size` bytes.
 * Exact-size ranges measured worse (5.25 against 4.51 GiB renderer peak): each new size left its buffer for
 * V8 to collect. The price is ORT's wasm heap, which copies a whole range through itself when ORT's wasm
 * side maps one: 0.13 GiB after the load instead of 0.02.
 */
class Scratch {
  private free?: ArrayBuffer;

  take(size: number): ArrayBuffer {
    const buffer = this.free && this.free.byteLength >= size ? this.free : new ArrayBuffer(size);
    if (buffer === this.free) this.free = undefined;
    return buffer;
  }

  give(buffer: ArrayBuffer): void {
    if (!this.free || buffer.byteLength > this.free.byteLength) this.free = buffer;
  }
}

const STAGING_USAGE = 2 | 4; // GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC, without the global

/** Runs `create` with ORT's staged weight uploads done as `writeBuffer` calls (see above). */
export async function withBoundedUploads<T>(create: () => Promise<T>): Promise<T> {
  if (typeof GPUDevice === 'undefined' || typeof GPUCommandEncoder === 'undefined') return create();
  const createBuffer = Object.getOwnPropertyDescriptor(GPUDevice.prototype, 'createBuffer')!;
  const copy = Object.getOwnPropertyDescriptor(GPUCommandEncoder.prototype, 'copyBufferToBuffer')!;
  const scratch = new Scratch();
  Object.defineProperty(GPUDevice.prototype, 'createBuffer', {
    ...createBuffer,
    value(this: GPUDevice, descriptor: GPUBufferDescriptor): GPUBuffer {
      if (descriptor.mappedAtCreation && descriptor.usage === STAGING_USAGE) {
        // A stand-in where ORT expects a GPUBuffer: it only maps, unmaps, copies from and destroys it.
        return new StagedUpload(this, descriptor.size, scratch) as unknown as GPUBuffer;
      }
      return (createBuffer.value as GPUDevice['createBuffer']).call(this, descriptor);
    },
  });
  Object.defineProperty(GPUCommandEncoder.prototype, 'copyBufferToBuffer', {
    ...copy,
    value(this: GPUCommandEncoder, source: GPUBuffer, ...rest: unknown[]) {
      if (!(source instanceof StagedUpload)) {
        return (copy.value as (...args: unknown[]) => void).call(this, source, ...rest);
      }
      // copyBufferToBuffer(source, sourceOffset, destination, destinationOffset, size), or (source, destination, size?).
      const [sourceOffset, destination, destinationOffset, size] =
        typeof rest[0] === 'number'
          ? (rest as [number, GPUBuffer, number, number])
          : [0, rest[0] as GPUBuffer, 0, (rest[1] as number | undefined) ?? source.size];
      source.writeTo(destination, destinationOffset, sourceOffset, size);
    },
  });
  try {
    return await create();
  } finally {
    Object.defineProperty(GPUDevice.prototype, 'createBuffer', createBuffer);
    Object.defineProperty(GPUCommandEncoder.prototype, 'copyBufferToBuffer', copy);
  }
}
