/**
 * npm run models:standin — writes stand-in models with SD-Turbo's topology and random weights to
 * models/ (git-ignored): the narrow FP32 and FP16 sets by default, and models/standin-manifest.json.
 *
 *   --full       also the full-size set, standin-sd-turbo (2.5 GB, about as big as the real files)
 *   --only <id>  just this set (repeatable), e.g. --only standin-sd-turbo
 */
import {
  NARROW_SETS,
  STANDIN_MODEL_SETS,
  STANDIN_MODELS_DIR,
  writeStandinModels,
} from './standin-models/index.js';

const USAGE = 'usage: make-standin-models [--full] [--only <set id>]...';
/** Progress lines for big files, every this many bytes. */
const PROGRESS_STEP = 256 * 1024 * 1024;

function chooseSets(args: string[]) {
  const only: string[] = [];
  let full = false;
  for (let index = 0; index < args.length; index++) {
    if (args[index] === '--full') full = true;
    else if (args[index] === '--only' && args[index + 1]) only.push(args[++index]);
    else throw new Error(`unknown argument ${args[index]}; ${USAGE}`);
  }
  if (only.length === 0) return full ? STANDIN_MODEL_SETS : NARROW_SETS;
  return only.map((id) => {
    const set = STANDIN_MODEL_SETS.find((candidate) => candidate.id === id);
    if (!set) throw new Error(`unknown set ${id}; known: ${STANDIN_MODEL_SETS.map((s) => s.id).join(', ')}`);
    return set;
  });
}

async function main(args: string[]): Promise<void> {
  const started = performance.now();
  const reported = new Map<string, number>();
  const files = await writeStandinModels({
    sets: chooseSets(args),
    onProgress: (path, done, total) => {
      const step = Math.floor(done / PROGRESS_STEP);
      if (total < PROGRESS_STEP || step === (reported.get(path) ?? 0)) return;
      reported.set(path, step);
      console.log(`  ${path}: ${Math.round((100 * done) / total)}% of ${megabytes(total)}`);
    },
  });
  for (const file of files) {
    const note = file.rewritten ? 'written' : 'unchanged';
    console.log(`${file.path.padEnd(44)} ${String(file.bytes).padStart(13)}  ${file.sha256}  ${note}`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const peakRss = megabytes(process.resourceUsage().maxRSS * 1024);
  console.log(`stand-in models are in ${STANDIN_MODELS_DIR} (${seconds} s, peak RSS ${peakRss})`);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
