/**
 * The SD VAE encoder, as image to image needs it: sample [batch_size, 3, H, W] in [-1, 1] ->
 * latent_sample [batch_size, 4, H/8, W/8]. conv_in, down blocks of ResNets with a stride-2 conv between
 * them, a mid block (ResNet, single-head attention over every position, ResNet), GroupNorm, SiLU,
 * conv_out to the latent distribution's 2x4 moments, quant_conv (1x1), and a Slice that keeps the mean
 * (the distribution's mode: a deterministic encoding; the pipeline adds its own seeded noise).
 */
import { GraphBuilder, type ModelParts } from '../onnx-builder/onnx-graph.js';
import { Prng } from '../onnx-builder/prng.js';
import { ioDims, STANDIN_PRODUCER, STANDIN_SEEDS, type StandinModelSet } from './config.js';
import { SdLayers } from './sd-layers.js';
import { VaeBlocks } from './vae-blocks.js';

export function buildVaeEncoder(set: StandinModelSet): ModelParts {
  const { latentChannels, imageChannels, blockChannels, layersPerBlock, groups } =
    set.architecture.vaeEncoder;
  const graph = new GraphBuilder(set.weights, STANDIN_PRODUCER);
  const layers = new SdLayers(graph, new Prng(STANDIN_SEEDS.vaeEncoder));
  const blocks = new VaeBlocks(layers, groups);

  const { latentSize, imageSize } = set.architecture;
  const image = layers.fromFloat32(
    graph.addInput(
      'sample',
      'float32',
      ioDims(set, ['batch_size', imageChannels, 'height', 'width'], [1, imageChannels, imageSize, imageSize]),
    ),
  );
  let channels = blockChannels[0];
  let hidden = layers.conv('encoder.conv_in', image, imageChannels, channels);
  blockChannels.forEach((outChannels, block) => {
    const name = `encoder.down_blocks.${block}`;
    for (let index = 0; index < layersPerBlock; index++) {
      hidden = blocks.resnet(`${name}.resnets.${index}`, hidden, channels, outChannels);
      channels = outChannels;
    }
    if (block < blockChannels.length - 1) {
      hidden = layers.conv(`${name}.downsamplers.0.conv`, hidden, channels, channels, { stride: 2 });
    }
  });

  hidden = blocks.midBlock('encoder.mid_block', hidden, channels);

  const normed = blocks.normOut('encoder.conv_norm_out', hidden, channels);
  const mean = layers.latentMean(normed, channels, latentChannels);
  graph.addOutput(
    layers.toFloat32(mean),
    'latent_sample',
    'float32',
    ioDims(
      set,
      ['batch_size', latentChannels, 'height_latent', 'width_latent'],
      [1, latentChannels, latentSize, latentSize],
    ),
  );
  return graph.parts('vae_encoder', `${set.id} VAE encoder (stand-in, random weights)`);
}
