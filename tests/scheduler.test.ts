import { describe, expect, it } from 'vitest';
import {
  EulerTrailingScheduler,
  Xoshiro128StarStar,
  gaussianNoise,
  imageToImageStepCount,
  randomSeed,
  trailingTimesteps,
  trainingSigmas,
} from '../src/scheduler/index.js';

// Independent float64 reference: numpy, betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)**2,
// alphabar = cumprod(1 - betas), sigma = sqrt((1 - alphabar) / alphabar).
const REFERENCE_SIGMA = {
  0: 0.029167158151720367, // = sqrt(0.00085 / 0.99915), checkable by hand
  249: 0.6932048996386885,
  332: 0.9292144332132185,
  499: 1.612886194303876,
  666: 2.9183071154268285,
  749: 4.081729363724308,
  999: 14.614641229333639,
} as const;

const SIGMA_MAX = REFERENCE_SIGMA[999];

function schedulerWith(steps: number, strength?: number): EulerTrailingScheduler {
  const scheduler = new EulerTrailingScheduler();
  scheduler.setTimesteps(steps, strength === undefined ? {} : { strength });
  return scheduler;
}

describe('training sigmas', () => {
  const sigmas = trainingSigmas();

  it('has one sigma per training timestep, increasing', () => {
    expect(sigmas.length).toBe(1000);
    for (let t = 1; t < sigmas.length; t++) expect(sigmas[t]).toBeGreaterThan(sigmas[t - 1]);
  });

  it('sigma_999 is 14.6146, as the scaled-linear schedule of diffusers gives', () => {
    expect(sigmas[999]).toBeCloseTo(14.6146, 4);
  });

  it('matches an independent float64 computation', () => {
    for (const [t, expected] of Object.entries(REFERENCE_SIGMA)) {
      expect(sigmas[Number(t)]).toBeCloseTo(expected, 12);
    }
  });

  it('rejects a nonsensical beta range', () => {
    expect(() => trainingSigmas({ betaStart: 0.02, betaEnd: 0.01 })).toThrow(
      'betas must satisfy 0 < betaStart <= betaEnd < 1, got 0.02 and 0.01',
    );
  });
});

describe('trailing timesteps', () => {
  it.each([
    [1, [999]],
    [2, [999, 499]],
    // round(1000 - 1000/3) - 1 = round(666.67) - 1 = 666; round(333.33) - 1 = 332
    [3, [999, 666, 332]],
    [4, [999, 749, 499, 249]],
  ])('%i steps -> %j', (steps, expected) => {
    expect(trailingTimesteps(steps)).toEqual(expected);
    expect(schedulerWith(steps).timesteps).toEqual(expected);
  });

  it('pairs every timestep with its training sigma and ends with sigma 0', () => {
    const scheduler = schedulerWith(4);
    const expected = [749, 499, 249].map((t) => REFERENCE_SIGMA[t as keyof typeof REFERENCE_SIGMA]);
    expect(scheduler.sigmas).toHaveLength(5);
    expect(scheduler.sigmas[0]).toBeCloseTo(SIGMA_MAX, 12);
    scheduler.sigmas.slice(1, 4).forEach((sigma, i) => expect(sigma).toBeCloseTo(expected[i], 12));
    expect(scheduler.sigmas[4]).toBe(0);
  });

  it('starts from sigma_max for text-to-image', () => {
    for (const steps of [1, 2, 3, 4]) expect(schedulerWith(steps).initNoiseSigma).toBeCloseTo(SIGMA_MAX, 12);
  });

  it('defaults to the single-step schedule before setTimesteps is called', () => {
    const scheduler = new EulerTrailingScheduler();
    expect(scheduler.timesteps).toEqual([999]);
    expect(scheduler.stepCount).toBe(1);
  });

  it('exposes schedules that callers cannot modify', () => {
    const scheduler = schedulerWith(2);
    expect(() => (scheduler.timesteps as number[]).push(0)).toThrow(TypeError);
    expect(() => (scheduler.sigmas as number[]).push(0)).toThrow(TypeError);
  });
});

