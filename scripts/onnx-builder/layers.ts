/**
 * Building blocks shaped like the ones in the real SD-Turbo exports (CLIP text transformer, UNet
 * ResNet/attention blocks, VAE decoder), each a handful of plain ONNX ops that ORT-web's WebGPU EP
 * implements. Weights come from one seeded PRNG in call order (drawn when the model is written, in the
 * order the weights were declared), so the same build sequence gives the same values in the FP32 and
 * FP16 sets.
 */
import type { GraphBuilder } from './onnx-graph.js';
import type { Prng } from './prng.js';

/** CLIP's QuickGELU: x * sigmoid(1.702 x). */
const QUICK_GELU_ALPHA = 1.702;
const NORM_EPSILON = 1e-5;

export class Layers {
  constructor(
    readonly graph: GraphBuilder,
    private readonly rng: Prng,
  ) {}

  /** Uniform weights with variance gain^2 / fanIn (LeCun), so unit-variance inputs stay about unit. */
  randomWeight(name: string, dims: number[], fanIn: number, gain = 1): string {
    const count = dims.reduce((a, b) => a * b, 1);
    return this.graph.weight(name, dims, () => this.rng.uniform(count, gain * Math.sqrt(3 / fanIn)));
  }

  /** y = x W + b over the last axis (PyTorch Linear as exported: MatMul then Add). */
  linear(name: string, x: string, inFeatures: number, outFeatures: number, gain = 1): string {
    const weight = this.randomWeight(`${name}.weight`, [inFeatures, outFeatures], inFeatures, gain);
    const bias = this.smallVector(`${name}.bias`, outFeatures);
    return this.graph.node('Add', [this.graph.node('MatMul', [x, weight]), bias]);
  }

  /** The same for 2-D inputs, as one Gemm with a transposed [out, in] weight like torch exports. */
  gemm(name: string, x: string, inFeatures: number, outFeatures: number): string {
    const weight = this.randomWeight(`${name}.weight`, [outFeatures, inFeatures], inFeatures);
    const bias = this.smallVector(`${name}.bias`, outFeatures);
    return this.graph.node('Gemm', [x, weight, bias], { transB: 1 });
  }

  conv(name: string, x: string, inChannels: number, outChannels: number, options: ConvOptions = {}): string {
    const { kernel = 3, stride = 1, gain = 1 } = options;
    const fanIn = inChannels * kernel * kernel;
    const weight = this.randomWeight(
      `${name}.weight`,
      [outChannels, inChannels, kernel, kernel],
      fanIn,
      gain,
    );
    const bias = this.smallVector(`${name}.bias`, outChannels);
    const pad = (kernel - 1) / 2;
    return this.graph.node('Conv', [x, weight, bias], {
      kernel_shape: [kernel, kernel],
      pads: [pad, pad, pad, pad],
      strides: [stride, stride],
    });
  }

  layerNorm(name: string, x: string, width: number): string {
    const scale = this.nearOneVector(`${name}.weight`, width);
    const bias = this.smallVector(`${name}.bias`, width);
    return this.graph.node('LayerNormalization', [x, scale, bias], {
      axis: -1,
      epsilon: { float: NORM_EPSILON },
    });
  }

  /**
   * GroupNorm as the opset-17 exports spell it: Reshape to [N, groups, -1], InstanceNormalization with unit
   * scale, Reshape back, then the per-channel affine. (GroupNormalization-18 has no WebGPU kernel in ORT-web.)
   */
  groupNorm(name: string, x: string, channels: number, groups: number, epsilon = NORM_EPSILON): string {
    const g = this.graph;
    const grouped = g.node('Reshape', [x, g.int64(`${name}.grouped_shape`, [3], [0, groups, -1])]);
    const ones = g.weight(`${name}.instance_scale`, [groups], new Float32Array(groups).fill(1));
    const zeros = g.weight(`${name}.instance_bias`, [groups], new Float32Array(groups));
    const normed = g.node('InstanceNormalization', [grouped, ones, zeros], { epsilon: { float: epsilon } });
    const restored = g.node('Reshape', [normed, g.node('Shape', [x])]);
    const scale = this.nearOneVector(`${name}.weight`, channels, [channels, 1, 1]);
    const bias = this.smallVector(`${name}.bias`, channels, [channels, 1, 1]);
    return g.node('Add', [g.node('Mul', [restored, scale]), bias]);
  }

