/**
 * Euler sampler with "trailing" timestep spacing and epsilon prediction: the schedule SD-Turbo was
 * distilled for (diffusers' EulerDiscreteScheduler with timestep_spacing="trailing").
 *
 * The pipeline applies the per-element math on the GPU, so every step is also exposed as scalars
 * (`inputScale`, `stepCoefficient`); the Float32Array methods are the CPU path and the reference.
 */

export interface EulerTrailingSchedulerConfig {
  /** Length of the training noise schedule. */
  trainTimesteps?: number;
  /** First beta of the scaled-linear schedule. */
  betaStart?: number;
  /** Last beta of the scaled-linear schedule. */
  betaEnd?: number;
}

export interface SetTimestepsOptions {
  /**
   * img2img strength in (0, 1]: the fraction of the schedule that is run. Leaving it out runs the whole
   * schedule (text-to-image).
   */
  strength?: number;
}

/** SD-Turbo is distilled for 1 to 4 steps; more steps do not improve it. */
export const MAX_STEPS = 4;

const DEFAULT_CONFIG: Required<EulerTrailingSchedulerConfig> = {
  trainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
};

/**
 * sigma_t = sqrt((1 - alphabar_t) / alphabar_t) for every training timestep, with scaled-linear betas.
 * Float64 throughout: the cumulative product over 1000 factors loses digits in float32.
 */
export function trainingSigmas(config: EulerTrailingSchedulerConfig = {}): Float64Array {
  const { trainTimesteps, betaStart, betaEnd } = { ...DEFAULT_CONFIG, ...config };
  if (!Number.isInteger(trainTimesteps) || trainTimesteps < 2) {
    throw new RangeError(`trainTimesteps must be an integer >= 2, got ${trainTimesteps}`);
  }
  if (!(betaStart > 0 && betaEnd < 1 && betaStart <= betaEnd)) {
    throw new RangeError(`betas must satisfy 0 < betaStart <= betaEnd < 1, got ${betaStart} and ${betaEnd}`);
  }
  const sqrtStart = Math.sqrt(betaStart);
  const sqrtEnd = Math.sqrt(betaEnd);
  const sigmas = new Float64Array(trainTimesteps);
  let alphaBar = 1;
  for (let t = 0; t < trainTimesteps; t++) {
    const beta = (sqrtStart + (t / (trainTimesteps - 1)) * (sqrtEnd - sqrtStart)) ** 2;
    alphaBar *= 1 - beta;
    sigmas[t] = Math.sqrt((1 - alphaBar) / alphaBar);
  }
  return sigmas;
}

/** Trailing spacing: the schedule always starts at the last training timestep (pure noise). */
export function trailingTimesteps(
  steps: number,
  trainTimesteps: number = DEFAULT_CONFIG.trainTimesteps,
): number[] {
  return Array.from(
    { length: steps },
    (_, k) => Math.round(trainTimesteps - (k * trainTimesteps) / steps) - 1,
  );
}

function assertStepCount(steps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) {
    throw new RangeError(`steps must be an integer from 1 to ${MAX_STEPS}, got ${steps}`);
  }
}

/**
 * How many UNet steps image to image runs: diffusers' `floor(steps * strength)`, the trailing end of the
 * `steps`-step schedule. Throws a RangeError when strength is outside (0, 1] or leaves no step to run
 * (steps * strength < 1).
 */
export function imageToImageStepCount(steps: number, strength: number): number {
  assertStepCount(steps);
  if (!(strength > 0 && strength <= 1)) {
    throw new RangeError(`strength must be in (0, 1], got ${strength}`);
  }
  const kept = Math.floor(steps * strength);
  if (kept < 1) {
    throw new RangeError(
      `strength ${strength} with ${steps} step(s) leaves no timestep to run; ` +
        `use strength >= ${1 / steps} or more steps`,
    );
  }
  return kept;
}

/** Number of leading timesteps img2img skips: diffusers' `n - floor(n * strength)`. */
function skippedStepCount(steps: number, strength: number | undefined): number {
  if (strength === undefined) return 0;
  return steps - imageToImageStepCount(steps, strength);
}

export class EulerTrailingScheduler {
  readonly trainTimesteps: number;
  /** sigma of every training timestep, index = timestep. */
  private readonly trainSigmas: Float64Array;
  private scheduleTimesteps: readonly number[] = [];
  private scheduleSigmas: readonly number[] = [];