describe('img2img strength', () => {
  it('n=2, s=0.5 runs the single timestep 499, starting at its sigma', () => {
    const scheduler = schedulerWith(2, 0.5);
    expect(scheduler.timesteps).toEqual([499]);
    expect(scheduler.sigmas).toEqual([scheduler.sigmas[0], 0]);
    expect(scheduler.initNoiseSigma).toBeCloseTo(REFERENCE_SIGMA[499], 12);
  });

  it.each([
    [4, 0.5, [499, 249]],
    [4, 0.75, [749, 499, 249]],
    [4, 0.3, [249]], // floor(1.2) = 1 kept
    [3, 1, [999, 666, 332]],
    [1, 1, [999]],
  ])('n=%i, s=%f keeps %j', (steps, strength, expected) => {
    expect(schedulerWith(steps, strength).timesteps).toEqual(expected);
  });

  it('adds noise at the first kept sigma', () => {
    const scheduler = schedulerWith(2, 0.5);
    const noised = scheduler.noisedLatents(new Float32Array([0.5, -1]), new Float32Array([2, 1]));
    expect(noised[0]).toBeCloseTo(0.5 + 2 * REFERENCE_SIGMA[499], 5);
    expect(noised[1]).toBeCloseTo(-1 + REFERENCE_SIGMA[499], 5);
  });

  it('rejects a strength that leaves nothing to run', () => {
    expect(() => schedulerWith(1, 0.5)).toThrow(
      'strength 0.5 with 1 step(s) leaves no timestep to run; use strength >= 1 or more steps',
    );
    expect(() => schedulerWith(4, 0.2)).toThrow(RangeError);
  });

  it.each([
    [2, 0.5, 1],
    [2, 1, 2],
    [4, 0.3, 1],
    [4, 0.74, 2],
    [3, 0.67, 2],
  ])('n=%i, s=%f runs %i UNet step(s)', (steps, strength, expected) => {
    expect(imageToImageStepCount(steps, strength)).toBe(expected);
    expect(schedulerWith(steps, strength).stepCount).toBe(expected);
  });

  it('needs steps * strength >= 1', () => {
    expect(() => imageToImageStepCount(2, 0.49)).toThrow(
      'strength 0.49 with 2 step(s) leaves no timestep to run; use strength >= 0.5 or more steps',
    );
    expect(() => imageToImageStepCount(5, 0.5)).toThrow('steps must be an integer from 1 to 4, got 5');
  });

  it('starts from the encoded latent times 0.18215 plus noise at sigma_499', () => {
    const scheduler = schedulerWith(2, 0.5);
    const encoded = new Float32Array([1, -2, 0]);
    const noise = new Float32Array([0.5, 0, -1]);
    const start = scheduler.imageLatents(encoded, noise, 0.18215);
    // By hand: 1 * 0.18215 + 0.5 * 1.612886194 = 0.98859310; -2 * 0.18215 = -0.3643; -1.612886194.
    expect(start[0]).toBeCloseTo(0.9885931, 6);
    expect(start[1]).toBeCloseTo(-0.3643, 6);
    expect(start[2]).toBeCloseTo(-1.6128862, 6);
  });

  it.each([0, -0.5, 1.01, Number.NaN])('rejects strength %f', (strength) => {
    expect(() => schedulerWith(2, strength)).toThrow(`strength must be in (0, 1], got ${strength}`);
  });
});

describe('step arithmetic', () => {
  it('scales the model input by 1/sqrt(sigma^2 + 1)', () => {
    const scheduler = schedulerWith(1);
    const expectedScale = 1 / Math.sqrt(SIGMA_MAX ** 2 + 1); // 0.06826...
    expect(scheduler.inputScale(0)).toBeCloseTo(expectedScale, 12);
    const scaled = scheduler.scaleModelInput(new Float32Array([SIGMA_MAX, -2]), 0);
    expect(scaled[0]).toBeCloseTo(SIGMA_MAX * expectedScale, 6);
    expect(scaled[1]).toBeCloseTo(-2 * expectedScale, 6);
  });

  it('one step is x0 = x - sigma * eps', () => {
    const scheduler = schedulerWith(1);
    const sample = new Float32Array([10, -3, 0]);
    const eps = new Float32Array([0.5, 1, -2]);
    expect(scheduler.stepCoefficient(0)).toBeCloseTo(-SIGMA_MAX, 12);
    const x0 = scheduler.step(eps, 0, sample);
    [0, 1, 2].forEach((i) => expect(x0[i]).toBeCloseTo(sample[i] - SIGMA_MAX * eps[i], 4));
  });

  it('the step coefficients of a full schedule add up to -sigma_0', () => {
    // With a constant eps the Euler updates telescope: x_final = x - sigma_0 * eps.
    const scheduler = schedulerWith(4);
    const eps = new Float32Array([1, -0.25]);
    let sample = new Float32Array([3, 7]);
    for (let i = 0; i < scheduler.stepCount; i++) sample = scheduler.step(eps, i, sample);
    expect(sample[0]).toBeCloseTo(3 - SIGMA_MAX, 4);
    expect(sample[1]).toBeCloseTo(7 + 0.25 * SIGMA_MAX, 4);
    expect(scheduler.stepCoefficient(1)).toBeCloseTo(REFERENCE_SIGMA[499] - REFERENCE_SIGMA[749], 12);
  });

  it('initial latents are noise times sigma_max', () => {
    const latents = schedulerWith(1).initialLatents(new Float32Array([1, -0.5]));
    expect(latents[0]).toBeCloseTo(SIGMA_MAX, 5);
    expect(latents[1]).toBeCloseTo(-0.5 * SIGMA_MAX, 5);
  });

  it('rejects a step index outside the schedule', () => {
    const scheduler = schedulerWith(2);
    expect(() => scheduler.inputScale(2)).toThrow('stepIndex must be an integer from 0 to 1, got 2');
    expect(() => scheduler.stepCoefficient(-1)).toThrow(RangeError);
    expect(() => scheduler.stepCoefficient(0.5)).toThrow(RangeError);
  });

  it('rejects arrays of different lengths', () => {
    const scheduler = schedulerWith(1);
    expect(() => scheduler.step(new Float32Array(3), 0, new Float32Array(4))).toThrow(
      'noisePred has 3 elements but sample has 4',
    );
    expect(() => scheduler.noisedLatents(new Float32Array(2), new Float32Array(1))).toThrow(
      'noise has 1 elements but latent has 2',
    );
  });

  it.each([0, 5, 1.5, Number.NaN])('rejects %f steps', (steps) => {
    expect(() => schedulerWith(steps)).toThrow(`steps must be an integer from 1 to 4, got ${steps}`);
  });
});

