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
import { DIFFUSERS_ATTENTION_NAMES, FINE_EPSILON, SdLayers } from './sd-layers.js';

export function buildVaeEncoder(set: StandinModelSet): ModelParts {
  const { latentChannels, imageChannels, blockChannels, layersPerBlock, groups } =
    set.architecture.vaeEncoder;
  const graph = new GraphBuilder(set.weights, STANDIN_PRODUCER);
  const layers = new SdLayers(graph, new Prng(STANDIN_SEEDS.vaeEncoder));
  const resnet = (name: string, x: string, inChannels: number, outChannels: number) =>
    layers.resnetBlock(name, x, { in: inChannels, out: outChannels, groups, epsilon: FINE_EPSILON });

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
      hidden = resnet(`${name}.resnets.${index}`, hidden, channels, outChannels);
      channels = outChannels;
    }
    if (block < blockChannels.length - 1) {
      hidden = layers.conv(`${name}.downsamplers.0.conv`, hidden, channels, channels, { stride: 2 });
    }
  });

  hidden = resnet('encoder.mid_block.resnets.0', hidden, channels, channels);
  hidden = attention(layers, 'encoder.mid_block.attentions.0', hidden, channels, groups);
  hidden = resnet('encoder.mid_block.resnets.1', hidden, channels, channels);

  const normed = layers.silu(
    layers.groupNorm('encoder.conv_norm_out', hidden, channels, groups, FINE_EPSILON),
  );
  const moments = layers.conv('encoder.conv_out', normed, channels, 2 * latentChannels);
  const quantized = layers.conv('quant_conv', moments, 2 * latentChannels, 2 * latentChannels, { kernel: 1 });
  const mean = graph.node('Slice', [
    quantized,
    graph.int64('latent_mean.starts', [1], [0]),
    graph.int64('latent_mean.ends', [1], [latentChannels]),
    graph.int64('latent_mean.axes', [1], [1]),
  ]);
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

/** diffusers' Attention as the VAE uses it: GroupNorm, one head over all h*w positions, biases, residual. */
function attention(layers: SdLayers, name: string, x: string, channels: number, groups: number): string {
  const tokens = layers.toTokens(
    name,
    layers.groupNorm(`${name}.group_norm`, x, channels, groups, FINE_EPSILON),
    channels,
  );
  const widths = { query: channels, context: channels, heads: 1, headDim: channels };
  const attended = layers.multiHeadAttention(name, tokens, tokens, widths, {
    names: DIFFUSERS_ATTENTION_NAMES,
    projectionBias: true,
  });
  return layers.graph.node('Add', [layers.toSpatial(attended, x), x]);
}
