/**
 * The SD 2.1 UNet: sample [batch_size, 4, height, width], timestep int64 [1], encoder_hidden_states
 * [batch_size, sequence_length, context] -> out_sample. conv_in; sinusoidal time embedding, Gemm, SiLU,
 * Gemm; down blocks of ResNets and linear-projection transformers (self-attention, cross-attention to
 * the text, GEGLU), each but the last ending in a stride-2 conv; a ResNet-transformer-ResNet mid block;
 * up blocks that Concat the skip connections, ending in nearest x2 Resize + conv; GroupNorm, SiLU,
 * conv_out.
 */
import { GraphBuilder, type ModelParts } from '../onnx-builder/onnx-graph.js';
import { Prng } from '../onnx-builder/prng.js';
import {
  ioDims,
  STANDIN_PRODUCER,
  STANDIN_SEEDS,
  type StandinModelSet,
  type UnetArchitecture,
} from './config.js';
import {
  DIFFUSERS_ATTENTION_NAMES,
  FINE_EPSILON,
  RESNET_EPSILON,
  SdLayers,
  type TimeEmbedding,
} from './sd-layers.js';

/** diffusers' default for SD: time_embed_dim = 4 * block_out_channels[0]. */
const TIME_EMBED_MULTIPLIER = 4;

interface UnetContext {
  layers: SdLayers;
  architecture: UnetArchitecture;
  time: TimeEmbedding;
  textStates: string;
}

interface Skip {
  value: string;
  channels: number;
}

export function buildUnet(set: StandinModelSet): ModelParts {
  const architecture = set.architecture.unet;
  const { latentChannels, blockChannels, attentionBlocks, layersPerBlock, contextWidth } = architecture;
  const graph = new GraphBuilder(set.weights, STANDIN_PRODUCER);
  const layers = new SdLayers(graph, new Prng(STANDIN_SEEDS.unet));
  const { latentSize, textEncoder } = set.architecture;
  const spatialDims = ioDims(
    set,
    ['batch_size', 'num_channels', 'height', 'width'],
    [1, latentChannels, latentSize, latentSize],
  );

  const sample = layers.fromFloat32(graph.addInput('sample', 'float32', spatialDims));
  const timestep = graph.addInput('timestep', set.io === 'webnn-fp32' ? 'float32' : 'int64', [1]);
  const textStates = layers.fromFloat32(
    graph.addInput(
      'encoder_hidden_states',
      'float32',
      ioDims(
        set,
        ['batch_size', 'sequence_length', contextWidth],
        [1, textEncoder.sequenceLength, contextWidth],
      ),
    ),
  );
  const time = timestepEmbedding(layers, timestep, set.io === 'webnn-fp32', blockChannels[0]);
  const context: UnetContext = { layers, architecture, time, textStates };

  let hidden = layers.conv('conv_in', sample, latentChannels, blockChannels[0]);
  let channels = blockChannels[0];
  const skips: Skip[] = [{ value: hidden, channels }];
  blockChannels.forEach((outChannels, block) => {
    for (let index = 0; index < layersPerBlock; index++) {
      const name = `down_blocks.${block}`;
      hidden = resnet(context, `${name}.resnets.${index}`, hidden, channels, outChannels);
      channels = outChannels;
      if (attentionBlocks[block])
        hidden = transformer(context, `${name}.attentions.${index}`, hidden, channels);
      skips.push({ value: hidden, channels });
    }
    if (block < blockChannels.length - 1) {
      hidden = layers.conv(`down_blocks.${block}.downsamplers.0.conv`, hidden, channels, channels, {
        stride: 2,
      });
      skips.push({ value: hidden, channels });
    }
  });

  hidden = resnet(context, 'mid_block.resnets.0', hidden, channels, channels);
  hidden = transformer(context, 'mid_block.attentions.0', hidden, channels);
  hidden = resnet(context, 'mid_block.resnets.1', hidden, channels, channels);

  const upChannels = [...blockChannels].reverse();
  const upAttention = [...attentionBlocks].reverse();
  upChannels.forEach((outChannels, block) => {
    const name = `up_blocks.${block}`;
    for (let index = 0; index <= layersPerBlock; index++) {
      const skip = skips.pop();
      if (!skip) throw new Error('UNet skip connections ran out');
      const merged = graph.node('Concat', [hidden, skip.value], { axis: 1 });
      hidden = resnet(context, `${name}.resnets.${index}`, merged, channels + skip.channels, outChannels);
      channels = outChannels;
      if (upAttention[block]) hidden = transformer(context, `${name}.attentions.${index}`, hidden, channels);
    }
    if (block < upChannels.length - 1) hidden = layers.upsampleConv(`${name}.upsamplers.0`, hidden, channels);
  });

  const normed = layers.silu(layers.groupNorm('conv_norm_out', hidden, channels, architecture.groups));
  const output = layers.toFloat32(layers.conv('conv_out', normed, channels, latentChannels));
  graph.addOutput(output, 'out_sample', 'float32', spatialDims);
  return graph.parts('unet', `${set.id} UNet (stand-in, random weights)`);
}

