export {
  EulerTrailingScheduler,
  MAX_STEPS,
  imageToImageStepCount,
  trailingTimesteps,
  trainingSigmas,
  type EulerTrailingSchedulerConfig,
  type SetTimestepsOptions,
} from './euler-trailing.js';
export {
  MAX_SEED,
  Xoshiro128StarStar,
  assertSeed,
  gaussianNoise,
  randomSeed,
  type Xoshiro128State,
} from './noise.js';
