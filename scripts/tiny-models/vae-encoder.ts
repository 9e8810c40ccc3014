/**
 * Tiny VAE encoder: sample [N, 3, 8h, 8w] in [-1, 1] -> latent_sample [N, 4, h, w].
 * conv_in, three stride-2 Conv downsamplers (each followed by GroupNorm + SiLU + conv, like the real
 * encoder's down blocks), conv_norm_out, conv_out to 2x4 channels (mean and log-variance), quant_conv,
 * and a Slice that keeps the mean: the latent distribution's mode, so the output is deterministic.
 */
import { ioDims, SEEDS, TINY_DIMS, type TinyModelSet } from './config.js';
import { Layers } from '../onnx-builder/layers.js';
import { GraphBuilder } from '../onnx-builder/onnx-graph.js';
import { Prng } from '../onnx-builder/prng.js';

export function buildVaeEncoder(set: TinyModelSet): Uint8Array {
  const { latentChannels, vaeChannels, vaeGroups: groups, imageChannels } = TINY_DIMS;
  const { latentSize, imageSize } = TINY_DIMS;
  // The VAE's encoder and decoder share a precision, as in the exports (tiny-mixed: FP32 like its decoder).
  const floatType = set.vaeFloatType ?? set.floatType;
  const graph = new GraphBuilder(floatType);
  const layers = new Layers(graph, new Prng(SEEDS.vaeEncoder));

  const image = graph.addInput(
    'sample',
    floatType,
    ioDims(set, ['batch_size', imageChannels, 'height', 'width'], [1, imageChannels, imageSize, imageSize]),
  );
  // Narrow at full resolution, where the FLOPs are; wider once downsampled (64 -> 32 -> 16 -> 8).
  const widths = [vaeChannels / 2, vaeChannels / 2, vaeChannels, vaeChannels];
  let hidden = layers.conv('encoder.conv_in', image, imageChannels, widths[0]);
  for (let block = 0; block < 3; block++) {
    const name = `encoder.down_blocks.${block}`;
    const downsampled = layers.conv(`${name}.downsamplers.0.conv`, hidden, widths[block], widths[block], {
      stride: 2,
    });
    hidden = layers.normActConv(`${name}.resnets.0`, downsampled, widths[block], widths[block + 1], groups);
  }
  const normed = layers.silu(layers.groupNorm('encoder.conv_norm_out', hidden, widths[3], groups));
  const mean = layers.latentMean(normed, widths[3], latentChannels);
  graph.addOutput(
    mean,
    'latent_sample',
    floatType,
    ioDims(
      set,
      ['batch_size', latentChannels, 'height_latent', 'width_latent'],
      [1, latentChannels, latentSize, latentSize],
    ),
  );
  return graph.encode('vae_encoder', `${set.id} tiny VAE encoder (test stand-in, random weights)`);
}
