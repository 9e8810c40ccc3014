/**
 * The building blocks of the real SD-Turbo exports spelled as torch's ONNX export spells them:
 * multi-head attention (Reshape/Transpose per head, MatMul, Softmax), Erf-based GELU, the GEGLU
 * feed-forward (Split into value and gate), pre-activation ResNet blocks with 1x1 shortcut convs, and
 * the float32 edges of an FP16 graph (Cast after each input and before each output).
 */
import { Layers } from '../onnx-builder/layers.js';

/** GroupNorm epsilon of diffusers' transformer blocks and of the whole VAE; UNet ResNets use 1e-5. */
export const FINE_EPSILON = 1e-6;
export const RESNET_EPSILON = 1e-5;

export interface MultiHeadWidths {
  query: number;
  context: number;
  heads: number;
  headDim: number;
}

export interface AttentionNames {
  query: string;
  key: string;
  value: string;
  out: string;
}

/** diffusers' Attention: bias-free to_q/to_k/to_v (the VAE's have biases), to_out.0 with a bias. */
export const DIFFUSERS_ATTENTION_NAMES: AttentionNames = {
  query: 'to_q',
  key: 'to_k',
  value: 'to_v',
  out: 'to_out.0',
};

export interface AttentionOptions {
  names: AttentionNames;
  /** Bias on the query/key/value projections (CLIP and the VAE have them, the UNet does not). */
  projectionBias: boolean;
  /** Added to the scores of every head, e.g. CLIP's causal mask [L, L]. */
  mask?: string;
}

export interface TimeEmbedding {
  value: string;
  width: number;
}

export class SdLayers extends Layers {
  /** y = x W (+ b): MatMul, then Add when there is a bias. */
  projection(name: string, x: string, inFeatures: number, outFeatures: number, bias: boolean): string {
    if (bias) return this.linear(name, x, inFeatures, outFeatures);
    return this.graph.node('MatMul', [
      x,
      this.randomWeight(`${name}.weight`, [inFeatures, outFeatures], inFeatures),
    ]);
  }

  /**
   * Scaled dot-product attention of `queries` [N, Lq, query] over `context` [N, Lk, context] with
   * `heads` heads of `headDim`, projected back to the query width.
   */
  multiHeadAttention(
    name: string,
    queries: string,
    context: string,
    widths: MultiHeadWidths,
    options: AttentionOptions,
  ): string {
    const g = this.graph;
    const { heads, headDim } = widths;
    const inner = heads * headDim;
    const { names, projectionBias } = options;
    const headShape = g.int64(`${name}.head_shape`, [4], [0, 0, heads, headDim]);
    const perHead = (projected: string, perm: number[]) =>
      g.node('Transpose', [g.node('Reshape', [projected, headShape])], { perm });
    const q = perHead(
      this.projection(`${name}.${names.query}`, queries, widths.query, inner, projectionBias),
      [0, 2, 1, 3],
    );
    const kT = perHead(
      this.projection(`${name}.${names.key}`, context, widths.context, inner, projectionBias),
      [0, 2, 3, 1],
    );
    const v = perHead(
      this.projection(`${name}.${names.value}`, context, widths.context, inner, projectionBias),
      [0, 2, 1, 3],
    );
    const scores = g.node('Mul', [
      g.node('MatMul', [q, kT]),
      g.scalar(`${name}.scale`, 1 / Math.sqrt(headDim)),
    ]);
    const masked = options.mask ? g.node('Add', [scores, options.mask]) : scores;
    const probabilities = g.node('Softmax', [masked], { axis: -1 });
    const merged = g.node('Reshape', [
      g.node('Transpose', [g.node('MatMul', [probabilities, v])], { perm: [0, 2, 1, 3] }),
      g.int64(`${name}.merged_shape`, [3], [0, 0, inner]),
    ]);
    return this.linear(`${name}.${names.out}`, merged, inner, widths.query);
  }

