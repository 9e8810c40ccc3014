/**
 * Turns the page's per-image records into the benchmark's figures and prints them as plain-text tables.
 * Percentiles are the app's Benchmark action's (nearest rank), so the CLI and the app agree.
 */
import { summarize } from '../src/app/benchmark-stats.js';
import type { CpuSegment, CpuUse, MemoryPeak } from './process-memory.js';
import {
  COUNTED_MARK,
  type BenchConfig,
  type HostSegment,
  type ImageRecord,
  type LoadFigures,
  type RunOutcome,
  type Variant,
} from './protocol.js';

export interface Stat {
  median: number;
  p90: number;
  min: number;
  max: number;
}

export interface StageRow {
  stage: string;
  ms: Stat;
  /** The stage's median as a share of the median total. */
  shareOfTotal: number;
}

/** The figures of one pipeline (one variant) over its counted images. */
export interface VariantSummary {
  variant: Variant;
  /** 'gpu', 'cpu', or 'cpu (wasm)': where tensors really lived (wasm is always cpu). */
  io: string;
  load: LoadFigures;
  countedImages: number;
  /** Warm-up images this pipeline made (at least --warmup, more when --warmup-seconds asked for it). */
  warmupImages: number;
  secondsPerImage: Stat;
  stages: StageRow[];
  perImage: {
    readbacks: Stat;
    readbackBytes: Stat;
    gpuBuffersCreated: Stat;
    uploadStagingBuffers: Stat;
  };
  images: ImageRecord[];
  hostOverhead: HostOverhead;
}

/** Host CPU and GPU commands over one stretch of work, in milliseconds and counts. */
export interface HostFigures {
  /** CPU of Chromium's renderer processes: the page and the Worker that runs ORT. */
  rendererCpuMs: number;
  /** CPU of Chromium's GPU process (with SwiftShader, where the kernels themselves run). */
  gpuProcessCpuMs: number;
  dispatches: number;
  submits: number;
}

/** What the host spends to drive the GPU: per image, per stage and per UNet step. */
export interface HostOverhead {
  /**
   * CPU over the counted images (between marks before the first and after the last, all pipelines
   * together when several) divided by their number; dispatches and submits are this pipeline's median.
   */
  perImage: HostFigures;
  /** Images in the host pass (a CPU mark at every stage's start). */
  hostImages: number;
  /** Means over the host pass's images. */
  stages: (HostFigures & { stage: string })[];
  /** The mean of the UNet steps' rows. */
  perUnetStep: HostFigures;
}

/** What belongs to the page as a whole: with --compare, every variant's pipeline shares it. */
export interface PageSummary {
  coldStart: {
    /** Navigation start to the first image (a warm-up): what a returning visitor waits. */
    pageLoadToFirstImageMs: number;
    navigationToScriptMs: number;
    /** Script start to every pipeline loaded: worker start, store check, weights read, sessions, tokenizer. */
    scriptToLoadedMs: number;
    readWeightsMs: number;
    /** The first image's own pipeline time (shader compilation and first-run allocations included). */
    firstImageMs: number;
  };
  memory: MemoryPeak & { userAgentMemoryBytes?: number; userAgentMemoryError?: string };
  /** CPU taken by the browser and by everything else while the page ran. */
  cpu: CpuUse;
}

/** One variant against the first (the baseline): above 1, it takes longer. */
export interface Comparison {
  baseline: string;
  variant: string;
  baselineMedianSeconds: number;
  variantMedianSeconds: number;
  /** Variant median / baseline median. */
  ratioOfMedians: number;
  /** Median over the same-seed image pairs, made back to back, of variant time / baseline time. */
  medianPairRatio: number;
}

export interface BenchSummary {
  config: BenchConfig;
  variants: VariantSummary[];
  page: PageSummary;
  /** Every variant after the first against the first. */
  comparisons: Comparison[];
}

/** Other processes averaging more than this many cores make the figures doubtful on a small machine. */
const BUSY_MACHINE_CORES = 0.25;

function stat(values: readonly number[]): Stat {
  return { ...summarize(values), max: Math.max(...values) };
}

const mean = (values: readonly number[]) =>
  values.length === 0 ? NaN : values.reduce((sum, value) => sum + value, 0) / values.length;