/**
 * diffusers' Timesteps (flip_sin_to_cos, no shift) and TimestepEmbedding: [cos, sin] of t times
 * 10000^(-i/half), computed in float32 as diffusers does (sin(999 f) in float16 would be mostly rounding
 * error), then Gemm, SiLU, Gemm to 4x the first block's width. Returns [1, width].
 */
function timestepEmbedding(
  layers: SdLayers,
  timestep: string,
  timestepIsFloat32: boolean,
  channels: number,
): TimeEmbedding {
  const graph = layers.graph;
  const half = channels / 2;
  const timeColumn = graph.node('Unsqueeze', [
    timestepIsFloat32 ? timestep : graph.cast(timestep, 'float32'),
    graph.int64('time_axes', [1], [1]),
  ]);
  const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const phases = graph.node('Mul', [
    timeColumn,
    graph.float32('time_proj.frequencies', [1, half], frequencies),
  ]);
  const sinusoid = graph.node('Concat', [graph.node('Cos', [phases]), graph.node('Sin', [phases])], {
    axis: 1,
  });
  const width = TIME_EMBED_MULTIPLIER * channels;
  const hidden = layers.silu(
    layers.gemm('time_embedding.linear_1', layers.fromFloat32(sinusoid), channels, width),
  );
  return { value: layers.gemm('time_embedding.linear_2', hidden, width, width), width };
}

function resnet(
  context: UnetContext,
  name: string,
  x: string,
  inChannels: number,
  outChannels: number,
): string {
  const { groups } = context.architecture;
  return context.layers.resnetBlock(
    name,
    x,
    { in: inChannels, out: outChannels, groups, epsilon: RESNET_EPSILON },
    context.time,
  );
}

/**
 * Transformer2DModel with use_linear_projection (SD 2.x): GroupNorm, tokens, proj_in, one
 * BasicTransformerBlock (LayerNorm + self-attention, LayerNorm + cross-attention to the text, LayerNorm +
 * GEGLU feed-forward, each residual), proj_out, back to [N, C, H, W], plus the input.
 */
function transformer(context: UnetContext, name: string, x: string, channels: number): string {
  const { layers, architecture, textStates } = context;
  const graph = layers.graph;
  const { headDim, groups, contextWidth } = architecture;
  const heads = channels / headDim;
  const normed = layers.groupNorm(`${name}.norm`, x, channels, groups, FINE_EPSILON);
  let tokens = layers.linear(`${name}.proj_in`, layers.toTokens(name, normed, channels), channels, channels);

  const block = `${name}.transformer_blocks.0`;
  const attentionOptions = { names: DIFFUSERS_ATTENTION_NAMES, projectionBias: false };
  const selfInput = layers.layerNorm(`${block}.norm1`, tokens, channels);
  const selfWidths = { query: channels, context: channels, heads, headDim };
  tokens = graph.node('Add', [
    tokens,
    layers.multiHeadAttention(`${block}.attn1`, selfInput, selfInput, selfWidths, attentionOptions),
  ]);
  const crossInput = layers.layerNorm(`${block}.norm2`, tokens, channels);
  const crossWidths = { query: channels, context: contextWidth, heads, headDim };
  tokens = graph.node('Add', [
    tokens,
    layers.multiHeadAttention(`${block}.attn2`, crossInput, textStates, crossWidths, attentionOptions),
  ]);
  const feedForwardInput = layers.layerNorm(`${block}.norm3`, tokens, channels);
  tokens = graph.node('Add', [tokens, layers.gegluFeedForward(`${block}.ff`, feedForwardInput, channels)]);

  const projected = layers.linear(`${name}.proj_out`, tokens, channels, channels);
  return graph.node('Add', [layers.toSpatial(projected, x), x]);
}
