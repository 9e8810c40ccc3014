/**
 * The two tiers of vitest.config.ts: `npm test` never loads a `*.scale.test.ts` file, and `npm run test:scale`
 * runs only what is tagged `scale`, so a scale file without its module tag would run in neither.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCALE_TAG } from '../vitest.config.js';

const MODULE_TAG = `// @module-tag ${SCALE_TAG}`;

async function testFiles(): Promise<string[]> {
  return (await readdir('tests')).filter((name) => name.endsWith('.test.ts'));
}

describe('test tiers', () => {
  it('tags every *.scale.test.ts file as a whole on its first line', async () => {
    const scaleFiles = (await testFiles()).filter((name) => name.endsWith('.scale.test.ts'));
    expect(scaleFiles.length).toBeGreaterThanOrEqual(5);
    const firstLines = await Promise.all(
      scaleFiles.map(async (name) => [name, (await readFile(join('tests', name), 'utf8')).split('\n')[0]]),
    );
    expect(firstLines.filter(([, line]) => line !== MODULE_TAG)).toEqual([]);
  });

  it('names every file tagged as a whole *.scale.test.ts, so that npm test skips it unread', async () => {
    const tagged = [];
    for (const name of await testFiles()) {
      if ((await readFile(join('tests', name), 'utf8')).includes(MODULE_TAG)) tagged.push(name);
    }
    expect(tagged.filter((name) => !name.endsWith('.scale.test.ts'))).toEqual([]);
  });

  it('filters by the tag on both command lines', async () => {
    const { scripts } = JSON.parse(await readFile('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.test).toMatch(new RegExp(`vitest run --tags-filter=!${SCALE_TAG}$`));
    expect(scripts['test:scale']).toContain(`--config vitest.scale.config.ts --tags-filter=${SCALE_TAG}`);
  });
});