function meanFigures(rows: readonly HostFigures[]): HostFigures {
  return {
    rendererCpuMs: mean(rows.map((row) => row.rendererCpuMs)),
    gpuProcessCpuMs: mean(rows.map((row) => row.gpuProcessCpuMs)),
    dispatches: mean(rows.map((row) => row.dispatches)),
    submits: mean(rows.map((row) => row.submits)),
  };
}

/** A host-pass segment with the CPU Node measured over it. */
type HostRow = HostFigures & { stage: string };

/**
 * The worker's host-pass segments and Node's CPU segments come in the same order, one for one; the
 * first CPU segment covers the counted images.
 */
function joinHostSegments(
  outcome: RunOutcome,
  cpuSegments: readonly CpuSegment[],
): { counted?: CpuSegment; perPipeline: Map<number, HostRow[][]> } {
  const counted = cpuSegments.find((segment) => segment.label === COUNTED_MARK);
  const stageCpu = cpuSegments.filter((segment) => segment.label !== COUNTED_MARK);
  const perPipeline = new Map<number, HostRow[][]>();
  let next = 0;
  for (const image of outcome.hostImages) {
    const rows = image.segments.map((segment: HostSegment): HostRow => {
      const cpu = stageCpu[next++];
      if (cpu?.label !== segment.label) {
        throw new Error(
          `host pass: the worker's segment "${segment.label}" met Node's CPU mark "${cpu?.label ?? 'none'}"`,
        );
      }
      return {
        stage: segment.label,
        rendererCpuMs: cpu.rendererMs,
        gpuProcessCpuMs: cpu.gpuProcessMs,
        dispatches: segment.dispatches,
        submits: segment.submits,
      };
    });
    perPipeline.set(image.pipeline, [...(perPipeline.get(image.pipeline) ?? []), rows]);
  }
  return { counted, perPipeline };
}

function summarizeHostOverhead(
  counted: readonly ImageRecord[],
  countedCpu: CpuSegment | undefined,
  allCountedImages: number,
  hostImages: readonly HostRow[][],
): HostOverhead {
  const stageNames = hostImages[0]?.map((row) => row.stage) ?? [];
  const stages = stageNames.map((stage) => ({
    stage,
    ...meanFigures(hostImages.flatMap((rows) => rows.filter((row) => row.stage === stage))),
  }));
  return {
    perImage: {
      rendererCpuMs: (countedCpu?.rendererMs ?? NaN) / allCountedImages,
      gpuProcessCpuMs: (countedCpu?.gpuProcessMs ?? NaN) / allCountedImages,
      dispatches: summarize(counted.map((image) => image.gpuCalls.dispatches)).median,
      submits: summarize(counted.map((image) => image.gpuCalls.submits)).median,
    },
    hostImages: hostImages.length,
    stages,
    perUnetStep: meanFigures(stages.filter((row) => row.stage.startsWith('unet step'))),
  };
}

function summarizeVariant(
  variant: Variant,
  load: LoadFigures,
  images: ImageRecord[],
  hostOverhead: HostOverhead,
): VariantSummary {
  const counted = images.filter((image) => !image.warmup);
  const timings = counted.map((image) => image.timings);
  const total = stat(timings.map((t) => t.totalMs));
  const row = (stage: string, values: number[]): StageRow => {
    const ms = stat(values);
    return { stage, ms, shareOfTotal: ms.median / total.median };
  };
  const steps = Math.min(...timings.map((t) => t.unetMs.length));
  return {
    variant,
    io: load.provider.provider === 'wasm' ? 'cpu (wasm)' : load.residency,
    load,
    countedImages: counted.length,
    warmupImages: images.length - counted.length,
    secondsPerImage: stat(timings.map((t) => t.totalMs / 1000)),
    stages: [
      row(
        'tokenize',
        timings.map((t) => t.tokenizeMs),
      ),
      row(
        'text encoder',
        timings.map((t) => t.textEncoderMs),
      ),
      ...Array.from({ length: steps }, (_, step) =>
        row(
          `unet step ${step + 1}`,
          timings.map((t) => t.unetMs[step]),
        ),
      ),
      row(
        'vae decoder',
        timings.map((t) => t.vaeMs),
      ),
      row(
        'pixels',
        timings.map((t) => t.pixelsMs),
      ),
      row(
        'overhead (total - model stages)',
        timings.map((t) => t.overheadMs),
      ),
      row(
        '  of which not tokenize/pixels',
        timings.map((t) => t.overheadMs - t.tokenizeMs - t.pixelsMs),
      ),
      row(
        'total',
        timings.map((t) => t.totalMs),
      ),
    ],
    perImage: {
      readbacks: stat(counted.map((image) => image.readbacks)),
      readbackBytes: stat(counted.map((image) => image.readbackBytes)),
      gpuBuffersCreated: stat(counted.map((image) => image.gpuBuffersCreated)),
      uploadStagingBuffers: stat(counted.map((image) => image.uploadStagingBuffers)),
    },
    images,
    hostOverhead,
  };
}

