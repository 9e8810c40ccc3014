/**
 * The benchmark page. It reads a BenchConfig from its URL, starts at once (so the cold start runs from
 * navigation to the first image without waiting on Playwright), hands the config to its pipeline Worker,
 * timestamps what comes back on the page's own clock, and exposes the outcome as `window.benchOutcome`.
 */
import {
  BENCH_CONFIG_PARAM,
  CPU_MARK_FUNCTION,
  type BenchConfig,
  type FailedOutcome,
  type HostImage,
  type ImageRecord,
  type LoadFigures,
  type PageOutcome,
  type RunOutcome,
  type WorkerMessage,
} from './protocol.js';

/** Milliseconds since navigation started. */
const scriptStartMs = performance.now();

const MEASURE_MEMORY_TIMEOUT_MS = 10_000;

/** Chromium's API is not in TypeScript's DOM library yet. */
type MeasureMemory = () => Promise<{ bytes: number }>;

function log(line: string): void {
  console.log(`[bench] ${line}`);
  document.querySelector('#log')?.append(`${line}\n`);
}

function readConfig(): BenchConfig {
  const raw = new URLSearchParams(location.search).get(BENCH_CONFIG_PARAM);
  if (!raw) throw new Error(`bench page: no ?${BENCH_CONFIG_PARAM}= in the URL`);
  return JSON.parse(raw) as BenchConfig;
}

/** Needs cross-origin isolation; covers the page and its workers. */
async function measureMemory(): Promise<Pick<RunOutcome, 'userAgentMemoryBytes' | 'userAgentMemoryError'>> {
  const measure = (performance as Performance & { measureUserAgentSpecificMemory?: MeasureMemory })
    .measureUserAgentSpecificMemory;
  if (!crossOriginIsolated || !measure) {
    return {
      userAgentMemoryError: crossOriginIsolated ? 'not supported' : 'page is not cross-origin isolated',
    };
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Chromium answers at its next garbage collection unless run with ForceEagerMeasureMemory (the
  // runner's default flags have it): a bounded wait, so a missing flag cannot hold the run for a minute.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${MEASURE_MEMORY_TIMEOUT_MS / 1000} s`)),
      MEASURE_MEMORY_TIMEOUT_MS,
    );
  });
  try {
    return { userAgentMemoryBytes: (await Promise.race([measure.call(performance), timeout])).bytes };
  } catch (error) {
    return { userAgentMemoryError: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function describe(record: ImageRecord, config: BenchConfig): string {
  const which = record.warmup ? `warm-up ${record.ordinal}` : `image ${record.ordinal}/${config.images}`;
  const variant = config.variants.length > 1 ? ` (${config.variants[record.pipeline].label})` : '';
  return `${which}${variant}: ${(record.timings.totalMs / 1000).toFixed(3)} s`;
}

/** Has Node take the CPU mark (when it exposed its function), then lets the waiting worker go on. */
async function takeCpuMark(label: string, signal: SharedArrayBuffer): Promise<void> {
  try {
    await window[CPU_MARK_FUNCTION]?.(label);
  } finally {
    const flag = new Int32Array(signal);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
}

function failed(phase: FailedOutcome['phase'], message: string, images: ImageRecord[]): FailedOutcome {
  return { mode: 'failed', phase, error: { name: 'Error', message }, images };
}

function runBench(config: BenchConfig): Promise<PageOutcome> {
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), {
    type: 'module',
    name: 'sd-turbo-bench',
  });
  const images: ImageRecord[] = [];
  const loads: LoadFigures[] = [];
  const hostImages: HostImage[] = [];
  let hostPassError: string | undefined;
  let loadedMs = NaN;
  let firstImageMs = NaN;
  let loggedAt = -Infinity;
  return new Promise<PageOutcome>((resolve) => {
    worker.addEventListener('error', (event) =>
      resolve(failed('load', `the worker failed: ${event.message}`, images)),
    );
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      switch (message.type) {
        case 'prepared':
          log(`weights stored: ${message.outcome.bytesStored} bytes in ${message.outcome.ms.toFixed(0)} ms`);
          resolve(message.outcome);
          return;
        case 'loaded': {
          loadedMs = performance.now();
          loads.push(message.load);
          const { provider, residency, loadMs } = message.load;
          log(
            `loaded on ${provider.provider} (${provider.reason}), io ${residency}, in ${loadMs.toFixed(0)} ms`,
          );
          return;
        }
        case 'image': {
          const now = performance.now();
          if (images.length === 0) firstImageMs = now;
          images.push(message.record);
          // Each line crosses to Node over the DevTools protocol: on 2 cores, a line per 5 ms image would
          // slow what it reports. At most one a second, and always the first and the last.
          const last = !message.record.warmup && message.record.ordinal === config.images;
          if (images.length === 1 || last || now - loggedAt >= 1000) {
            loggedAt = now;
            log(describe(message.record, config));
          }
          return;
        }
        case 'cpu-mark':
          void takeCpuMark(message.label, message.signal);
          return;
        case 'host-image':
          hostImages.push(message.image);
          return;
        case 'host-pass-skipped':
          hostPassError = message.reason;
          log(`no host pass: ${message.reason}`);
          return;
        case 'failed':
          log(
            `failed while ${message.phase === 'generate' ? 'generating' : message.phase}: ${message.error.message}`,
          );
          resolve({ mode: 'failed', phase: message.phase, error: message.error, images });
          return;
        case 'done':
          void measureMemory().then((memory) =>
            resolve({
              mode: 'run',
              loads,
              images,
              coldStart: { scriptStartMs, loadedMs, firstImageMs },
              hostImages,
              hostPassError,
              ...memory,
            }),
          );
          return;
      }
    });
    worker.postMessage(config);
  });
}

declare global {
  interface Window {
    benchOutcome: Promise<PageOutcome>;
    /** Exposed by the Node runner (Playwright's exposeFunction); absent when the page is opened by hand. */
    [CPU_MARK_FUNCTION]?: (label: string) => Promise<void>;
  }
}

window.benchOutcome = Promise.resolve()
  .then(() => runBench(readConfig()))
  .catch((error: unknown) => failed('load', error instanceof Error ? error.message : String(error), []));
