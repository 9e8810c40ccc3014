/**
 * The Chromium part of `npm run bench:gpu`: headless Chromium on the machine's GPU (Vulkan, no
 * SwiftShader), driven through `npm run bench` (bench/run-bench.ts) as a child process per run, its
 * figures read back from the JSON it writes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import type { StageTimings } from '../../src/pipeline/index.js';
import { imageRows, type ReportRow } from './table.js';

/** WebGPU on the GPU through Vulkan, as Chromium does on Linux desktops. */
export const GPU_CHROMIUM_FLAGS = [
  '--enable-unsafe-webgpu',
  '--use-angle=vulkan',
  '--enable-features=Vulkan',
  '--ignore-gpu-blocklist',
];

const PROBE_URL = 'http://localhost/bench-gpu-probe';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** isFallbackAdapter, or SwiftShader by name: CPU emulation. */
  software: boolean;
}

/** The adapter headless Chromium gets with GPU_CHROMIUM_FLAGS, or why there is none. */
export async function probeChromiumAdapter(
  chromiumPath: string,
): Promise<{ adapter?: AdapterInfo; reason?: string }> {
  if (!existsSync(chromiumPath)) return { reason: `${chromiumPath} is not installed` };
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', ...GPU_CHROMIUM_FLAGS],
  });
  try {
    const page = await browser.newPage();
    // WebGPU needs a secure context, which about:blank is not; localhost is, and the page is answered
    // here, so nothing listens or goes out.
    await page.route(PROBE_URL, (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html>' }),
    );
    await page.goto(PROBE_URL);
    const adapter = await page.evaluate(async () => {
      if (!('gpu' in navigator)) return `no navigator.gpu (secure context: ${String(isSecureContext)})`;
      const found = await navigator.gpu.requestAdapter();
      if (!found) return 'navigator.gpu.requestAdapter() gave no adapter';
      const { vendor, architecture, device, description } = found.info;
      const fallback = (found.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter;
      return { vendor, architecture, device, description, fallback: fallback ?? false };
    });
    if (typeof adapter === 'string') return { reason: adapter };
    const software =
      adapter.fallback ||
      /swiftshader/i.test(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`);
    return { adapter: { ...adapter, software } };
  } finally {
    await browser.close();
  }
}

export function describeAdapter(adapter: AdapterInfo): string {
  const parts = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter(Boolean);
  return `${parts.join(' ')}${adapter.software ? ' (software)' : ''}`;
}

/** The parts of bench/run-bench.ts's JSON this reads. */
interface BenchJson {
  failure?: string;
  variants?: { images: { warmup: boolean; timings: StageTimings }[] }[];
  page?: { coldStart: { pageLoadToFirstImageMs: number } };
}

export interface ChromiumRunOptions {
  chromiumPath: string;
  modelId: string;
  manifest: string;
  steps: number;
  images: number;
  graphCapture: boolean;
  profileDir: string;
  timeoutMs: number;
}

/** One `npm run bench` run; its JSON, or the reason it gave none. */
async function runBench(options: ChromiumRunOptions): Promise<BenchJson | { error: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-gpu-json-'));
  const json = join(dir, 'bench.json');
  const args = [
    'tsx',
    'bench/run-bench.ts',
    ...['--model', options.modelId, '--manifest', options.manifest, '--provider', 'webgpu'],
    ...['--steps', String(options.steps), '--images', String(options.images)],
    ...['--warmup', '1', '--warmup-seconds', '0', '--host-images', '0'],
    ...['--chromium', options.chromiumPath, '--profile', options.profileDir, '--json', json],
    ...GPU_CHROMIUM_FLAGS.flatMap((flag) => ['--flag', flag]),
    ...(options.graphCapture ? ['--graph-capture'] : []),
  ];
  try {
    await promisify(execFile)('npx', args, { timeout: options.timeoutMs, killSignal: 'SIGKILL' }).catch(
      (error: { killed?: boolean; code?: number }) => {
        // Exit code 1 is a failed page: its JSON says why.
        if (error.killed) throw new Error(`npm run bench took over ${options.timeoutMs / 1000} s`);
        if (error.code !== 1) throw error;
      },
    );
    return JSON.parse(await readFile(json, 'utf8')) as BenchJson;
  } catch (error) {
    return { error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * One model's rows: an uncaptured run per step count (the first run's page load to first image is the
 * first image, weights just stored; the second run's is the warm start), then one with graph capture.
 */
export async function measureChromiumModel(
  options: Omit<ChromiumRunOptions, 'steps' | 'graphCapture' | 'profileDir' | 'timeoutMs'>,
  steps: readonly number[],
  deadline: number,
): Promise<{ rows: ReportRow[]; notes: string[] }> {
  const runtime = 'chromium webgpu';
  const model = options.modelId;
  const rows: ReportRow[] = [];
  const notes: string[] = [];
  const profileDir = await mkdtemp(join(tmpdir(), 'bench-gpu-profile-'));
  const runs = [
    ...steps.map((count) => ({ steps: count, graphCapture: false })),
    { steps: 1, graphCapture: true },
  ];
  try {
    for (const [index, run] of runs.entries()) {
      const timeoutMs = Math.floor(deadline - performance.now());
      if (timeoutMs < 10_000) {
        notes.push(
          `${runtime} ${model}: out of time before ${run.steps} step(s), capture ${run.graphCapture ? 'on' : 'off'}`,
        );
        break;
      }
      const outcome = await runBench({ ...options, ...run, profileDir, timeoutMs });
      const capture = run.graphCapture ? 'on' : 'off';
      const failure = 'error' in outcome ? outcome.error : outcome.failure;
      const variant = 'error' in outcome ? undefined : outcome.variants?.[0];
      if (failure !== undefined || !variant) {
        rows.push({
          runtime,
          model,
          steps: run.steps,
          capture,
          stage: 'image',
          refused: failure ?? 'no figures',
        });
        continue;
      }
      const counted = variant.images.filter((image) => !image.warmup);
      rows.push(
        ...imageRows(
          { runtime, model, steps: run.steps, capture },
          counted.map((i) => i.timings),
        ),
      );
      const start = 'error' in outcome ? undefined : outcome.page?.coldStart.pageLoadToFirstImageMs;
      if (start !== undefined && index < 2) {
        const stage = index === 0 ? 'first image (page load + image)' : 'warm start (page load + image)';
        rows.push({ runtime, model, steps: run.steps, capture, stage, seconds: [start / 1000] });
      }
    }
  } finally {
    await rm(profileDir, { recursive: true, force: true });
  }
  return { rows, notes };
}