describe('xoshiro128**', () => {
  it('reproduces the reference implementation from state {1, 2, 3, 4}', () => {
    // Outputs of Vigna's xoshiro128starstar.c v1.1 (the vector rand_xoshiro tests against).
    const generator = new Xoshiro128StarStar([1, 2, 3, 4]);
    const outputs = Array.from({ length: 10 }, () => generator.nextUint32());
    expect(outputs).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it.each([
    // From an independent Python transcription (arbitrary-precision ints masked to 32 bits) that also
    // reproduces the reference vector above.
    [0, [3809008728, 1133695204, 53579671, 2891528803]],
    [42, [2837322924, 544945897, 479756282, 3500138142]],
    [4294967295, [835879718, 1921286648, 2356205009, 1885780724]],
  ])('seed %i is expanded by SplitMix32 as documented', (seed, expected) => {
    const generator = Xoshiro128StarStar.fromSeed(seed);
    expect(Array.from({ length: 4 }, () => generator.nextUint32())).toEqual(expected);
  });

  it('refuses the all-zero state', () => {
    expect(() => new Xoshiro128StarStar([0, 0, 0, 0])).toThrow('xoshiro128** state must not be all zero');
  });
});

describe('gaussianNoise', () => {
  const LATENT_SIZE = 4 * 64 * 64;

  it('matches the Python reference for seed 42', () => {
    expect(Array.from(gaussianNoise(42, 4))).toEqual([
      0.6362302303314209, 0.8308019042015076, 2.2217392921447754, -0.16296452283859253,
    ]);
  });

  it('gives identical bits for the same seed and different noise for another seed', () => {
    const first = gaussianNoise(1234, LATENT_SIZE);
    const again = gaussianNoise(1234, LATENT_SIZE);
    const other = gaussianNoise(1235, LATENT_SIZE);
    expect(new Uint32Array(again.buffer)).toEqual(new Uint32Array(first.buffer));
    const differing = first.filter((value, i) => value !== other[i]).length;
    expect(differing).toBe(LATENT_SIZE);
  });

  it('is a standard normal sample', () => {
    // N = 16384. Standard errors: mean 1/sqrt(N) = 0.0078; std about 1/sqrt(2N) = 0.0055;
    // fraction beyond 1.96 sqrt(0.05*0.95/N) = 0.0017. Tolerances are 5 standard errors, so a correct
    // generator fails with probability below 1e-6 per check, while a shifted, scaled or uniform one fails.
    const noise = gaussianNoise(7, LATENT_SIZE);
    const n = noise.length;
    const mean = noise.reduce((sum, v) => sum + v, 0) / n;
    const variance = noise.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
    const tailFraction = noise.filter((v) => Math.abs(v) > 1.96).length / n;
    expect(Math.abs(mean)).toBeLessThan(0.039);
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(0.028);
    expect(Math.abs(tailFraction - 0.05)).toBeLessThan(0.0085);
  });

  it('gives uncorrelated noise for neighbouring seeds', () => {
    // Correlation of independent samples has standard error 1/sqrt(N) = 0.0078; 5 of them = 0.039.
    const a = gaussianNoise(0, LATENT_SIZE);
    const b = gaussianNoise(1, LATENT_SIZE);
    const correlation = a.reduce((sum, v, i) => sum + v * b[i], 0) / LATENT_SIZE;
    expect(Math.abs(correlation)).toBeLessThan(0.039);
  });

  it.each([
    [-1, 'seed must be an integer from 0 to 4294967295, got -1'],
    [4294967296, 'seed must be an integer from 0 to 4294967295, got 4294967296'],
    [1.5, 'seed must be an integer from 0 to 4294967295, got 1.5'],
    [Number.NaN, 'seed must be an integer from 0 to 4294967295, got NaN'],
  ])('rejects seed %f', (seed, message) => {
    expect(() => gaussianNoise(seed, 4)).toThrow(new RangeError(message));
  });

  it('rejects a seed that is not a number', () => {
    expect(() => gaussianNoise('42' as unknown as number, 4)).toThrow(
      new TypeError('seed must be a number, got string'),
    );
  });

  it('rejects a bad length', () => {
    expect(() => gaussianNoise(1, -1)).toThrow('length must be a non-negative integer, got -1');
  });
});

describe('randomSeed', () => {
  it('returns valid, varying uint32 seeds', () => {
    const seeds = Array.from({ length: 8 }, () => randomSeed());
    for (const seed of seeds) {
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThanOrEqual(4294967295);
    }
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });
});