  /** Starts on SD-Turbo's default single-step text-to-image schedule until `setTimesteps` is called. */
  constructor(config: EulerTrailingSchedulerConfig = {}) {
    this.trainTimesteps = config.trainTimesteps ?? DEFAULT_CONFIG.trainTimesteps;
    this.trainSigmas = trainingSigmas(config);
    this.setTimesteps(1);
  }

  setTimesteps(steps: number, options: SetTimestepsOptions = {}): void {
    assertStepCount(steps);
    const skipped = skippedStepCount(steps, options.strength);
    const timesteps = trailingTimesteps(steps, this.trainTimesteps).slice(skipped);
    this.scheduleTimesteps = Object.freeze(timesteps);
    this.scheduleSigmas = Object.freeze([...timesteps.map((t) => this.trainSigmas[t]), 0]);
  }

  /** Timesteps fed to the UNet, one per step, descending. */
  get timesteps(): readonly number[] {
    return this.scheduleTimesteps;
  }

  /** sigma of each step, followed by a final 0 (the clean sample). */
  get sigmas(): readonly number[] {
    return this.scheduleSigmas;
  }

  get stepCount(): number {
    return this.scheduleTimesteps.length;
  }

  /** Noise level of the first step to run: sigma_max for text-to-image, lower for img2img. */
  get initNoiseSigma(): number {
    return this.scheduleSigmas[0];
  }

  /** Factor the sample is multiplied by before it enters the UNet: 1 / sqrt(sigma^2 + 1). */
  inputScale(stepIndex: number): number {
    const sigma = this.sigmaOfStep(stepIndex);
    return 1 / Math.sqrt(sigma * sigma + 1);
  }

  /** Factor of the predicted noise in the Euler update x_next = x + eps * (sigma_next - sigma). */
  stepCoefficient(stepIndex: number): number {
    const sigma = this.sigmaOfStep(stepIndex);
    return this.scheduleSigmas[stepIndex + 1] - sigma;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array<ArrayBuffer> {
    return scaled(sample, this.inputScale(stepIndex));
  }

  /** One Euler step: returns x + noisePred * (sigma_next - sigma). */
  step(noisePred: Float32Array, stepIndex: number, sample: Float32Array): Float32Array<ArrayBuffer> {
    return addScaled(sample, 'sample', noisePred, 'noisePred', this.stepCoefficient(stepIndex));
  }

  /** Text-to-image starting point: unit Gaussian noise scaled to the first step's noise level. */
  initialLatents(noise: Float32Array): Float32Array<ArrayBuffer> {
    return scaled(noise, this.initNoiseSigma);
  }

  /** img2img starting point: the encoded image's latent plus noise at the first kept step's level. */
  noisedLatents(latent: Float32Array, noise: Float32Array): Float32Array<ArrayBuffer> {
    return addScaled(latent, 'latent', noise, 'noise', this.initNoiseSigma);
  }

  /**
   * img2img starting point straight from the VAE encoder's output: encoded * scalingFactor (0.18215 for
   * SD 2.x, the latent space the UNet was trained in) + noise * sigma of the first kept step.
   */
  imageLatents(encoded: Float32Array, noise: Float32Array, scalingFactor: number): Float32Array<ArrayBuffer> {
    return this.noisedLatents(scaled(encoded, scalingFactor), noise);
  }

  private sigmaOfStep(stepIndex: number): number {
    if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= this.stepCount) {
      throw new RangeError(`stepIndex must be an integer from 0 to ${this.stepCount - 1}, got ${stepIndex}`);
    }
    return this.scheduleSigmas[stepIndex];
  }
}

function scaled(values: Float32Array, factor: number): Float32Array<ArrayBuffer> {
  const result = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) result[i] = values[i] * factor;
  return result;
}

/** base + addend * factor, element-wise. */
function addScaled(
  base: Float32Array,
  baseName: string,
  addend: Float32Array,
  addendName: string,
  factor: number,
): Float32Array<ArrayBuffer> {
  if (addend.length !== base.length) {
    throw new RangeError(`${addendName} has ${addend.length} elements but ${baseName} has ${base.length}`);
  }
  const result = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) result[i] = base[i] + addend[i] * factor;
  return result;
}
