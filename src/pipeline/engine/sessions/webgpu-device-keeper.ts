import type * as ort from 'onnxruntime-web/webgpu';
import type { OrtRuntime } from '../../runtime/ort-runtime.js';

/**
 * ORT's WebGPU EP destroys its device when its last session is released, and its `preserveDevice` option
 * cannot be passed through onnxruntime-web's session options (EP options are appended before `extra`).
 * Low-memory mode releases every stage between uses while GPU buffers carry the hidden states and latents
 * across stages on that device: a one-node session (Identity on one float) keeps the device alive.
 *
 * Being the device's first session, it also sets ORT's buffer cache for every session after it. Low-memory
 * mode asks for 'lazyRelease': a freed buffer is destroyed at the end of the next run, where ORT's default
 * ('bucket') keeps freed buffers of its bucket sizes (up to 160 MiB, most weights among them) for reuse, so
 * a released stage would go on holding much of its memory. ('disabled' destroys a buffer that commands
 * recorded but not yet submitted still use, which WebGPU refuses.) A released session's weights are freed
 * at the next run's end, so `flush` runs the keeper once to free them before the next stage loads.
 */
export class WebGpuDeviceKeeper {
  private constructor(
    private readonly runtime: OrtRuntime,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(
    runtime: OrtRuntime,
    storageBufferCacheMode?: 'lazyRelease',
  ): Promise<WebGpuDeviceKeeper> {
    const session = await runtime.InferenceSession.create(identityModel(), {
      executionProviders: [storageBufferCacheMode ? { name: 'webgpu', storageBufferCacheMode } : 'webgpu'],
      // Its output stays on the GPU and is dropped: a flush reads nothing back.
      preferredOutputLocation: 'gpu-buffer',
      logSeverityLevel: 3,
    });
    return new WebGpuDeviceKeeper(runtime, session);
  }

  /**
   * Ends one run on the device: ORT destroys the buffers freed since the last run's end. The browser frees
   * a destroyed buffer's memory once the GPU has done with it: waiting for the queue to drain lets that
   * happen before the next stage's weights arrive, instead of beside them.
   */
  async flush(): Promise<void> {
    const outputs = await this.session.run({
      x: new this.runtime.Tensor('float32', Float32Array.of(0), [1]),
    });
    for (const tensor of Object.values(outputs)) tensor.dispose();
    await this.drain();
  }

  /**
   * Waits for the GPU to finish what was submitted. A new session's weights are submitted as copies from
   * staging buffers that the browser frees only once the copies are done: draining after a session is
   * created keeps those staging copies from piling up beside the first run's own memory.
   */
  async drain(): Promise<void> {
    if (!this.runtime.gpuResidentTensors) return;
    const device = (await this.runtime.env.webgpu.device) as GPUDevice;
    await device.queue.onSubmittedWorkDone();
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const FLOAT = 1;

function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return bytes;
}

function varintField(field: number, value: number): number[] {
  return [...varint((field << 3) | WIRE_VARINT), ...varint(value)];
}

function bytesField(field: number, content: number[] | string): number[] {
  const bytes = typeof content === 'string' ? [...new TextEncoder().encode(content)] : content;
  return [...varint((field << 3) | WIRE_LENGTH_DELIMITED), ...varint(bytes.length), ...bytes];
}

/** ValueInfoProto: a float tensor of shape [1]. */
function floatScalar(name: string): number[] {
  const shape = bytesField(2, bytesField(1, varintField(1, 1)));
  const tensorType = bytesField(1, [...varintField(1, FLOAT), ...shape]);
  return [...bytesField(1, name), ...bytesField(2, tensorType)];
}

/** ModelProto (IR 8, opset 17): y = Identity(x). */
function identityModel(): Uint8Array {
  const node = [...bytesField(1, 'x'), ...bytesField(2, 'y'), ...bytesField(4, 'Identity')];
  const graph = [
    ...bytesField(1, node),
    ...bytesField(2, 'device-keeper'),
    ...bytesField(11, floatScalar('x')),
    ...bytesField(12, floatScalar('y')),
  ];
  const opset = [...bytesField(1, ''), ...varintField(2, 17)];
  return Uint8Array.from([...varintField(1, 8), ...bytesField(8, opset), ...bytesField(7, graph)]);
}
