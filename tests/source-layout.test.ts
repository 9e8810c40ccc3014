/** The rooms stay small and the pipeline's top level stays a face: see docs/code-map.md. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAX_FILES_PER_FOLDER = 15;

async function folders(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.filter((entry) => entry.isDirectory()).map((entry) => folders(join(folder, entry.name))),
  );
  return [folder, ...nested.flat()];
}

async function fileNames(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('src/', () => {
  it(`has no folder with more than ${MAX_FILES_PER_FOLDER} files at its top level`, async () => {
    const counts = await Promise.all(
      (await folders('src')).map(async (folder) => [folder, (await fileNames(folder)).length] as const),
    );
    expect(counts.length).toBeGreaterThan(10);
    expect(counts.filter(([, files]) => files > MAX_FILES_PER_FOLDER)).toEqual([]);
  });

  it('keeps only the face, the shared types and the errors at the top of src/pipeline', async () => {
    expect((await fileNames('src/pipeline')).sort()).toEqual(['errors.ts', 'index.ts', 'types.ts']);
  });
});
