/** The load benchmark's page: hands the config in its URL to the Worker and exposes what comes back. */
import type { LoadBenchConfig, LoadPageOutcome } from './protocol.js';

declare global {
  interface Window {
    loadOutcome: Promise<LoadPageOutcome>;
  }
}

const config = JSON.parse(new URLSearchParams(location.search).get('config') ?? 'null') as LoadBenchConfig;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
window.loadOutcome = new Promise((resolve) => {
  worker.addEventListener('message', (event: MessageEvent<LoadPageOutcome>) => resolve(event.data));
});
worker.postMessage(config);
