/**
 * The measuring core of `npm run bench:gpu` on onnxruntime-node: the first image (load + image), seconds
 * per image per stage for each step count, a warm start (the model loaded again in the same process, its
 * files in the OS cache), and each stage's session.run with ORT's graph capture off and on. Every part
 * checks the deadline first, so a slow machine gets partial rows rather than none.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import { NodeTextToImage, readManifest, type NodeProvider } from '../../src/node/index.js';
import { getModel, resolveFileUrl } from '../../src/pipeline/model/manifest.js';
import { stageFile, type ModelEntry } from '../../src/pipeline/model/manifest-types.js';
import type { StageTimings } from '../../src/pipeline/index.js';
import { imageRows, type ReportRow } from './table.js';

export interface MeasureOptions {
  modelId: string;
  /** Path of the manifest that lists the model. */
  manifest: string;
  provider: NodeProvider;
  /** Step counts to time, e.g. [1, 4]. */
  steps: readonly number[];
  /** Counted images per step count (after one warm-up). */
  images: number;
  /** session.run calls per stage and capture setting. */
  stageRuns: number;
  /** performance.now() after which nothing new starts. */
  deadline: number;
  prompt?: string;
}

export interface Measurement {
  rows: ReportRow[];
  notes: string[];
}

/** ORT's session option for the native WebGPU EP (onnxruntime-node takes no `enableGraphCapture` key). */
const GRAPH_CAPTURE_CONFIG = 'ep.webgpuexecutionprovider.enableGraphCapture';
const WARMUP_SEED = 1_000_000;

const timeLeft = (deadline: number) => deadline - performance.now();

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function measureNodeModel(options: MeasureOptions): Promise<Measurement> {
  const runtime = `node ${options.provider}`;
  const prompt = options.prompt ?? 'a photo of a cat';
  const rows: ReportRow[] = [];
  const notes: string[] = [];
  const outOfTime = (what: string) => {
    if (timeLeft(options.deadline) > 0) return false;
    notes.push(`${runtime} ${options.modelId}: out of time before ${what}`);
    return true;
  };
  const load = () =>
    NodeTextToImage.load({ model: options.modelId, manifest: options.manifest, provider: options.provider });
  const startRow = (stage: string, seconds: number): ReportRow => ({
    runtime,
    model: options.modelId,
    steps: 1,
    capture: 'off',
    stage,
    seconds: [seconds],
  });

  let started = performance.now();
  let generator = await load();
  try {
    await generator.generate({ prompt, seed: WARMUP_SEED, steps: 1 });
    rows.push(startRow('first image (load + image)', (performance.now() - started) / 1000));
    for (const steps of options.steps) {
      if (outOfTime(`${steps} step(s)`)) break;
      // One image at this step count before counting: the UNet's first runs allocate.
      await generator.generate({ prompt, seed: WARMUP_SEED + steps, steps });
      const timings: StageTimings[] = [];
      for (let seed = 1; seed <= options.images && timeLeft(options.deadline) > 0; seed++) {
        timings.push((await generator.generate({ prompt, seed, steps })).timings);
      }
      rows.push(...imageRows({ runtime, model: options.modelId, steps, capture: 'off' }, timings));
    }
  } finally {
    await generator.dispose();
  }
  if (!outOfTime('the warm start')) {
    started = performance.now();
    generator = await load();
    try {
      await generator.generate({ prompt, seed: WARMUP_SEED, steps: 1 });
      rows.push(startRow('warm start (load + image)', (performance.now() - started) / 1000));
    } finally {
      await generator.dispose();
    }
  }
  rows.push(...(await measureStageCapture(options, runtime, outOfTime)));
  return { rows, notes };
}

/** The stage's file, where the manifest puts it on this disk (the repository's public/ for the tiny models). */
async function stagePath(model: ModelEntry, stage: CaptureStage, manifestUrl: string): Promise<string> {
  const direct = fileURLToPath(resolveFileUrl(model, stageFile(model, stage), manifestUrl));
  const manifestDir = fileURLToPath(new URL('.', manifestUrl));
  const inPublic = direct.startsWith(manifestDir)
    ? join(manifestDir, 'public', direct.slice(manifestDir.length))
    : direct;
  for (const candidate of [direct, inPublic]) {
    if (
      await stat(candidate).then(
        (found) => found.isFile(),
        () => false,
      )
    )
      return candidate;
  }
  throw new Error(`no file for ${model.id}'s ${stage} at ${direct} or ${inPublic}`);
}

