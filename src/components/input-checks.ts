/**
 * What the element's inputs mean, and why a value cannot be used. A value that cannot be used is shown on
 * its control with the reason, never silently replaced by another one.
 */
import { MAX_IMAGE_SIZE, MIN_IMAGE_SIZE, WEBNN_DEVICE_TYPES } from '../pipeline/index.js';
import type { MemoryPreference, ProviderPreference, WebNnDeviceType } from '../pipeline/types.js';

export const MAX_SEED = 0xffffffff;
export const STEP_CHOICES = [1, 2, 3, 4] as const;
export const PROVIDERS: readonly ProviderPreference[] = ['auto', 'webgpu', 'wasm', 'webnn'];

/** The seed a text stands for: null for empty (a random seed per image), undefined when it is no seed. */
export function parseSeed(text: string | null): number | null | undefined {
  if (text === null || text.trim() === '') return null;
  const seed = Number(text);
  return Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED ? seed : undefined;
}

export function seedProblem(text: string): string | undefined {
  return parseSeed(text) === undefined
    ? `"${text}" is not a seed: use a whole number from 0 to ${MAX_SEED}, or leave it empty for a random one.`
    : undefined;
}

/** @param given what was written (an attribute's text), quoted in the message. */
export function stepsProblem(steps: number, given = String(steps)): string | undefined {
  return (STEP_CHOICES as readonly number[]).includes(steps)
    ? undefined
    : `"${given}" is not a number of steps: choose 1, 2, 3 or 4.`;
}

export function isProvider(value: string): value is ProviderPreference {
  return (PROVIDERS as readonly string[]).includes(value);
}

export function providerProblem(value: string): string | undefined {
  return isProvider(value)
    ? undefined
    : `"${value}" is not an execution provider: use auto, webgpu, wasm or webnn.`;
}

export function isWebNnDeviceType(value: string): value is WebNnDeviceType {
  return (WEBNN_DEVICE_TYPES as readonly string[]).includes(value);
}

/** The `webnn-device-type` attribute, checked only where it is used: with provider="webnn". */
export function webNnDeviceTypeProblem(value: string, provider: string): string | undefined {
  return provider !== 'webnn' || isWebNnDeviceType(value)
    ? undefined
    : `"${value}" is not a WebNN device type: use gpu, cpu or npu.`;
}

/** The `steps`, `strength` and `count` attributes as written, so a message quotes "x" rather than NaN. */
export class WrittenNumbers {
  private readonly texts = new Map<string, string>();

  set(name: string, text: string | null): void {
    if (text === null) this.texts.delete(name);
    else this.texts.set(name, text);
  }

  /** The value with what was written for it, while that text still stands for the value. */
  given(name: string, value: number): GivenNumber {
    const text = this.texts.get(name);
    return { value, text: text !== undefined && Object.is(Number(text), value) ? text : String(value) };
  }
}

const MEMORY_MODES: readonly MemoryPreference[] = ['auto', 'resident', 'low'];

export function isMemoryMode(value: string): value is MemoryPreference {
  return (MEMORY_MODES as readonly string[]).includes(value);
}

/** The `memory` attribute: no attribute is 'auto'. */
export function memoryProblem(value: string): string | undefined {
  return isMemoryMode(value)
    ? undefined
    : `"${value}" is not a memory mode: use auto, resident (every stage loaded) or low (one stage at a time).`;
}

export type InputProblems = Record<
  'seed' | 'steps' | 'strength' | 'provider' | 'count' | 'size',
  string | undefined
>;

/** A number setting and what was written for it, which messages quote (never "NaN"). */
export interface GivenNumber {
  value: number;
  text: string;
}

