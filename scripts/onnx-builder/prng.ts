/**
 * A tiny seeded PRNG (mulberry32). Only integer arithmetic and one exact division, so the same seed gives
 * bit-identical weights on every machine and JS engine: the tiny models' SHA-256 in model-manifest.json
 * depends on it.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1), a multiple of 2^-32. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `count` values uniform in [-limit, limit). */
  uniform(count: number, limit: number): Float32Array {
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = (this.next() * 2 - 1) * limit;
    return values;
  }
}
