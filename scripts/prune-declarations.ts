/**
 * tsx scripts/prune-declarations.ts <entry.d.ts> — deletes the declaration files beside an entry's that
 * its types never reach. tsc writes a .d.ts for every module the entry imports, implementation-only ones
 * included (the Node entry's imports reach most of the pipeline); the package ships only the entry's
 * declarations and the ones they import, as TypeScript resolves them for a consumer.
 *
 * The declaration root is the entry's folder's parent (tsc's outDir with rootDir 'src'), e.g.
 * dist/node/types for dist/node/types/node/index.d.ts.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const USAGE = 'usage: prune-declarations <entry.d.ts>';

/** The .d.ts files under `root` that a program rooted at `entry` loads. */
function reachableDeclarations(entry: string, root: string): Set<string> {
  const program = ts.createProgram([entry], {
    noEmit: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    types: [],
    skipLibCheck: true,
  });
  const unresolved = program
    .getSemanticDiagnostics()
    .filter((diagnostic) => diagnostic.code === 2307 && diagnostic.file?.fileName.startsWith(root + sep));
  if (unresolved.length > 0) {
    const messages = unresolved.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    throw new Error(`declarations import modules that are missing:\n${messages.join('\n')}`);
  }
  return new Set(
    program
      .getSourceFiles()
      .map((file) => resolve(file.fileName))
      .filter((path) => path.startsWith(root + sep)),
  );
}

/** Deletes every .d.ts under `folder` not in `keep`, then folders left empty; returns how many files went. */
async function prune(folder: string, keep: Set<string>): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      removed += await prune(path, keep);
      if ((await readdir(path)).length === 0) await rmdir(path);
    } else if (entry.name.endsWith('.d.ts') && !keep.has(path)) {
      await rm(path);
      removed++;
    }
  }
  return removed;
}

async function main(args: string[]): Promise<void> {
  if (args.length !== 1 || !args[0].endsWith('.d.ts')) throw new Error(USAGE);
  const entry = resolve(args[0]);
  const root = dirname(dirname(entry));
  const keep = reachableDeclarations(entry, root);
  if (!keep.has(entry)) throw new Error(`${args[0]} is not a declaration file that exists`);
  const removed = await prune(root, keep);
  console.log(`${relative(process.cwd(), root)}: kept ${keep.size} declaration files, removed ${removed}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
