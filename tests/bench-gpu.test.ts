/**
 * `npm run bench:gpu`: its measuring core on the tiny model with onnxruntime-node's CPU EP, printed by
 * the table function it uses on a GPU; and, on a machine without a GPU, its one-line answer.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureNodeModel } from '../bench/gpu/measure.js';
import { TABLE_COLUMNS, formatGpuTable } from '../bench/gpu/table.js';
import { REPO_ROOT, ensureTinyModels } from '../scripts/tiny-models/index.js';

const TSX = join('node_modules', '.bin', 'tsx');

function hasNvidiaGpu(): boolean {
  return readdirSync('/dev').some((name) => /^nvidia\d+$/.test(name)) || existsSync('/usr/bin/nvidia-smi');
}

/** The table's body rows as cells (header, separator and the lines under it left out). */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .slice(2)
    .map((line) =>
      line
        .slice(2, -2)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

describe('bench:gpu', () => {
  it('times the tiny model on the CPU EP and prints one markdown row per stage with parseable seconds', async () => {
    await ensureTinyModels();
    const measured = await measureNodeModel({
      modelId: 'tiny-fp32',
      manifest: join(REPO_ROOT, 'model-manifest.json'),
      provider: 'cpu',
      steps: [1, 4],
      images: 2,
      stageRuns: 2,
      deadline: performance.now() + 60_000,
    });
    const text = formatGpuTable({ rows: measured.rows, notes: measured.notes, gpu: 'none (CPU EP)' });

    const lines = text.split('\n');
    expect(lines[0]).toBe(`| ${TABLE_COLUMNS.join(' | ')} |`);
    expect(lines[1]).toBe('| --- | --- | --- | --- | --- | ---: | ---: | ---: |');
    expect(text.trimEnd().split('\n').at(-1)).toBe('GPU: none (CPU EP)');
    const rows = tableRows(text);
    expect(rows.every((cells) => cells.length === TABLE_COLUMNS.length)).toBe(true);
    expect(rows.every((cells) => cells[0] === 'node cpu' && cells[1] === 'tiny-fp32')).toBe(true);

    const row = (steps: string, capture: string, stage: string) =>
      rows.find((cells) => cells[2] === steps && cells[3] === capture && cells[4] === stage);
    const imageStages = ['image', 'text encoder', 'unet (all steps)', 'vae decoder'];
    for (const steps of ['1', '4']) {
      for (const stage of imageStages) {
        const cells = row(steps, 'off', stage);
        expect(cells, `${steps} step(s), ${stage}`).toBeDefined();
        const [p50, p90, n] = cells!.slice(5).map(Number);
        expect(n).toBe(2);
        expect(p50).toBeGreaterThan(0);
        expect(p90).toBeGreaterThanOrEqual(p50);
      }
      // An image's time covers its stages'.
      const seconds = (stage: string) => Number(row(steps, 'off', stage)![5]);
      expect(seconds('image')).toBeGreaterThanOrEqual(seconds('unet (all steps)'));
    }
    for (const stage of ['first image (load + image)', 'warm start (load + image)']) {
      const cells = row('1', 'off', stage)!;
      expect(Number(cells[5])).toBeGreaterThan(0);
      expect(cells.slice(6)).toEqual(['-', '1']);
    }
    for (const stage of ['text encoder', 'unet', 'vae decoder'].map((name) => `${name} session.run`)) {
      expect(Number(row('-', 'off', stage)![5])).toBeGreaterThan(0);
      expect(row('-', 'on', stage)![5]).toBe("refused: graph capture is a WebGPU EP option, not cpu's");
    }
  });

  it.skipIf(hasNvidiaGpu())('says in one line that there is no GPU, and exits 2', async () => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(TSX, ['bench/gpu/run.ts'], { timeout: 60_000 }, (error, out) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out }),
      );
    });
    expect(code).toBe(2);
    expect(stdout).toBe(
      'bench:gpu: no GPU on this machine (no nvidia-smi and no /dev/nvidia*); nothing to measure.\n',
    );
  });
});
