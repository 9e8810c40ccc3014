/**
 * The model's sizes (tokens, text width, latent and image size) as the offered files fix them, each with
 * where it came from, so that a file that disagrees is told which other file it disagrees with. Sizes the
 * files leave symbolic take SD-Turbo's values, or for the image the size the user chose.
 */
import { STAGE_TENSOR_DIMS, type ModelDimension, type ModelStageName } from '../../model/manifest-types.js';
import type { TensorSignature } from '../../model/onnx/onnx-signature.js';
import type { InspectedFile } from './stage-assignment.js';
import { singular, type Direction } from './stage-text.js';

/** One size: its value and, for messages, where it came from. */
export interface SizeFact {
  value: number;
  origin: string;
}

export type ModelSizes = Record<ModelDimension, SizeFact>;

/** A stage's file with its tensors matched to their roles (role key -> the file's tensor). */
export interface MatchedStage {
  file: InspectedFile;
  tensors: Record<Direction, Record<string, TensorSignature>>;
}

export type MatchedStages = Partial<Record<ModelStageName, MatchedStage>>;

/** SD-Turbo's image size, for files that leave it open. */
export const DEFAULT_IMAGE_SIZE = 512;
/** The VAE's scale between latent and image. */
const VAE_SCALE = 8;

const DIMENSION_LABELS: Record<ModelDimension, string> = {
  batch: 'the batch size',
  tokens: 'the token count',
  hidden: "the text states' width",
  latentChannels: 'the latent channels',
  latentHeight: 'the latent height',
  latentWidth: 'the latent width',
  imageChannels: 'the image channels',
  imageHeight: 'the image height',
  imageWidth: 'the image width',
};

/** The order in which stages are asked for a size: the text encoder fixes the text width first. */
const STAGE_ORDER: readonly ModelStageName[] = ['textEncoder', 'unet', 'vaeDecoder', 'vaeEncoder'];

export function deriveSizes(
  stages: MatchedStages,
  imageSize?: number,
): { sizes?: ModelSizes; problems: string[]; notes: string[] } {
  const fixed = fixedSizes(stages);
  const hidden = fixed.get('hidden');
  if (!hidden) {
    return {
      problems: [
        "The text states' width is not fixed by either file that has it: the text encoder's last_hidden_state " +
          "and the UNet's encoder_hidden_states both leave their last dimension symbolic.",
      ],
      notes: [],
    };
  }
  const [imageHeight, latentHeight] = sides(fixed, 'imageHeight', 'latentHeight', imageSize);
  const [imageWidth, latentWidth] = sides(fixed, 'imageWidth', 'latentWidth', imageSize);
  const sizes: ModelSizes = {
    batch: { value: 1, origin: 'as the pipeline makes one image at a time' },
    tokens: fixed.get('tokens') ?? { value: 77, origin: "CLIP's 77 tokens" },
    hidden,
    latentChannels: fixed.get('latentChannels') ?? { value: 4, origin: "SD-Turbo's 4 latent channels" },
    latentHeight,
    latentWidth,
    imageChannels: { value: 3, origin: 'red, green and blue' },
    imageHeight,
    imageWidth,
  };
  const notes: string[] = [];
  const fixedByFiles = ['latentHeight', 'imageHeight', 'latentWidth', 'imageWidth'].some((dimension) =>
    fixed.has(dimension as ModelDimension),
  );
  if (imageSize !== undefined && fixedByFiles) {
    notes.push(
      `The files fix the image size at ${sizes.imageWidth.value}×${sizes.imageHeight.value}: ` +
        `the size chosen (${imageSize} px) does not apply.`,
    );
  }
  return { sizes, problems: [], notes };
}

/** The first fixed size each dimension has in the files, in stage order. */
function fixedSizes(stages: MatchedStages): Map<ModelDimension, SizeFact> {
  const fixed = new Map<ModelDimension, SizeFact>();
  for (const stage of STAGE_ORDER) {
    const matched = stages[stage];
    if (!matched) continue;
    for (const direction of ['inputs', 'outputs'] as const) {
      const table: Record<string, readonly ModelDimension[]> = STAGE_TENSOR_DIMS[stage][direction];
      for (const [key, dims] of Object.entries(table)) {
        const tensor = matched.tensors[direction][key];
        if (tensor?.shape?.length !== dims.length) continue;
        dims.forEach((dimension, index) => {
          const size = tensor.shape?.[index];
          if (typeof size !== 'number' || fixed.has(dimension)) return;
          const where = `${matched.file.name}'s ${singular(direction)} "${tensor.name}"`;
          fixed.set(dimension, { value: size, origin: `${DIMENSION_LABELS[dimension]} in ${where}` });
        });
      }
    }
  }
  return fixed;
}

/**
 * One side of the image and of the latent: fixed by a file (the other side of the VAE follows at its
 * scale), else the size chosen, else SD-Turbo's.
 */
function sides(
  fixed: Map<ModelDimension, SizeFact>,
  image: 'imageHeight' | 'imageWidth',
  latent: 'latentHeight' | 'latentWidth',
  imageSize: number | undefined,
): [SizeFact, SizeFact] {
  const fixedLatent = fixed.get(latent);
  const imageSide: SizeFact =
    fixed.get(image) ??
    (fixedLatent
      ? { value: fixedLatent.value * VAE_SCALE, origin: `${VAE_SCALE} × ${fixedLatent.origin}` }
      : imageSize === undefined
        ? {
            value: DEFAULT_IMAGE_SIZE,
            origin: `SD-Turbo's ${DEFAULT_IMAGE_SIZE} px, as the files leave it open`,
          }
        : { value: imageSize, origin: `the image size chosen (${imageSize} px)` });
  const latentSide = fixedLatent ?? {
    value: imageSide.value / VAE_SCALE,
    origin: `1/${VAE_SCALE} of ${imageSide.origin}`,
  };
  return [imageSide, latentSide];
}
