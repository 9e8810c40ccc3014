/**
 * The layer and cycle rules of eslint.config.js bite: each fixture under tests/fixtures/lint/ (excluded
 * from the normal lint) breaks one rule, linted with the project's own config where the rule applies.
 */
import { readFile } from 'node:fs/promises';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const FIXTURES = 'tests/fixtures/lint';
// `ignore: false` lets the fixtures through the config's ignores; the rest of the config is the project's.
const eslint = new ESLint({ cwd: process.cwd(), ignore: false });

/** The rule ids ESLint reports for a fixture, linted as if it lived at `asPath`. */
async function ruleIds(fixture: string, asPath = `${FIXTURES}/${fixture}`): Promise<string[]> {
  const text = await readFile(`${FIXTURES}/${fixture}`, 'utf8');
  const [result] = await eslint.lintText(text, { filePath: asPath });
  return result.messages.map((message) => message.ruleId ?? message.message);
}

describe('eslint import rules', { timeout: 60_000 }, () => {
  it('reports an import cycle', async () => {
    expect(await ruleIds('cycle-a.ts')).toEqual(['import-x/no-cycle']);
    expect(await ruleIds('cycle-b.ts')).toEqual(['import-x/no-cycle']);
  });

  it('reports a component importing the pipeline past its face', async () => {
    expect(await ruleIds('deep-import.ts', 'src/components/deep-import.ts')).toEqual([
      'import-x/no-restricted-paths',
    ]);
  });

  it('lets a component import the face and types.ts', async () => {
    expect(await ruleIds('face-import.ts', 'src/components/face-import.ts')).toEqual([]);
  });

  it('reports the engine importing the store or the worker', async () => {
    expect(
      await ruleIds('engine-imports-storage.ts', 'src/pipeline/engine/engine-imports-storage.ts'),
    ).toEqual(['import-x/no-restricted-paths', 'import-x/no-restricted-paths']);
  });

  it('reports the scheduler importing the pipeline', async () => {
    expect(
      await ruleIds('scheduler-imports-pipeline.ts', 'src/scheduler/scheduler-imports-pipeline.ts'),
    ).toEqual(['import-x/no-restricted-paths']);
  });
});
