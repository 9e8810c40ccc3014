/**
 * The SD VAE decoder: latent_sample [batch_size, 4, h, w] -> sample [batch_size, 3, 8h, 8w].
 * post_quant_conv (1x1), conv_in, a mid block (ResNet, single-head attention over every position,
 * ResNet), up blocks of ResNets with nearest x2 Resize + conv between them, GroupNorm, SiLU, conv_out.
 */
import { GraphBuilder, type ModelParts } from '../onnx-builder/onnx-graph.js';
import { Prng } from '../onnx-builder/prng.js';
import { ioDims, STANDIN_PRODUCER, STANDIN_SEEDS, type StandinModelSet } from './config.js';
import { SdLayers } from './sd-layers.js';
import { VaeBlocks } from './vae-blocks.js';

export function buildVaeDecoder(set: StandinModelSet): ModelParts {
  const { latentChannels, imageChannels, blockChannels, layersPerBlock, groups } =
    set.architecture.vaeDecoder;
  const graph = new GraphBuilder(set.weights, STANDIN_PRODUCER);
  const layers = new SdLayers(graph, new Prng(STANDIN_SEEDS.vaeDecoder));
  const blocks = new VaeBlocks(layers, groups);

  const { latentSize, imageSize } = set.architecture;
  const latent = layers.fromFloat32(
    graph.addInput(
      'latent_sample',
      'float32',
      ioDims(
        set,
        ['batch_size', 'num_channels_latent', 'height_latent', 'width_latent'],
        [1, latentChannels, latentSize, latentSize],
      ),
    ),
  );
  const quantized = layers.conv('post_quant_conv', latent, latentChannels, latentChannels, { kernel: 1 });
  const upChannels = [...blockChannels].reverse();
  let channels = upChannels[0];
  let hidden = layers.conv('decoder.conv_in', quantized, latentChannels, channels);

  hidden = blocks.midBlock('decoder.mid_block', hidden, channels);

  upChannels.forEach((outChannels, block) => {
    const name = `decoder.up_blocks.${block}`;
    for (let index = 0; index <= layersPerBlock; index++) {
      hidden = blocks.resnet(`${name}.resnets.${index}`, hidden, channels, outChannels);
      channels = outChannels;
    }
    if (block < upChannels.length - 1) hidden = layers.upsampleConv(`${name}.upsamplers.0`, hidden, channels);
  });

  const normed = blocks.normOut('decoder.conv_norm_out', hidden, channels);
  const image = layers.toFloat32(layers.conv('decoder.conv_out', normed, channels, imageChannels));
  graph.addOutput(
    image,
    'sample',
    'float32',
    ioDims(set, ['batch_size', imageChannels, 'height', 'width'], [1, imageChannels, imageSize, imageSize]),
  );
  return graph.parts('vae_decoder', `${set.id} VAE decoder (stand-in, random weights)`);
}