function compare(baseline: VariantSummary, variant: VariantSummary): Comparison {
  const baselineMedianSeconds = baseline.secondsPerImage.median;
  const variantMedianSeconds = variant.secondsPerImage.median;
  const counted = (summary: VariantSummary) => summary.images.filter((image) => !image.warmup);
  const baselineByIndex = new Map(counted(baseline).map((image) => [image.index, image.timings.totalMs]));
  const pairRatios = counted(variant)
    .filter((image) => baselineByIndex.has(image.index))
    .map((image) => image.timings.totalMs / (baselineByIndex.get(image.index) ?? NaN));
  return {
    baseline: baseline.variant.label,
    variant: variant.variant.label,
    baselineMedianSeconds,
    variantMedianSeconds,
    ratioOfMedians: variantMedianSeconds / baselineMedianSeconds,
    medianPairRatio: summarize(pairRatios).median,
  };
}

export function summarizeBench(
  config: BenchConfig,
  outcome: RunOutcome,
  memory: MemoryPeak,
  cpu: CpuUse,
  cpuSegments: readonly CpuSegment[],
): BenchSummary {
  const host = joinHostSegments(outcome, cpuSegments);
  const allCounted = outcome.images.filter((image) => !image.warmup).length;
  const variants = outcome.loads.map((load, pipeline) => {
    const images = outcome.images.filter((image) => image.pipeline === pipeline);
    const overhead = summarizeHostOverhead(
      images.filter((image) => !image.warmup),
      host.counted,
      allCounted,
      host.perPipeline.get(pipeline) ?? [],
    );
    return summarizeVariant(config.variants[pipeline], load, images, overhead);
  });
  const { coldStart } = outcome;
  return {
    config,
    variants,
    page: {
      coldStart: {
        pageLoadToFirstImageMs: coldStart.firstImageMs,
        navigationToScriptMs: coldStart.scriptStartMs,
        scriptToLoadedMs: coldStart.loadedMs - coldStart.scriptStartMs,
        readWeightsMs: outcome.loads.reduce((sum, load) => sum + load.readWeightsMs, 0),
        firstImageMs: outcome.images[0]?.timings.totalMs ?? NaN,
      },
      memory: {
        ...memory,
        userAgentMemoryBytes: outcome.userAgentMemoryBytes,
        userAgentMemoryError: outcome.userAgentMemoryError,
      },
      cpu,
    },
    comparisons: variants.slice(1).map((variant) => compare(variants[0], variant)),
  };
}

