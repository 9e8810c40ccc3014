/**
 * Tiny UNet: sample [N, 4, h, w], timestep [1], encoder_hidden_states [N, 77, H] -> out_sample [N, 4, h, w].
 * conv_in, a ResNet block fed the sinusoidal timestep embedding, cross-attention from the spatial tokens
 * to the text states, a strided-conv down / Resize up path with a skip connection, and conv_out: the
 * op mix of the real UNet, with the output depending on all three inputs and of about unit std.
 */
import { ioDims, SEEDS, TINY_DIMS, type TinyModelSet } from './config.js';
import { Layers } from '../onnx-builder/layers.js';
import { GraphBuilder } from '../onnx-builder/onnx-graph.js';
import { Prng } from '../onnx-builder/prng.js';

/** Brings out_sample to about unit std, like predicted noise (measured: 0.81 at gain 1.7). */
const OUTPUT_GAIN = 2.1;

export function buildUnet(set: TinyModelSet): Uint8Array {
  const { latentChannels, unetChannels: channels, unetGroups: groups, hiddenSize } = TINY_DIMS;
  const { latentSize, sequenceLength } = TINY_DIMS;
  const graph = new GraphBuilder(set.floatType);
  const layers = new Layers(graph, new Prng(SEEDS.unet));
  const spatialDims = ioDims(
    set,
    ['batch_size', 'num_channels', 'height', 'width'],
    [1, latentChannels, latentSize, latentSize],
  );

  const sample = graph.addInput('sample', set.floatType, spatialDims);
  const timestep = graph.addInput('timestep', set.timestepType, [1]);
  const textStates = graph.addInput(
    'encoder_hidden_states',
    set.floatType,
    ioDims(set, ['batch_size', 'sequence_length', hiddenSize], [1, sequenceLength, hiddenSize]),
  );

  const timeEmbedding = timestepEmbedding(layers, timestep, set.timestepType, channels);
  const stem = layers.conv('conv_in', sample, latentChannels, channels);
  const resnet = resnetBlock(layers, 'down_blocks.0.resnets.0', stem, timeEmbedding);
  const attended = crossAttentionBlock(layers, 'down_blocks.0.attentions.0', resnet, textStates);

  const down = layers.conv('down_blocks.0.downsamplers.0.conv', attended, channels, channels, { stride: 2 });
  const middle = graph.node('Add', [
    down,
    layers.normActConv('mid_block.resnets.0', down, channels, channels, groups),
  ]);
  const up = layers.conv(
    'up_blocks.0.upsamplers.0.conv',
    layers.upsample2x('up_blocks.0.upsamplers.0', middle),
    channels,
    channels,
  );
  const merged = graph.node('Add', [up, attended]);

  const outputNormed = layers.silu(layers.groupNorm('conv_norm_out', merged, channels, groups));
  const output = layers.conv('conv_out', outputNormed, channels, latentChannels, { gain: OUTPUT_GAIN });
  graph.addOutput(output, 'out_sample', set.floatType, spatialDims);
  return graph.encode('unet', `${set.id} tiny UNet (test stand-in, random weights)`);
}

/**
 * Sinusoidal embedding of the timestep, then two Gemm layers (diffusers' Timesteps + TimestepEmbedding).
 * The sinusoid is computed in float32 whatever the model's precision, as diffusers does: sin(999 f) in
 * float16 would be mostly rounding error. Returns [1, channels].
 */
function timestepEmbedding(
  layers: Layers,
  timestep: string,
  timestepType: TinyModelSet['timestepType'],
  channels: number,
): string {
  const graph = layers.graph;
  const frequencyCount = TINY_DIMS.timestepFrequencies;
  const timeColumn = graph.node('Unsqueeze', [
    timestepType === 'float32' ? timestep : graph.cast(timestep, 'float32'),
    graph.int64('time_axes', [1], [1]),
  ]);
  const frequencies = graph.float32(
    'time_proj.frequencies',
    [1, frequencyCount],
    sinusoidFrequencies(frequencyCount),
  );
  const phases = graph.node('Mul', [timeColumn, frequencies]);
  const sinusoid = graph.node('Concat', [graph.node('Sin', [phases]), graph.node('Cos', [phases])], {
    axis: 1,
  });
  const embedded = graph.floatType === 'float32' ? sinusoid : graph.cast(sinusoid, graph.floatType);
  const hidden = layers.silu(
    layers.gemm('time_embedding.linear_1', embedded, 2 * frequencyCount, 4 * channels),
  );
  return layers.gemm('time_embedding.linear_2', hidden, 4 * channels, channels);
}

/** 10000^(-i/count), built from square roots and products only so the bytes are the same everywhere. */
function sinusoidFrequencies(count: number): number[] {
  const ratio = Math.sqrt(Math.sqrt(Math.sqrt(Math.sqrt(1e-4)))) ** (16 / count);
  const frequencies = [1];
  while (frequencies.length < count) frequencies.push(frequencies[frequencies.length - 1] * ratio);
  return frequencies;
}

function resnetBlock(layers: Layers, name: string, x: string, timeEmbedding: string): string {
  const graph = layers.graph;
  const { unetChannels: channels, unetGroups: groups } = TINY_DIMS;
  const first = layers.normActConv(`${name}.block1`, x, channels, channels, groups);
  const timeProjected = layers.gemm(`${name}.time_emb_proj`, layers.silu(timeEmbedding), channels, channels);
  const timeMap = graph.node('Unsqueeze', [timeProjected, graph.int64(`${name}.time_axes`, [2], [2, 3])]);
  const second = layers.normActConv(
    `${name}.block2`,
    graph.node('Add', [first, timeMap]),
    channels,
    channels,
    groups,
  );
  return graph.node('Add', [x, second]);
}

/** Spatial positions as tokens [N, h*w, C] attend over the text states; the result is added back. */
function crossAttentionBlock(layers: Layers, name: string, x: string, textStates: string): string {
  const graph = layers.graph;
  const { unetChannels: channels, unetGroups: groups, hiddenSize } = TINY_DIMS;
  const normed = layers.groupNorm(`${name}.norm`, x, channels, groups);
  const flat = graph.node('Reshape', [normed, graph.int64(`${name}.token_shape`, [3], [0, channels, -1])]);
  const tokens = graph.node('Transpose', [flat], { perm: [0, 2, 1] });
  const widths = { query: channels, context: hiddenSize, inner: channels };
  const attended = layers.attention(`${name}.attn2`, tokens, textStates, widths);
  const channelsFirst = graph.node('Transpose', [attended], { perm: [0, 2, 1] });
  return graph.node('Add', [x, graph.node('Reshape', [channelsFirst, graph.node('Shape', [x])])]);
}
