/** One Generate's images: a request per seed (seed, seed + 1, ...), and what is said once they are made. */
import type { ImageRequest } from '../controllers/generator-controller.js';
import type { SdImageDetail } from '../events.js';
import { formatSeconds } from '../format.js';
import {
  batchSeeds,
  countProblem,
  stepsProblem,
  strengthProblem,
  type GivenNumber,
  type InputProblems,
} from '../input-checks.js';
import type { GenerateOptions } from '../sd-turbo-api.js';

/**
 * Why generate(options) cannot run: a value passed in options is checked as given, one left out as its
 * control shows it (the size: as the caller has checked it, options over attributes). `strength` only
 * for image to image.
 */
export function generateRefusal(
  problems: InputProblems,
  options: GenerateOptions,
  steps: number,
  strength: GivenNumber | undefined,
): string | undefined {
  return (
    (options.seed === undefined ? problems.seed : undefined) ??
    (options.steps === undefined ? problems.steps : stepsProblem(options.steps)) ??
    (options.count === undefined ? problems.count : countProblem(options.count)) ??
    (strength ? strengthProblem(strength.value, steps, strength.text) : undefined) ??
    problems.size ??
    problems.provider
  );
}

export function batchRequests(
  first: Omit<ImageRequest, 'seed'> & { seed: number },
  count: number,
): ImageRequest[] {
  return batchSeeds(first.seed, count).map((seed) => ({ ...first, seed }));
}

export function startAnnouncement(count: number): string {
  return count === 1 ? 'Generating an image…' : `Generating ${count} images…`;
}

export function readyAnnouncement(images: readonly SdImageDetail[]): string {
  const first = images[0];
  const last = images[images.length - 1];
  return images.length === 1
    ? `Image ready: seed ${first.seed}, ${formatSeconds(first.timings.totalMs)} per image.`
    : `${images.length} images ready: seeds ${first.seed} to ${last.seed}.`;
}
