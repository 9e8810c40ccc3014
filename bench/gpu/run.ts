/**
 * npm run bench:gpu -- [options]: seconds per image on this machine's GPU, with no network: makes the
 * stand-in models if missing, times them on onnxruntime-node's WebGPU EP and in headless Chromium on the
 * GPU (where /usr/bin/chromium is installed and gets a hardware adapter), and prints one markdown table,
 * ending with the GPU's name. Without a GPU it says so in one line and exits 2.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ortNode from 'onnxruntime-node';
import {
  STANDIN_MODEL_SETS,
  STANDIN_MODELS_DIR,
  STANDIN_MANIFEST_NAME,
  writeStandinModels,
} from '../../scripts/standin-models/index.js';
import type { NodeProvider } from '../../src/node/index.js';
import { describeAdapter, measureChromiumModel, probeChromiumAdapter, type AdapterInfo } from './chromium.js';
import { measureNodeModel } from './measure.js';
import { formatGpuTable, type GpuReport } from './table.js';

const USAGE = `usage: npm run bench:gpu -- [options]

  --models <id,id>     stand-in sets to time (default standin-narrow-fp32,standin-sd-turbo)
  --budget <s>         everything, model making included, within this many seconds (default 480)
  --images <n>         counted images per step count (default 5)
  --provider webgpu|cpu  onnxruntime-node's EP (default webgpu; cpu only checks the report, no GPU asked)
  --no-chromium        onnxruntime-node only
  --chromium <path>    (default /usr/bin/chromium, or $CHROMIUM_PATH)
`;

const STEPS = [1, 4] as const;
/** Shares of the budget: making models, onnxruntime-node, then Chromium with what is left. */
const MAKE_SHARE = 0.25;
const NODE_SHARE = 0.4;
const STAGE_RUNS = 5;