  /** GELU as torch exports the exact (erf) form: x * 0.5 * (1 + erf(x / sqrt(2))). */
  gelu(name: string, x: string): string {
    const g = this.graph;
    const erf = g.node('Erf', [g.node('Div', [x, g.scalar(`${name}.sqrt2`, Math.SQRT2)])]);
    const onePlus = g.node('Add', [erf, g.scalar(`${name}.one`, 1)]);
    return g.node('Mul', [g.node('Mul', [x, onePlus]), g.scalar(`${name}.half`, 0.5)]);
  }

  /** diffusers' FeedForward with GEGLU: Linear to 2 * 4C, Split, value * GELU(gate), Linear to C. */
  gegluFeedForward(name: string, x: string, width: number): string {
    const g = this.graph;
    const inner = 4 * width;
    const projected = this.linear(`${name}.net.0.proj`, x, width, 2 * inner);
    const [value, gate] = g.nodeWithOutputs(
      'Split',
      [projected, g.int64(`${name}.net.0.split`, [2], [inner, inner])],
      2,
      { axis: -1 },
    );
    const gated = g.node('Mul', [value, this.gelu(`${name}.net.0.gelu`, gate)]);
    return this.linear(`${name}.net.2`, gated, inner, width);
  }

  /**
   * diffusers' ResnetBlock2D: GroupNorm, SiLU, conv1, (+ projected time embedding), GroupNorm, SiLU,
   * conv2, added to the input (through a 1x1 conv when the channel count changes).
   */
  resnetBlock(
    name: string,
    x: string,
    channels: { in: number; out: number; groups: number; epsilon: number },
    time?: TimeEmbedding,
  ): string {
    const g = this.graph;
    const { in: inChannels, out: outChannels, groups, epsilon } = channels;
    let hidden = this.conv(
      `${name}.conv1`,
      this.silu(this.groupNorm(`${name}.norm1`, x, inChannels, groups, epsilon)),
      inChannels,
      outChannels,
    );
    if (time) {
      const projected = this.gemm(`${name}.time_emb_proj`, this.silu(time.value), time.width, outChannels);
      hidden = g.node('Add', [
        hidden,
        g.node('Unsqueeze', [projected, g.int64(`${name}.time_axes`, [2], [2, 3])]),
      ]);
    }
    hidden = this.conv(
      `${name}.conv2`,
      this.silu(this.groupNorm(`${name}.norm2`, hidden, outChannels, groups, epsilon)),
      outChannels,
      outChannels,
    );
    const shortcut =
      inChannels === outChannels
        ? x
        : this.conv(`${name}.conv_shortcut`, x, inChannels, outChannels, { kernel: 1 });
    return g.node('Add', [shortcut, hidden]);
  }

  /** [N, C, H, W] -> [N, H*W, C]. */
  toTokens(name: string, x: string, channels: number): string {
    const g = this.graph;
    const flat = g.node('Reshape', [x, g.int64(`${name}.token_shape`, [3], [0, channels, -1])]);
    return g.node('Transpose', [flat], { perm: [0, 2, 1] });
  }

  /** [N, H*W, C] -> the shape of `like`, [N, C, H, W]. */
  toSpatial(tokens: string, like: string): string {
    const g = this.graph;
    return g.node('Reshape', [g.node('Transpose', [tokens], { perm: [0, 2, 1] }), g.node('Shape', [like])]);
  }

  /** Nearest x2 Resize then a 3x3 conv (diffusers' Upsample2D). */
  upsampleConv(name: string, x: string, channels: number): string {
    return this.conv(`${name}.conv`, this.upsample2x(name, x), channels, channels);
  }

  /** A float32 graph input as the graph's float type (a Cast in FP16 graphs, as the real exports have). */
  fromFloat32(x: string): string {
    return this.graph.floatType === 'float32' ? x : this.graph.cast(x, this.graph.floatType);
  }

  /** The graph's float type as float32, for an output. */
  toFloat32(x: string): string {
    return this.graph.floatType === 'float32' ? x : this.graph.cast(x, 'float32');
  }
}