type CaptureStage = 'textEncoder' | 'unet' | 'vaeDecoder';
const CAPTURE_STAGES: readonly CaptureStage[] = ['textEncoder', 'unet', 'vaeDecoder'];
const STAGE_LABELS: Record<CaptureStage, string> = {
  textEncoder: 'text encoder session.run',
  unet: 'unet session.run',
  vaeDecoder: 'vae decoder session.run',
};

function zeroTensor(type: string, dims: number[]): ortNode.Tensor {
  const count = dims.reduce((product, dim) => product * dim, 1);
  switch (type) {
    case 'int64':
      return new ortNode.Tensor('int64', new BigInt64Array(count), dims);
    case 'int32':
      return new ortNode.Tensor('int32', new Int32Array(count), dims);
    case 'float16':
      return new ortNode.Tensor('float16', new Uint16Array(count), dims);
    default:
      return new ortNode.Tensor('float32', new Float32Array(count), dims);
  }
}

/** Zero inputs of the shapes the pipeline feeds (batch 1). */
function zeroFeeds(model: ModelEntry, stage: CaptureStage): Record<string, ortNode.Tensor> {
  const { channels, height, width } = model.latent;
  const latent = [1, channels, height, width];
  const stages = model.stages;
  switch (stage) {
    case 'textEncoder': {
      const { inputIds } = stages.textEncoder.inputs;
      return { [inputIds.name]: zeroTensor(inputIds.type, [1, model.tokenizer.maxLength]) };
    }
    case 'unet': {
      const { sample, timestep, encoderHiddenStates } = stages.unet.inputs;
      return {
        [sample.name]: zeroTensor(sample.type, latent),
        [timestep.name]: zeroTensor(timestep.type, [1]),
        [encoderHiddenStates.name]: zeroTensor(encoderHiddenStates.type, [
          1,
          model.tokenizer.maxLength,
          model.hiddenSize,
        ]),
      };
    }
    case 'vaeDecoder': {
      const { latentSample } = stages.vaeDecoder.inputs;
      return { [latentSample.name]: zeroTensor(latentSample.type, latent) };
    }
  }
}

/** Seconds of `runs` session.run calls after one untimed run (which records the graph when capturing). */
async function timeStage(
  model: ModelEntry,
  stage: CaptureStage,
  bytes: Uint8Array,
  provider: NodeProvider,
  capture: boolean,
  runs: number,
): Promise<number[]> {
  const settings = model.stages[stage].session ?? {};
  const session = await ortNode.InferenceSession.create(bytes, {
    executionProviders: [provider],
    graphOptimizationLevel: settings.graphOptimizationLevel ?? 'all',
    freeDimensionOverrides: settings.freeDimensionOverrides,
    ...(capture ? { extra: { [GRAPH_CAPTURE_CONFIG]: '1' } } : {}),
    logSeverityLevel: 3,
  });
  try {
    const feeds = zeroFeeds(model, stage);
    await session.run(feeds);
    const seconds: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      await session.run(feeds);
      seconds.push((performance.now() - started) / 1000);
    }
    return seconds;
  } finally {
    await session.release();
  }
}

async function measureStageCapture(
  options: MeasureOptions,
  runtime: string,
  outOfTime: (what: string) => boolean,
): Promise<ReportRow[]> {
  const { manifest, url } = await readManifest(options.manifest);
  const model = getModel(manifest, options.modelId);
  const rows: ReportRow[] = [];
  for (const stage of CAPTURE_STAGES) {
    if (outOfTime(`graph capture of the ${stage}`)) break;
    const bytes = new Uint8Array(await readFile(await stagePath(model, stage, url)));
    const base = { runtime, model: options.modelId, stage: STAGE_LABELS[stage] };
    rows.push({
      ...base,
      capture: 'off',
      seconds: await timeStage(model, stage, bytes, options.provider, false, options.stageRuns),
    });
    if (options.provider !== 'webgpu') {
      rows.push({
        ...base,
        capture: 'on',
        refused: `graph capture is a WebGPU EP option, not ${options.provider}'s`,
      });
      continue;
    }
    try {
      rows.push({
        ...base,
        capture: 'on',
        seconds: await timeStage(model, stage, bytes, options.provider, true, options.stageRuns),
      });
    } catch (error) {
      rows.push({ ...base, capture: 'on', refused: message(error) });
    }
  }
  return rows;
}