/** A table with a header row, columns padded to their widest cell; the first column is left-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((cells) => cells[column].length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

const mebibytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const count = (value: number) => (Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(1));

function describeBench(summary: BenchSummary): string {
  const { config } = summary;
  const load = summary.variants[0]?.load;
  const device = load
    ? `${load.provider.provider} (${load.provider.adapterDescription ?? 'CPU'})`
    : config.provider;
  const alternating = summary.variants.length > 1 ? ' each, the variants alternating image by image' : '';
  const lines = [
    `${config.modelId} on ${device}, ${config.steps} step(s), ${config.images} images after ` +
      `${summary.variants[0]?.warmupImages ?? config.warmups} warm-up(s)${alternating} ` +
      `(--warmup ${config.warmups}, --warmup-seconds ${config.warmupSeconds})`,
    `  graph capture ${graphCaptureLabel(config)}, wasm threads ${load?.wasmThreads ?? '?'}`,
  ];
  if (load?.provider.softwareAdapter) {
    lines.push(
      '  NOTE: a software WebGPU adapter (CPU emulation): compare overheads, read-backs and allocations here,',
      '  not GPU speed; seconds per image need a real GPU.',
    );
  }
  return lines.join('\n');
}

function describeVariant(summary: VariantSummary): string {
  const { variant } = summary;
  const settings = [
    `io ${summary.io}`,
    `optimization level ${variant.graphOptimizationLevel ?? 'from manifest (default all)'}`,
    `free-dimension overrides ${variant.freeDimensionOverrides ? 'on' : 'off'}`,
  ];
  return `== ${variant.label} == ${settings.join(', ')}`;
}

function formatVariant(summary: VariantSummary): string {
  const seconds = summary.secondsPerImage;
  const secondsDigits = seconds.median < 0.1 ? 4 : 3;
  const perImage = summary.perImage;
  const counters: [string, Stat][] = [
    ['GPU->CPU read-backs', perImage.readbacks],
    ['bytes read back', perImage.readbackBytes],
    ['GPU buffers created', perImage.gpuBuffersCreated],
    ['upload staging buffers', perImage.uploadStagingBuffers],
  ];
  return [
    describeVariant(summary),
    table(
      ['seconds per image', 'median', 'p90', 'min', 'max'],
      // Milliseconds-fast models (wasm, tiny) need a fourth decimal to show anything.
      [
        [
          'total',
          ...[seconds.median, seconds.p90, seconds.min, seconds.max].map((value) =>
            fixed(value, secondsDigits),
          ),
        ],
      ],
    ),
    '',
    table(
      ['stage (ms)', 'median', 'p90', 'min', 'share'],
      summary.stages.map(({ stage, ms, shareOfTotal }) => [
        stage,
        fixed(ms.median, 1),
        fixed(ms.p90, 1),
        fixed(ms.min, 1),
        `${fixed(shareOfTotal * 100, 1)}%`,
      ]),
    ),
    '',
    table(
      ['per image (after warm-up)', 'median', 'max'],
      counters.map(([name, value]) => [name, count(value.median), count(value.max)]),
    ),
    '',
    formatHostOverhead(summary.hostOverhead, summary.variant.label),
    '',
    `load: ${fixed(summary.load.loadMs, 0)} ms (reading weights from IndexedDB ${fixed(summary.load.readWeightsMs, 0)} ms)`,
  ].join('\n');
}

const HOST_COLUMNS = ['renderer CPU ms', 'GPU process CPU ms', 'dispatches', 'submits'];

function hostCells(figures: HostFigures): string[] {
  return [
    fixed(figures.rendererCpuMs, 1),
    fixed(figures.gpuProcessCpuMs, 1),
    count(figures.dispatches),
    count(figures.submits),
  ];
}

function formatHostOverhead(overhead: HostOverhead, label: string): string {
  const rows = [['per image (counted images)', ...hostCells(overhead.perImage)]];
  if (overhead.hostImages > 0) {
    rows.push(['per UNet step (host pass)', ...hostCells(overhead.perUnetStep)]);
    for (const row of overhead.stages) rows.push([`  ${row.stage}`, ...hostCells(row)]);
  }
  const note =
    overhead.hostImages > 0
      ? `host pass: ${overhead.hostImages} image(s) of ${label} with a CPU mark at each stage (CPU clock ticks are 10 ms)`
      : 'no host pass (--host-images 0)';
  return `${table(['host overhead', ...HOST_COLUMNS], rows)}\n${note}`;
}

function formatPage(summary: BenchSummary): string {
  const { coldStart: cold, memory, cpu } = summary.page;
  const all = summary.variants.length > 1 ? ` (all ${summary.variants.length} pipelines)` : '';
  return [
    table(
      ['cold start, weights in IndexedDB', 'ms'],
      [
        ['page load -> first image', fixed(cold.pageLoadToFirstImageMs, 0)],
        ['  navigation -> bench script', fixed(cold.navigationToScriptMs, 0)],
        [`  script -> sessions ready${all}`, fixed(cold.scriptToLoadedMs, 0)],
        ['    of which reading weights', fixed(cold.readWeightsMs, 0)],
        ['  first image (pipeline time)', fixed(cold.firstImageMs, 0)],
      ],
    ),
    '',
    table(
      [`memory${all}`, 'value'],
      [
        ['peak RSS, Chromium process tree', mebibytes(memory.peakRssBytes)],
        ['peak private (RssAnon sum)', mebibytes(memory.peakAnonBytes)],
        ['PSS at the end of the run', mebibytes(memory.endPssBytes)],
        ['RSS when the page was opened', mebibytes(memory.startRssBytes)],
        [
          'measureUserAgentSpecificMemory, after run',
          memory.userAgentMemoryBytes === undefined
            ? `n/a (${memory.userAgentMemoryError ?? 'unknown'})`
            : mebibytes(memory.userAgentMemoryBytes),
        ],
      ],
    ),
    '',
    formatCpu(cpu),
  ].join('\n');
}

/** One line on how much CPU the browser had, and a warning when the rest of the machine took a share. */
function formatCpu(cpu: CpuUse): string {
  const cores = (seconds: number) => (cpu.wallSeconds > 0 ? seconds / cpu.wallSeconds : NaN);
  const line =
    `CPU while the page ran (${fixed(cpu.wallSeconds, 0)} s, ${cpu.cores} cores): ` +
    `Chromium ${fixed(cores(cpu.browserSeconds), 2)} cores, this runner (Node, Vite, Playwright) ` +
    `${fixed(cores(cpu.runnerSeconds), 2)}, other processes ${fixed(cores(cpu.otherSeconds), 2)}`;
  return cores(cpu.otherSeconds) > BUSY_MACHINE_CORES
    ? `${line}\nWARNING: other processes were busy during this run; its times are inflated and noisy.`
    : line;
}

