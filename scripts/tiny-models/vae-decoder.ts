/**
 * Tiny VAE decoder: latent_sample [N, 4, h, w] -> sample [N, 3, 8h, 8w] in (-1, 1).
 * post_quant_conv, conv_in, a ResNet block, three nearest-x2 Resize upsamplers (two followed by a conv),
 * GroupNorm, SiLU, conv_out and a Tanh so the pixels use the whole range without saturating.
 */
import { ioDims, SEEDS, TINY_DIMS, type TinyModelSet } from './config.js';
import { Layers } from '../onnx-builder/layers.js';
import { GraphBuilder } from '../onnx-builder/onnx-graph.js';
import { Prng } from '../onnx-builder/prng.js';

/** Pre-Tanh std of about 0.8: images spread over the range, few pixels clipped. */
const OUTPUT_GAIN = 1.3;

export function buildVaeDecoder(set: TinyModelSet): Uint8Array {
  const { latentChannels, vaeChannels: channels, vaeGroups: groups, imageChannels } = TINY_DIMS;
  const { latentSize, imageSize } = TINY_DIMS;
  const floatType = set.vaeFloatType ?? set.floatType;
  const graph = new GraphBuilder(floatType);
  const layers = new Layers(graph, new Prng(SEEDS.vaeDecoder));

  const latent = graph.addInput(
    'latent_sample',
    floatType,
    ioDims(
      set,
      ['batch_size', 'num_channels_latent', 'height_latent', 'width_latent'],
      [1, latentChannels, latentSize, latentSize],
    ),
  );
  const quantized = layers.conv('post_quant_conv', latent, latentChannels, latentChannels, { kernel: 1 });
  const stem = layers.conv('decoder.conv_in', quantized, latentChannels, channels);
  let hidden = graph.node('Add', [
    stem,
    layers.normActConv('decoder.mid_block.resnets.0', stem, channels, channels, groups),
  ]);

  // 8x8 -> 16x16 -> 32x32, each upsampler followed by a conv; the last x2 to 64x64 feeds conv_out
  // directly, which keeps the full-resolution work (the bulk of the FLOPs) to one small conv.
  const widths = [channels, channels / 2, channels / 2];
  for (let block = 0; block < 2; block++) {
    const name = `decoder.up_blocks.${block}`;
    const upsampled = layers.upsample2x(`${name}.upsamplers.0`, hidden);
    hidden = layers.normActConv(`${name}.resnets.0`, upsampled, widths[block], widths[block + 1], groups);
  }
  hidden = layers.upsample2x('decoder.up_blocks.2.upsamplers.0', hidden);

  const normed = layers.silu(layers.groupNorm('decoder.conv_norm_out', hidden, widths[2], groups));
  const image = graph.node('Tanh', [
    layers.conv('decoder.conv_out', normed, widths[2], imageChannels, { gain: OUTPUT_GAIN }),
  ]);
  graph.addOutput(
    image,
    'sample',
    floatType,
    ioDims(set, ['batch_size', imageChannels, 'height', 'width'], [1, imageChannels, imageSize, imageSize]),
  );
  return graph.encode('vae_decoder', `${set.id} tiny VAE decoder (test stand-in, random weights)`);
}
