import { expect } from 'vitest';

/**
 * How far two images' RGBA bytes are apart: the largest difference, the mean absolute difference and the
 * share of bytes that differ.
 */
export function pixelDifference(a: ArrayLike<number>, b: ArrayLike<number>) {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) differing++;
    sum += d;
    max = Math.max(max, d);
  }
  return { max, mean: sum / a.length, differingShare: differing / a.length };
}
