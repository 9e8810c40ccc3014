/** One Generate's images: a request per seed (seed, seed + 1, ...), and what is said once they are made. */
import type { ImageRequest } from '../controllers/generator-controller.js';
import type { SdImageDetail } from '../events.js';
import { formatSeconds } from '../format.js';
import { batchSeeds } from '../input-checks.js';

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
