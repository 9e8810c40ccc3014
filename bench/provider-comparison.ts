/**
 * `npm run bench -- --compare provider`: one row per execution provider on the same model, browser
 * providers (webgpu, wasm, webnn, webgl) from the bench page and onnxruntime-node's (cpu, webgpu) from a
 * child process each. A provider that cannot run the model gets its measured reason instead of figures.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { summarize } from '../src/app/benchmark-stats.js';
import type { StageTimings } from '../src/pipeline/index.js';
import { table } from './report.js';

export const BROWSER_PROVIDERS = ['webgpu', 'wasm', 'webnn', 'webgl'] as const;
export type BrowserProvider = (typeof BROWSER_PROVIDERS)[number];
export const NODE_PROVIDERS = ['cpu', 'webgpu'] as const;
export type NodeProvider = (typeof NODE_PROVIDERS)[number];

/** Chromium's Vulkan loader and SwiftShader driver, which Dawn in onnxruntime-node can use (measured). */
export const SWIFTSHADER_ENV = {
  LD_LIBRARY_PATH: '/usr/lib/chromium',
  VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json',
};

export interface ProviderRow {
  /** e.g. 'browser webgpu' or 'node cpu'. */
  label: string;
  /** How tensors moved between stages, e.g. 'gpu', 'cpu', 'cpu (wasm)'. */
  io?: string;
  /** Counted images' timings; empty when the provider could not run the model. */
  timings: StageTimings[];
  readbacks?: number;
  /** Why there are no figures: the error the provider gave, word for word. */
  reason?: string;
}

const fixed = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(1) : '-');

/** The one comparison table, then each failing provider's reason in full. */
export function formatProviderComparison(modelId: string, rows: readonly ProviderRow[]): string {
  const steps = Math.max(0, ...rows.flatMap((row) => row.timings.map((t) => t.unetMs.length)));
  const header = [
    'provider',
    'io',
    'images',
    's/image median',
    's/image p90',
    'text encoder ms',
    ...Array.from({ length: steps }, (_, step) => `unet ${step + 1} ms`),
    'vae ms',
    'overhead ms',
    'read-backs',
    'status',
  ];
  const medianOf = (row: ProviderRow, pick: (t: StageTimings) => number) =>
    summarize(row.timings.map(pick)).median;
  const body = rows.map((row) => {
    if (row.timings.length === 0) {
      return [row.label, row.io ?? '-', '0', ...header.slice(3, -1).map(() => '-'), 'cannot run (see below)'];
    }
    const seconds = summarize(row.timings.map((t) => t.totalMs / 1000));
    return [
      row.label,
      row.io ?? '-',
      String(row.timings.length),
      seconds.median.toFixed(3),
      seconds.p90.toFixed(3),
      fixed(medianOf(row, (t) => t.textEncoderMs)),
      ...Array.from({ length: steps }, (_, step) => fixed(medianOf(row, (t) => t.unetMs[step] ?? NaN))),
      fixed(medianOf(row, (t) => t.vaeMs)),
      fixed(medianOf(row, (t) => t.overheadMs)),
      row.readbacks === undefined ? '-' : String(row.readbacks),
      'ok',
    ];
  });
  const reasons = rows
    .filter((row) => row.reason !== undefined)
    .map((row) => `- ${row.label}: ${row.reason}`);
  return [
    `Execution providers on ${modelId} (medians over the counted images; stage times in ms)`,
    '',
    table(header, body),
    ...(reasons.length > 0 ? ['', 'Why a provider could not run the model (as measured):', ...reasons] : []),
    '',
  ].join('\n');
}

interface NodeBenchOutput {
  timings?: StageTimings[];
  error?: string;
}

/**
 * Runs bench/node-bench.ts in a child process: its own environment (the Vulkan loader for the WebGPU EP
 * must be set before the process starts) and its own memory.
 */
export function runNodeProvider(
  provider: NodeProvider,
  args: { modelId: string; images: number; warmups: number; steps: number; prompt: string; manifest: string },
): Promise<ProviderRow> {
  const env = {
    ...process.env,
    ...(provider === 'webgpu' && existsSync(SWIFTSHADER_ENV.VK_ICD_FILENAMES) ? SWIFTSHADER_ENV : {}),
  };
  const argv = [
    'bench/node-bench.ts',
    '--provider',
    provider,
    '--model',
    args.modelId,
    '--images',
    String(args.images),
    '--warmup',
    String(args.warmups),
    '--steps',
    String(args.steps),
    '--prompt',
    args.prompt,
    '--manifest',
    args.manifest,
  ];
  return new Promise((resolve) => {
    execFile('node_modules/.bin/tsx', argv, { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const label = `node ${provider}`;
      let output: NodeBenchOutput;
      try {
        output = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as NodeBenchOutput;
      } catch {
        const why = (stderr || (error ? error.message : 'no output')).trim().split('\n').slice(-3).join(' ');
        resolve({ label, timings: [], reason: why });
        return;
      }
      if (output.error !== undefined || !output.timings) {
        resolve({ label, timings: [], reason: output.error ?? 'no figures' });
        return;
      }
      resolve({ label, io: 'cpu', timings: output.timings, readbacks: undefined });
    });
  });
}
