/**
 * Tiny CLIP-style text encoder: input_ids int32 [batch_size, 77] -> last_hidden_state [batch_size, 77, H].
 * Token + position embedding, one pre-LN transformer layer with causal self-attention and a QuickGELU MLP,
 * final LayerNorm: the op mix of the real OpenCLIP encoder at a fraction of the width and depth.
 */
import { ioDims, SEEDS, TINY_DIMS, type TinyModelSet } from './config.js';
import { Layers } from '../onnx-builder/layers.js';
import { GraphBuilder } from '../onnx-builder/onnx-graph.js';
import { Prng } from '../onnx-builder/prng.js';

/** Added to attention scores above the diagonal; finite so it stays representable in float16. */
const MASKED_SCORE = -1e4;
const MLP_EXPANSION = 4;

export function buildTextEncoder(set: TinyModelSet): Uint8Array {
  const { vocabSize, sequenceLength, hiddenSize } = TINY_DIMS;
  const graph = new GraphBuilder(set.floatType);
  const layers = new Layers(graph, new Prng(SEEDS.textEncoder));

  const inputIds = graph.addInput(
    'input_ids',
    'int32',
    ioDims(set, ['batch_size', sequenceLength], [1, sequenceLength]),
  );
  const tokenTable = layers.randomWeight('embeddings.token_embedding.weight', [vocabSize, hiddenSize], 1);
  const positions = layers.randomWeight(
    'embeddings.position_embedding.weight',
    [sequenceLength, hiddenSize],
    1,
    0.5,
  );
  let hidden = graph.node('Add', [graph.node('Gather', [tokenTable, inputIds], { axis: 0 }), positions]);

  const attentionInput = layers.layerNorm('layers.0.layer_norm1', hidden, hiddenSize);
  const widths = { query: hiddenSize, context: hiddenSize, inner: hiddenSize };
  const selfAttention = layers.attention(
    'layers.0.self_attn',
    attentionInput,
    attentionInput,
    widths,
    causalMask(graph),
  );
  hidden = graph.node('Add', [hidden, selfAttention]);

  const mlpInput = layers.layerNorm('layers.0.layer_norm2', hidden, hiddenSize);
  const expanded = layers.linear('layers.0.mlp.fc1', mlpInput, hiddenSize, hiddenSize * MLP_EXPANSION);
  const activated = layers.quickGelu('layers.0.mlp.act', expanded);
  hidden = graph.node('Add', [
    hidden,
    layers.linear('layers.0.mlp.fc2', activated, hiddenSize * MLP_EXPANSION, hiddenSize),
  ]);

  const output = layers.layerNorm('final_layer_norm', hidden, hiddenSize);
  graph.addOutput(
    output,
    'last_hidden_state',
    set.floatType,
    ioDims(set, ['batch_size', sequenceLength, hiddenSize], [1, sequenceLength, hiddenSize]),
  );
  return graph.encode('text_encoder', `${set.id} tiny text encoder (test stand-in, random weights)`);
}

function causalMask(graph: GraphBuilder): string {
  const length = TINY_DIMS.sequenceLength;
  const mask = new Float32Array(length * length);
  for (let row = 0; row < length; row++) mask.fill(MASKED_SCORE, row * length + row + 1, (row + 1) * length);
  return graph.weight('causal_attention_mask', [length, length], mask);
}