  silu(x: string): string {
    return this.graph.node('Mul', [x, this.graph.node('Sigmoid', [x])]);
  }

  quickGelu(name: string, x: string): string {
    const alpha = this.graph.scalar(`${name}.alpha`, QUICK_GELU_ALPHA);
    return this.graph.node('Mul', [x, this.graph.node('Sigmoid', [this.graph.node('Mul', [x, alpha])])]);
  }

  /** GroupNorm, SiLU, Conv: the pre-activation unit of the UNet and VAE ResNet blocks. */
  normActConv(name: string, x: string, inChannels: number, outChannels: number, groups: number): string {
    const activated = this.silu(this.groupNorm(`${name}.norm`, x, inChannels, groups));
    return this.conv(`${name}.conv`, activated, inChannels, outChannels);
  }

  /** Nearest-neighbour x2 upsampling, as in the UNet/VAE Upsample2D blocks. */
  upsample2x(name: string, x: string): string {
    const scales = this.graph.float32(`${name}.scales`, [4], [1, 1, 2, 2]);
    return this.graph.node('Resize', [x, '', scales], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    });
  }

  /**
   * The VAE encoder's tail: encoder.conv_out to the latent distribution's 2 x latentChannels moments
   * (mean, log-variance), quant_conv (1x1), and a Slice that keeps the mean: the distribution's mode, so
   * the encoding is deterministic (the pipeline adds its own seeded noise).
   */
  latentMean(x: string, channels: number, latentChannels: number): string {
    const g = this.graph;
    const moments = this.conv('encoder.conv_out', x, channels, 2 * latentChannels);
    const quantized = this.conv('quant_conv', moments, 2 * latentChannels, 2 * latentChannels, { kernel: 1 });
    return g.node('Slice', [
      quantized,
      g.int64('latent_mean.starts', [1], [0]),
      g.int64('latent_mean.ends', [1], [latentChannels]),
      g.int64('latent_mean.axes', [1], [1]),
    ]);
  }

  /**
   * Single-head scaled dot-product attention of `queries` [N, Lq, queryWidth] over `context`
   * [N, Lk, contextWidth], with an optional additive mask, projected back to queryWidth.
   */
  attention(name: string, queries: string, context: string, widths: AttentionWidths, mask?: string): string {
    const g = this.graph;
    const { query: queryWidth, context: contextWidth, inner } = widths;
    const q = this.linear(`${name}.to_q`, queries, queryWidth, inner);
    const k = this.linear(`${name}.to_k`, context, contextWidth, inner);
    const v = this.linear(`${name}.to_v`, context, contextWidth, inner);
    const scores = g.node('MatMul', [q, g.node('Transpose', [k], { perm: [0, 2, 1] })]);
    const scaled = g.node('Mul', [scores, g.scalar(`${name}.scale`, 1 / Math.sqrt(inner))]);
    const masked = mask ? g.node('Add', [scaled, mask]) : scaled;
    const probabilities = g.node('Softmax', [masked], { axis: -1 });
    return this.linear(`${name}.to_out`, g.node('MatMul', [probabilities, v]), inner, queryWidth);
  }

  protected smallVector(name: string, length: number, dims = [length]): string {
    return this.graph.weight(name, dims, () => this.rng.uniform(length, 0.1));
  }

  protected nearOneVector(name: string, length: number, dims = [length]): string {
    return this.graph.weight(name, dims, () => this.rng.uniform(length, 0.1).map((v) => 1 + v));
  }
}

export interface ConvOptions {
  kernel?: number;
  stride?: number;
  gain?: number;
}

export interface AttentionWidths {
  query: number;
  context: number;
  inner: number;
}