/** Each control's problem: `strength` only for image to image, `webnnDeviceType` only with provider webnn. */
export function inputProblems(
  seedText: string,
  steps: GivenNumber,
  strength: GivenNumber | undefined,
  provider: string,
  webnnDeviceType: string,
  count: GivenNumber = { value: 1, text: '1' },
  memory = 'auto',
  size: string | undefined = undefined,
): InputProblems {
  return {
    seed: seedText === '' ? undefined : seedProblem(seedText),
    steps: stepsProblem(steps.value, steps.text),
    strength: strength && strengthProblem(strength.value, steps.value, strength.text),
    // The memory mode is a loading setting like the provider: shown with it, refused before any load.
    provider:
      providerProblem(provider) ?? webNnDeviceTypeProblem(webnnDeviceType, provider) ?? memoryProblem(memory),
    count: countProblem(count.value, count.text),
    size,
  };
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

export function isManifestUrl(value: string): boolean {
  return /\.json([?#].*)?$/i.test(value);
}

/** The `seed` attribute: a uint32, or null for none or for a text that is no seed (kept in the seed box). */
export const seedConverter = {
  fromAttribute: (value: string | null): number | null => parseSeed(value) ?? null,
  toAttribute: (value: number | null): string | null => (value === null ? null : String(value)),
};

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Image to image runs floor(steps × strength) UNet steps, so a product under 1 would run none. */
export function strengthProblem(
  strength: number,
  steps: number,
  given = String(strength),
): string | undefined {
  if (!(Number.isFinite(strength) && strength > 0 && strength <= 1)) {
    return `"${given}" is not a strength: use a number above 0 and at most 1.`;
  }
  return Math.floor(steps * strength) < 1
    ? `Strength ${strength} with ${plural(steps, 'step')} runs no step: steps × strength must be at least 1 ` +
        `(raise the strength to ${Math.min(1, 1 / steps).toFixed(2)} or add steps).`
    : undefined;
}

/** Your own files: the image side for files that leave it open; the UNet halves the latent three times. */
export function imageSizeProblem(size: number): string | undefined {
  return Number.isInteger(size) && size % 64 === 0 && size >= MIN_IMAGE_SIZE && size <= MAX_IMAGE_SIZE
    ? undefined
    : `"${String(size)}" is not an image size: use a multiple of 64 from ${MIN_IMAGE_SIZE} to ${MAX_IMAGE_SIZE}.`;
}

/** How many images one Generate makes, from seeds seed, seed + 1, ... */
export const MAX_COUNT = 8;
export const COUNT_CHOICES = [1, 2, 3, 4, 5, 6, 7, 8] as const;

/** @param given what was written (an attribute's text), quoted in the message. */
export function countProblem(count: number, given = String(count)): string | undefined {
  return Number.isInteger(count) && count >= 1 && count <= MAX_COUNT
    ? undefined
    : `"${given}" is not a number of images: use a whole number from 1 to ${MAX_COUNT}.`;
}

/** The seeds of `count` images from `first`: consecutive, wrapping past 4294967295 to 0. */
export function batchSeeds(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => (first + index) % (MAX_SEED + 1));
}

/**
 * What the size checks read of a model's manifest entry. Structural, so that the package's declarations
 * of this module reach no engine types (which import onnxruntime-web's).
 */
interface SizedModel {
  name: string;
  image: { width: number; height: number };
  sizes?: { min: number; max: number; step: number };
}

/**
 * The `width` and `height` attributes (undefined: not given, the model's own): each within the model's
 * `sizes`, or its one size where it declares none. Unknown until the model's manifest entry is.
 */
export function sizeProblem(
  model: SizedModel | undefined,
  width: GivenNumber | undefined,
  height: GivenNumber | undefined,
): string | undefined {
  if (!model) return undefined;
  const range = model.sizes;
  const { image } = model;
  const sideProblem = (side: 'width' | 'height', given: GivenNumber | undefined): string | undefined => {
    if (given === undefined) return undefined;
    const { value, text } = given;
    if (!range) {
      return value === image[side]
        ? undefined
        : `"${text}" is not a ${side} ${model.name} can make: it makes ${image.width}x${image.height} images only.`;
    }
    return Number.isInteger(value) && value % range.step === 0 && value >= range.min && value <= range.max
      ? undefined
      : `"${text}" is not an image ${side}: use a multiple of ${range.step} from ${range.min} to ${range.max}.`;
  };
  return sideProblem('width', width) ?? sideProblem('height', height);
}

/**
 * The size of the next image: a side generate() passed over its attribute (as written), a side given
 * nowhere left out (the model's own); and why it cannot be made.
 */
export function requestedSize(
  model: SizedModel | undefined,
  written: WrittenNumbers,
  attributes: { width: number | null; height: number | null },
  options: { width?: number; height?: number } = {},
): { width?: number; height?: number; problem?: string } {
  const side = (name: 'width' | 'height'): GivenNumber | undefined => {
    const [option, value] = [options[name], attributes[name]];
    if (option !== undefined) return { value: option, text: String(option) };
    return value === null ? undefined : written.given(name, value);
  };
  const [width, height] = [side('width'), side('height')];
  return { width: width?.value, height: height?.value, problem: sizeProblem(model, width, height) };
}
