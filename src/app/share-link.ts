/**
 * Links that reproduce an image: the app's URL carries what made the last image (prompt, seed, steps,
 * size, count and, for image to image, strength, beside the model and provider), and opening such a link
 * sets those on the element as attributes, so a bad value gets the attribute's own error. One click on
 * Generate then makes the same pixels (on the same model and provider; image to image needs its source
 * picture chosen again, which no link can carry).
 */
import type { SdImageDetail } from '../components/index.js';

/** The element attributes a link sets, in the order they are applied. */
export const LINK_ATTRIBUTES = ['prompt', 'seed', 'steps', 'count', 'strength', 'width', 'height'] as const;
export type LinkAttribute = (typeof LINK_ATTRIBUTES)[number];

const UINT32_RANGE = 2 ** 32;

/** The first seed of the Generate that made this image: a batch's link makes the whole batch again. */
export function firstSeedOf(image: Pick<SdImageDetail, 'seed' | 'batch'>): number {
  return (image.seed - (image.batch?.index ?? 0) + UINT32_RANGE) % UINT32_RANGE;
}

/** The attribute values that make this image (with its batch) again. */
export function imageLinkValues(image: SdImageDetail): Partial<Record<LinkAttribute, string>> {
  return {
    prompt: image.prompt,
    seed: String(firstSeedOf(image)),
    steps: String(image.steps),
    ...(image.batch ? { count: String(image.batch.count) } : {}),
    ...(image.strength === undefined ? {} : { strength: String(image.strength) }),
    width: String(image.width),
    height: String(image.height),
  };
}

/**
 * The page's URL for this image: the page's own parameters (manifest, mirror, dev...) kept, the model and
 * provider that made the image, and the image's values in place of an older image's.
 */
export function imageLink(page: URL | string, image: SdImageDetail): URL {
  const link = new URL(page);
  const params = link.searchParams;
  for (const name of LINK_ATTRIBUTES) params.delete(name);
  params.set('model', image.modelId);
  params.set('provider', image.provider);
  for (const [name, value] of Object.entries(imageLinkValues(image))) params.set(name, value);
  return link;
}

/** The link's values for the element, as written: each becomes an attribute, checked as one. */
export function linkValues(params: URLSearchParams): [LinkAttribute, string][] {
  return LINK_ATTRIBUTES.flatMap((name) => {
    const value = params.get(name);
    return value === null ? [] : [[name, value] as [LinkAttribute, string]];
  });
}
