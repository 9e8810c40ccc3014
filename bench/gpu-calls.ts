/**
 * Counts the GPU commands ORT issues from this thread: compute dispatches (the kernels) and queue
 * submits. On a fast GPU the host's cost per UNet step grows with these counts, whatever the GPU's own
 * time. The prototypes are wrapped, not a device, so every encoder and queue ORT makes is counted.
 */
export interface GpuCallCounts {
  dispatches: number;
  submits: number;
}

const counts: GpuCallCounts = { dispatches: 0, submits: 0 };
let wrapped = false;

/** The running totals since the first call (zero where this context has no WebGPU). */
export function countGpuCalls(): Readonly<GpuCallCounts> {
  if (!wrapped && typeof GPUComputePassEncoder !== 'undefined' && typeof GPUQueue !== 'undefined') {
    wrapped = true;
    const pass = GPUComputePassEncoder.prototype;
    const dispatchWorkgroups = pass.dispatchWorkgroups;
    pass.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args) {
      counts.dispatches++;
      return dispatchWorkgroups.apply(this, args);
    };
    const dispatchWorkgroupsIndirect = pass.dispatchWorkgroupsIndirect;
    pass.dispatchWorkgroupsIndirect = function (this: GPUComputePassEncoder, ...args) {
      counts.dispatches++;
      return dispatchWorkgroupsIndirect.apply(this, args);
    };
    const submit = GPUQueue.prototype.submit;
    GPUQueue.prototype.submit = function (this: GPUQueue, ...args) {
      counts.submits++;
      return submit.apply(this, args);
    };
  }
  return counts;
}

export function gpuCallsSince(before: Readonly<GpuCallCounts>): GpuCallCounts {
  return { dispatches: counts.dispatches - before.dispatches, submits: counts.submits - before.submits };
}
