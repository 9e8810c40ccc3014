/**
 * The blocks SD's VAE encoder and decoder share, as diffusers builds them: ResNet blocks without a time
 * embedding, the mid block (ResNet, single-head self-attention over every position, ResNet), and the
 * GroupNorm + SiLU before conv_out. Every GroupNorm in the VAE has epsilon 1e-6 and the VAE's group count.
 */
import { DIFFUSERS_ATTENTION_NAMES, FINE_EPSILON, type SdLayers } from './sd-layers.js';

export class VaeBlocks {
  constructor(
    readonly layers: SdLayers,
    readonly groups: number,
  ) {}

  /** diffusers' ResnetBlock2D as the VAE has it: no time embedding, a 1x1 shortcut conv when widths differ. */
  resnet(name: string, x: string, inChannels: number, outChannels: number): string {
    return this.layers.resnetBlock(name, x, {
      in: inChannels,
      out: outChannels,
      groups: this.groups,
      epsilon: FINE_EPSILON,
    });
  }

  /** UNetMidBlock2D of the VAE (`name` e.g. 'decoder.mid_block'): ResNet, self-attention, ResNet. */
  midBlock(name: string, x: string, channels: number): string {
    let hidden = this.resnet(`${name}.resnets.0`, x, channels, channels);
    hidden = this.selfAttention(`${name}.attentions.0`, hidden, channels);
    return this.resnet(`${name}.resnets.1`, hidden, channels, channels);
  }

  /** diffusers' Attention as the VAE uses it: GroupNorm, one head over all h*w positions, biases, residual. */
  selfAttention(name: string, x: string, channels: number): string {
    const { layers } = this;
    const tokens = layers.toTokens(name, this.groupNorm(`${name}.group_norm`, x, channels), channels);
    const widths = { query: channels, context: channels, heads: 1, headDim: channels };
    const attended = layers.multiHeadAttention(name, tokens, tokens, widths, {
      names: DIFFUSERS_ATTENTION_NAMES,
      projectionBias: true,
    });
    return layers.graph.node('Add', [layers.toSpatial(attended, x), x]);
  }

  /** The GroupNorm (`name` e.g. 'encoder.conv_norm_out') and SiLU in front of conv_out. */
  normOut(name: string, x: string, channels: number): string {
    return this.layers.silu(this.groupNorm(name, x, channels));
  }

  private groupNorm(name: string, x: string, channels: number): string {
    return this.layers.groupNorm(name, x, channels, this.groups, FINE_EPSILON);
  }
}
