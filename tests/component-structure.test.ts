/** The element stays a set of small parts: no file under src/components is over 300 lines. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAX_LINES = 300;

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(folder, entry.name);
      return entry.isDirectory() ? sourceFiles(path) : Promise.resolve([path]);
    }),
  );
  return nested.flat();
}

describe('src/components', () => {
  it(`has no file over ${MAX_LINES} lines`, async () => {
    const files = await sourceFiles('src/components');
    expect(files.length).toBeGreaterThan(10);
    const lineCounts = await Promise.all(
      files.map(async (file) => [file, (await readFile(file, 'utf8')).split('\n').length - 1] as const),
    );
    expect(lineCounts.filter(([, lines]) => lines > MAX_LINES)).toEqual([]);
  });
});