interface Options {
  models: string[];
  budgetMs: number;
  images: number;
  provider: NodeProvider;
  chromium: boolean;
  chromiumPath: string;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      budget: { type: 'string' },
      images: { type: 'string' },
      provider: { type: 'string' },
      'no-chromium': { type: 'boolean' },
      chromium: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const positive = (name: string, text: string | undefined, fallback: number) => {
    const value = Number(text ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive integer`);
    return value;
  };
  const provider = values.provider ?? 'webgpu';
  if (provider !== 'webgpu' && provider !== 'cpu')
    throw new UsageError(`--provider: webgpu or cpu, got ${provider}`);
  const models = (values.models ?? 'standin-narrow-fp32,standin-sd-turbo').split(',').filter(Boolean);
  const known = STANDIN_MODEL_SETS.map((set) => set.id as string);
  const unknown = models.find((id) => !known.includes(id));
  if (unknown) throw new UsageError(`--models: unknown stand-in set ${unknown}; known: ${known.join(', ')}`);
  return {
    models,
    budgetMs: positive('budget', values.budget, 480) * 1000,
    images: positive('images', values.images, 5),
    provider,
    chromium: !values['no-chromium'] && provider === 'webgpu',
    chromiumPath: values.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  };
}

/** The GPU's name from nvidia-smi, undefined without it; why there is no GPU, if there is none. */
function nvidiaGpu(): { name?: string; absent?: string } {
  try {
    const names = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { name: names.trim().split('\n').join(', ') };
  } catch {
    const devices = existsSync('/dev') ? readdirSync('/dev').filter((name) => /^nvidia\d+$/.test(name)) : [];
    return devices.length > 0 ? {} : { absent: 'no nvidia-smi and no /dev/nvidia*' };
  }
}

/** Whether onnxruntime-node's WebGPU EP gets an adapter: one small session is enough to tell. */
async function nodeWebGpuReason(probeModel: string): Promise<string | undefined> {
  try {
    const session = await ortNode.InferenceSession.create(probeModel, { executionProviders: ['webgpu'] });
    await session.release();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

function stageFileOf(setId: string): string {
  return join(STANDIN_MODELS_DIR, setId, 'text_encoder', 'model.onnx');
}

async function makeMissingModels(models: readonly string[], notes: string[]): Promise<void> {
  const missing = STANDIN_MODEL_SETS.filter(
    (set) => models.includes(set.id) && !existsSync(join(STANDIN_MODELS_DIR, set.id, 'unet', 'model.onnx')),
  );
  if (missing.length === 0) return;
  const started = performance.now();
  process.stderr.write(`bench:gpu: making ${missing.map((set) => set.id).join(', ')}\n`);
  await writeStandinModels({ sets: missing });
  notes.push(
    `made ${missing.map((set) => set.id).join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

async function main(argv: string[]): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`bench:gpu: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const started = performance.now();
  const deadline = started + options.budgetMs;
  const nvidia = options.provider === 'webgpu' ? nvidiaGpu() : {};
  if (nvidia.absent) {
    process.stdout.write(`bench:gpu: no GPU on this machine (${nvidia.absent}); nothing to measure.\n`);
    return 2;
  }
  const report: GpuReport = { rows: [], notes: [], gpu: '' };
  await makeMissingModels(options.models, report.notes);
  const manifest = join(STANDIN_MODELS_DIR, STANDIN_MANIFEST_NAME);

  const nodeReason =
    options.provider === 'webgpu' ? await nodeWebGpuReason(stageFileOf(options.models[0])) : undefined;
  let adapter: AdapterInfo | undefined;
  let chromiumReason = options.chromium ? undefined : 'not asked for';
  if (options.chromium) {
    const probe = await probeChromiumAdapter(options.chromiumPath).catch((error: unknown) => ({
      reason: `could not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      adapter: undefined,
    }));
    adapter = probe.adapter;
    chromiumReason =
      probe.reason ??
      (adapter?.software ? `its adapter is software (${describeAdapter(adapter)})` : undefined);
  }
  if (nodeReason !== undefined && chromiumReason !== undefined && options.provider === 'webgpu') {
    process.stdout.write(
      `bench:gpu: no hardware WebGPU adapter (onnxruntime-node: ${nodeReason}; Chromium: ${chromiumReason}); nothing to measure.\n`,
    );
    return 2;
  }

  const makeEnd = started + options.budgetMs * MAKE_SHARE;
  const nodeEnd = Math.max(makeEnd, performance.now()) + options.budgetMs * NODE_SHARE;
  if (nodeReason !== undefined) report.notes.push(`onnxruntime-node webgpu skipped: ${nodeReason}`);
  else {
    for (const [index, modelId] of options.models.entries()) {
      // Each model gets an equal share of what is left of the Node part.
      const share = (Math.min(nodeEnd, deadline) - performance.now()) / (options.models.length - index);
      process.stderr.write(`bench:gpu: onnxruntime-node ${options.provider}, ${modelId}\n`);
      try {
        const measured = await measureNodeModel({
          modelId,
          manifest,
          provider: options.provider,
          steps: STEPS,
          images: options.images,
          stageRuns: STAGE_RUNS,
          deadline: performance.now() + share,
        });
        report.rows.push(...measured.rows);
        report.notes.push(...measured.notes);
      } catch (error) {
        report.notes.push(
          `node ${options.provider} ${modelId} failed: ${(error as Error).message.split('\n')[0]}`,
        );
      }
    }
  }
  if (chromiumReason !== undefined) report.notes.push(`Chromium skipped: ${chromiumReason}`);
  else {
    for (const [index, modelId] of options.models.entries()) {
      const share = (deadline - performance.now()) / (options.models.length - index);
      process.stderr.write(`bench:gpu: Chromium, ${modelId}\n`);
      const measured = await measureChromiumModel(
        {
          chromiumPath: options.chromiumPath,
          modelId,
          manifest: `/models/${STANDIN_MANIFEST_NAME}`,
          images: options.images,
        },
        STEPS,
        performance.now() + share,
      );
      report.rows.push(...measured.rows);
      report.notes.push(...measured.notes);
    }
  }
  report.notes.push(
    `in ${((performance.now() - started) / 1000).toFixed(0)} s (budget ${options.budgetMs / 1000} s)`,
  );
  report.gpu =
    [
      nvidia.name && `${nvidia.name} (nvidia-smi)`,
      adapter && `WebGPU adapter in Chromium: ${describeAdapter(adapter)}`,
    ]
      .filter(Boolean)
      .join('; ') || (options.provider === 'cpu' ? 'none asked for (--provider cpu)' : 'unknown');
  process.stdout.write(formatGpuTable(report));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench:gpu: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
