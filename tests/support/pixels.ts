import { expect } from 'vitest';

/** How far two images' RGBA bytes are apart: the largest difference and the share of bytes that differ. */
export function pixelDifference(a: ArrayLike<number>, b: ArrayLike<number>) {
  expect(a.length).toBe(b.length);
  let max = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) differing++;
    max = Math.max(max, d);
  }
  return { max, differingShare: differing / a.length };
}

/** The mean absolute difference of two images' RGBA bytes: the FP16-against-FP32 checks' measure. */
export function meanPixelDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}
