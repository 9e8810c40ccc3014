/**
 * Counts every GPU buffer created and every buffer mapped for reading on one device: ORT's own work
 * included, which is what "allocations per image" and "read-backs per image" must measure.
 */
export interface GpuActivity {
  /** Buffers that hold data: ORT's tensors and ours. */
  buffersCreated: number;
  /** Short-lived mapped buffers ORT makes to upload a CPU tensor (input ids, timestep). */
  uploadStagingBuffers: number;
  readbacks: number;
  readbackBytes: number;
}

const monitored = new WeakMap<GPUDevice, GpuActivity>();

export function monitorGpuActivity(device: GPUDevice): GpuActivity {
  const existing = monitored.get(device);
  if (existing) return existing;
  const activity: GpuActivity = {
    buffersCreated: 0,
    uploadStagingBuffers: 0,
    readbacks: 0,
    readbackBytes: 0,
  };
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    if (descriptor.usage & GPUBufferUsage.MAP_WRITE) activity.uploadStagingBuffers++;
    else activity.buffersCreated++;
    const buffer = createBuffer(descriptor);
    if (descriptor.usage & GPUBufferUsage.MAP_READ) {
      const mapAsync = buffer.mapAsync.bind(buffer);
      buffer.mapAsync = (mode: GPUMapModeFlags, offset?: number, size?: number): Promise<undefined> => {
        if (mode & GPUMapMode.READ) {
          activity.readbacks++;
          activity.readbackBytes += size ?? buffer.size - (offset ?? 0);
        }
        return mapAsync(mode, offset, size);
      };
    }
    return buffer;
  };
  monitored.set(device, activity);
  return activity;
}