/** A time ratio (above 1: slower) in words. */
function times(ratio: number): string {
  return ratio >= 1 ? `${ratio.toFixed(2)}× slower` : `${(1 / ratio).toFixed(2)}× faster`;
}

function formatComparisons(summary: BenchSummary): string {
  const { variants } = summary;
  const row = (name: string, pick: (variant: VariantSummary) => string) => [name, ...variants.map(pick)];
  const stageMedian = (v: VariantSummary, stage: string) =>
    v.stages.find((r) => r.stage === stage)?.ms.median ?? NaN;
  const lines = summary.comparisons.map((c) => {
    const pairs = `${times(c.medianPairRatio)} over same-seed pairs`;
    // For --compare io, the wording: how much faster GPU-resident is than reading back.
    if (c.baseline === 'io gpu' && c.variant === 'io cpu') {
      return `GPU-resident is ${times(1 / c.ratioOfMedians)} than --io cpu (${times(1 / c.medianPairRatio)} over same-seed pairs)`;
    }
    return `${c.variant} is ${times(c.ratioOfMedians)} than ${c.baseline} (${pairs})`;
  });
  return [
    table(
      ['medians', ...variants.map((v) => v.variant.label)],
      [
        row('seconds per image', (v) => fixed(v.secondsPerImage.median, 3)),
        ...variants[0].stages
          .map(({ stage }) => stage)
          .filter((stage) => stage !== 'total' && !stage.startsWith(' '))
          .map((stage) =>
            row(`${stage.replace(' (total - model stages)', '')} ms`, (v) => fixed(stageMedian(v, stage), 1)),
          ),
        row('GPU->CPU read-backs', (v) => count(v.perImage.readbacks.median)),
        row('bytes read back', (v) => count(v.perImage.readbackBytes.median)),
        row('GPU buffers created', (v) => count(v.perImage.gpuBuffersCreated.median)),
        row('upload staging buffers', (v) => count(v.perImage.uploadStagingBuffers.median)),
      ],
    ),
    '',
    ...lines,
  ].join('\n');
}

export function formatBench(summary: BenchSummary): string {
  const parts = [
    describeBench(summary),
    '',
    ...summary.variants.flatMap((variant) => [formatVariant(variant), '']),
    formatPage(summary),
  ];
  if (summary.comparisons.length > 0) parts.push('', formatComparisons(summary));
  return `${parts.join('\n')}\n`;
}

/** 'on', 'off', or 'per variant' under `--compare graph-capture`. */
function graphCaptureLabel(config: BenchConfig): string {
  const on = config.variants.filter((variant) => variant.enableGraphCapture).length;
  return on === 0 ? 'off' : on === config.variants.length ? 'on' : 'per variant';
}
