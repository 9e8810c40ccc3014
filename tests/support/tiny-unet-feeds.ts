/** Seeded inputs for the tiny UNet, as onnxruntime-web tensors: the tests that run it in Node share them. */
import * as ort from 'onnxruntime-web';
import { TINY_DIMS } from '../../scripts/tiny-models/index';
import { Prng } from '../../scripts/onnx-builder/prng';

export function tinyUnetFeeds(sampleSeed: number, hiddenSeed: number): Record<string, ort.Tensor> {
  const { sequenceLength, latentChannels, latentSize, hiddenSize } = TINY_DIMS;
  return {
    sample: new ort.Tensor('float32', new Prng(sampleSeed).uniform(latentChannels * latentSize ** 2, 2), [
      1,
      latentChannels,
      latentSize,
      latentSize,
    ]),
    timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
    encoder_hidden_states: new ort.Tensor(
      'float32',
      new Prng(hiddenSeed).uniform(sequenceLength * hiddenSize, 1),
      [1, sequenceLength, hiddenSize],
    ),
  };
}
