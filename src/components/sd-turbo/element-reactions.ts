/** What the element does when its model is ready, and when a problem's remedy button is pressed. */
import type { LoadedModel } from '../../pipeline/index.js';
import { emitEvent } from '../events.js';
import type { Remedy } from '../messages.js';
import type { ElementHost } from './element-host.js';

const PROVIDER_NAMES = { webgpu: 'WebGPU', wasm: 'wasm (CPU)', webnn: 'WebNN', cpu: 'the CPU' } as const;

export function announceReady(el: ElementHost, loaded: LoadedModel): void {
  el.feedback.setNotice(el.models.fallbackNote);
  el.feedback.announce(`Model loaded on ${PROVIDER_NAMES[loaded.provider.provider]}.`);
  emitEvent(el, 'sd-ready', loaded);
}

/** load() and generate() report their own failures, so the remedy button only starts them. */
export async function applyRemedy(el: ElementHost, remedy: Remedy): Promise<void> {
  if (remedy === 'use-wasm') el.provider = 'wasm';
  if (remedy === 'redownload' && el.modelId) await el.models.deleteStored(el.modelId);
  // After a failed Download, loading (and downloading) is what was asked for; otherwise a Generate.
  if (remedy === 'resume-download' || remedy === 'redownload') return void (await el.load());
  if (!el.models.isLoadCurrent()) await el.load();
  await el.generate();
}
