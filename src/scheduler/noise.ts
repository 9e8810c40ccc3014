/**
 * Seeded Gaussian noise that is the same on every JavaScript engine, so a seed names one image.
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna), 128-bit state, 32-bit outputs; it passes BigCrush and
 * PractRand and needs only 32-bit integer operations, which JavaScript performs exactly via
 * `Math.imul`, shifts and xor. Its state is filled from the uint32 seed by SplitMix32: a Weyl sequence
 * (increment 0x9E3779B9) passed through MurmurHash3's fmix32 finalizer. fmix32 is a bijection and the
 * four Weyl inputs differ, so at most one state word can be zero and the all-zero state cannot occur.
 */

export const MAX_SEED = 0xffffffff;

const TWO_TO_32 = 4294967296;

export function assertSeed(seed: unknown): asserts seed is number {
  if (typeof seed !== 'number') {
    throw new TypeError(`seed must be a number, got ${typeof seed}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  }
}

function fmix32(value: number): number {
  let h = value;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

export type Xoshiro128State = readonly [number, number, number, number];

export class Xoshiro128StarStar {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Starts from four explicit uint32 state words (not all zero); `fromSeed` is the usual entry. */
  constructor(state: Xoshiro128State) {
    if (state.every((word) => word >>> 0 === 0)) {
      throw new RangeError('xoshiro128** state must not be all zero');
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((word) => word >>> 0);
  }

  static fromSeed(seed: number): Xoshiro128StarStar {
    assertSeed(seed);
    const weyl = (k: number) => (seed + Math.imul(k, 0x9e3779b9)) >>> 0;
    return new Xoshiro128StarStar([fmix32(weyl(1)), fmix32(weyl(2)), fmix32(weyl(3)), fmix32(weyl(4))]);
  }

  /** Next output as an unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const shifted = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= shifted;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }
}

/**
 * `length` independent standard normal samples from `seed`, by the cosine branch of Box–Muller (two
 * uint32 draws per sample; the sine branch is not used, which keeps `Math.sin` out).
 *
 * Cross-engine determinism, honestly: the integer part is exact everywhere, and the only float
 * operations are exact-by-construction scalings (division by 2^32), IEEE basic arithmetic (correctly
 * rounded by the ECMAScript spec), `Math.sqrt` (correctly rounded in every engine, as the hardware
 * instruction), and `Math.log` / `Math.cos`, which the spec leaves implementation-approximated. V8 and
 * SpiderMonkey both use fdlibm ports, so they agree bit for bit; an engine with another libm may differ
 * in the last float64 place, which survives the rounding to float32 only when the value sits within a
 * float64 ulp or so of a float32 rounding boundary (roughly one element in 10^8).
 */
export function gaussianNoise(seed: number, length: number): Float32Array<ArrayBuffer> {
  assertSeed(seed);
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`length must be a non-negative integer, got ${length}`);
  }
  const generator = Xoshiro128StarStar.fromSeed(seed);
  const noise = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    // u1 in (0, 1] keeps log finite; the smallest u1 (2^-32) caps |sample| at about 6.66.
    const u1 = (generator.nextUint32() + 1) / TWO_TO_32;
    const u2 = generator.nextUint32() / TWO_TO_32;
    noise[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return noise;
}

/** A fresh seed for "random" generation; shown to the user so the image can be reproduced. */
export function randomSeed(): number {
  const crypto = globalThis.crypto;
  if (crypto?.getRandomValues) {
    return crypto.getRandomValues(new Uint32Array(1))[0];
  }
  return Math.floor(Math.random() * TWO_TO_32);
}
