/**
 * Text to image from the command line, on onnxruntime-node, through the browser's own pipeline:
 *
 *   npm run generate -- "<prompt>" [--seed N] [--steps N] [--model <id>] [--manifest <path|url>]
 *                       [--out file.png] [--provider cpu|webgpu] [--cache-dir <dir>] [--width W] [--height H]
 *
 * Writes the PNG (default: the element's file name, sd-turbo_<seed>_<slug>_<w>x<h>.png, in the current folder)
 * and prints one JSON line with where it went and the timings.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes } from '../src/pipeline/storage/node.js';
import { isAbortError, PipelineError } from '../src/pipeline/errors.js';
import { NodeTextToImage, type NodeProvider } from '../src/node/index.js';

const USAGE =
  'usage: npm run generate -- "<prompt>" [--seed N] [--steps N] [--model <id>] [--manifest <path|url>] ' +
  '[--out file.png] [--provider cpu|webgpu] [--cache-dir <dir>] [--width W] [--height H]';

class UsageError extends Error {}

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name}: not a non-negative integer: ${text}`);
  return Number(text);
}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        seed: { type: 'string' },
        steps: { type: 'string' },
        model: { type: 'string' },
        manifest: { type: 'string' },
        out: { type: 'string' },
        provider: { type: 'string', default: 'cpu' },
        'cache-dir': { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('expected one prompt (quote it)');
  if (values.provider !== 'cpu' && values.provider !== 'webgpu') {
    throw new UsageError(`--provider: cpu or webgpu, got ${values.provider}`);
  }
  return {
    prompt: positionals[0],
    seed: integer('seed', values.seed),
    steps: integer('steps', values.steps),
    model: values.model,
    manifest: values.manifest,
    out: values.out,
    provider: values.provider as NodeProvider,
    cacheDir: values['cache-dir'],
    width: integer('width', values.width),
    height: integer('height', values.height),
  };
}

export async function main(argv: string[], signal?: AbortSignal): Promise<number> {
  try {
    const args = parse(argv);
    let lastReport = 0;
    const generator = await NodeTextToImage.load({
      ...args,
      signal,
      onProgress: (progress) => {
        if (Date.now() - lastReport < 1000 && progress.bytesDone < progress.bytesTotal) return;
        lastReport = Date.now();
        console.error(
          `generate: ${progress.phase} ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`,
        );
      },
    });
    try {
      const image = await generator.generate({ ...args, signal });
      const out = resolve(args.out ?? image.fileName);
      await writeFile(out, image.png);
      console.log(
        JSON.stringify({
          out,
          model: image.modelId,
          provider: image.provider,
          seed: image.seed,
          steps: image.steps,
          width: image.width,
          height: image.height,
          truncated: image.truncated,
          timings: image.timings,
        }),
      );
    } finally {
      await generator.dispose();
    }
    return 0;
  } catch (error) {
    if (isAbortError(error)) {
      console.error('generate: interrupted');
      return 130;
    }
    const code = error instanceof PipelineError ? ` [${error.code}]` : '';
    console.error(`generate${code}: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof UsageError) console.error(USAGE);
    return error instanceof UsageError ? 2 : 1;
  }
}

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.exitCode = await main(process.argv.slice(2), controller.signal);
