/** All ONNX protobuf reading: a file's first bytes, its graph's inputs and outputs, its external data. */
export { OnnxFormatError } from './onnx-proto.js';
export { canStartOnnxModel, describeBytes, ONNX_HEADER_BYTES } from './onnx-header.js';
export {
  readOnnxSignature,
  type OnnxSignature,
  type SliceableFile,
  type TensorSignature,
  type WeightSummary,
} from './onnx-signature.js';
export { externalizeInitializers, type ExternalizedModel } from './onnx-external-data.js';
export {
  widenFp16Model,
  WidenedTensorTooLargeError,
  type WideningOptions,
  type WidenedModel,
} from './onnx-fp16-widening.js';
export { floatTimestepModel, TimestepRewriteError, type FloatTimestepModel } from './onnx-float-timestep.js';
