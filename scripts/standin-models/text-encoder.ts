/**
 * CLIP text tower as SD 2.x exports it: input_ids int32 [batch_size, 77] -> last_hidden_state float32
 * [batch_size, 77, width]. Token + position embedding, pre-LN transformer layers (causal multi-head
 * self-attention, Erf-GELU MLP), final LayerNorm; FP16 graphs Cast their output to float32.
 */
import { GraphBuilder, type ModelParts } from '../onnx-builder/onnx-graph.js';
import { Prng } from '../onnx-builder/prng.js';
import { ioDims, STANDIN_PRODUCER, STANDIN_SEEDS, type StandinModelSet } from './config.js';
import { SdLayers } from './sd-layers.js';

/** Added to attention scores above the diagonal; finite so it stays representable in float16. */
const MASKED_SCORE = -1e4;
const CLIP_ATTENTION_NAMES = { query: 'q_proj', key: 'k_proj', value: 'v_proj', out: 'out_proj' };

export function buildTextEncoder(set: StandinModelSet): ModelParts {
  const {
    vocabSize,
    sequenceLength,
    width,
    heads,
    layers: layerCount,
    mlpWidth,
  } = set.architecture.textEncoder;
  const graph = new GraphBuilder(set.weights, STANDIN_PRODUCER);
  const layers = new SdLayers(graph, new Prng(STANDIN_SEEDS.textEncoder));

  const inputIds = graph.addInput(
    'input_ids',
    'int32',
    ioDims(set, ['batch_size', sequenceLength], [1, sequenceLength]),
  );
  const tokenTable = layers.randomWeight('embeddings.token_embedding.weight', [vocabSize, width], 1);
  const positions = layers.randomWeight(
    'embeddings.position_embedding.weight',
    [sequenceLength, width],
    1,
    0.5,
  );
  let hidden = graph.node('Add', [graph.node('Gather', [tokenTable, inputIds], { axis: 0 }), positions]);

  const mask = causalMask(graph, sequenceLength);
  const widths = { query: width, context: width, heads, headDim: width / heads };
  for (let index = 0; index < layerCount; index++) {
    const name = `encoder.layers.${index}`;
    const attentionInput = layers.layerNorm(`${name}.layer_norm1`, hidden, width);
    const attended = layers.multiHeadAttention(`${name}.self_attn`, attentionInput, attentionInput, widths, {
      names: CLIP_ATTENTION_NAMES,
      projectionBias: true,
      mask,
    });
    hidden = graph.node('Add', [hidden, attended]);
    const mlpInput = layers.layerNorm(`${name}.layer_norm2`, hidden, width);
    const expanded = layers.gelu(
      `${name}.mlp.act`,
      layers.linear(`${name}.mlp.fc1`, mlpInput, width, mlpWidth),
    );
    hidden = graph.node('Add', [hidden, layers.linear(`${name}.mlp.fc2`, expanded, mlpWidth, width)]);
  }

  const output = layers.toFloat32(layers.layerNorm('final_layer_norm', hidden, width));
  graph.addOutput(
    output,
    'last_hidden_state',
    'float32',
    ioDims(set, ['batch_size', sequenceLength, width], [1, sequenceLength, width]),
  );
  return graph.parts('text_encoder', `${set.id} text encoder (stand-in, random weights)`);
}

function causalMask(graph: GraphBuilder, length: number): string {
  const mask = new Float32Array(length * length);
  for (let row = 0; row < length; row++) mask.fill(MASKED_SCORE, row * length + row + 1, (row + 1) * length);
  return graph.weight('causal_attention_mask', [length, length], mask);
}
