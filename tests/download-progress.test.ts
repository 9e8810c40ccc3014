/** Download progress as shown: a resumed download re-reports from what is stored, and the bar never goes back. */
import { describe, expect, it } from 'vitest';
import type { ModelProgress } from '../src/pipeline/index.js';
import { forwardOnly } from '../src/components/controllers/download-controller.js';

function progress(bytesDone: number, files: [string, number][], bytesTotal = 1000): ModelProgress {
  return {
    modelId: 'tiny-fp32',
    phase: 'downloading',
    bytesDone,
    bytesTotal,
    bytesPerSecond: 0,
    etaSeconds: undefined,
    files: files.map(([path, done]) => ({ path, bytesDone: done, bytesTotal: 500, state: 'downloading' })),
  };
}

describe('forwardOnly', () => {
  it('keeps the overall and per-file bytes already shown when a resumed download reports less', () => {
    const shown = progress(700, [
      ['a', 500],
      ['b', 200],
    ]);
    const resumed = progress(500, [
      ['a', 500],
      ['b', 0],
    ]);
    const result = forwardOnly(shown, resumed);
    expect(result.bytesDone).toBe(700);
    expect(result.files.map((file) => file.bytesDone)).toEqual([500, 200]);
  });

  it('moves forward with the download', () => {
    const result = forwardOnly(progress(100, [['a', 100]]), progress(300, [['a', 300]]));
    expect(result.bytesDone).toBe(300);
    expect(result.files[0].bytesDone).toBe(300);
  });

  it('starts over for another download (a different total)', () => {
    expect(forwardOnly(progress(900, [['a', 500]]), progress(10, [['a', 10]], 2000)).bytesDone).toBe(10);
  });
});
