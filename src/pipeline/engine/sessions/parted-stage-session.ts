import type * as ort from 'onnxruntime-web/webgpu';
import type { GraphSplit, ValueType } from '../../model/onnx/onnx-graph-split.js';
import { onnxDataType } from '../../model/onnx/onnx-proto.js';

/** What the stage runs ask of a stage's session. */
export type StageSession = Pick<ort.InferenceSession, 'run'>;

/**
 * Makes part `index` of the stage (its ModelProto) a session. Every part but the last gives its outputs on
 * the CPU: they are carried to later parts after the part's session is released.
 */
export type PartSessionFactory = (
  index: number,
  graph: Uint8Array,
  last: boolean,
) => Promise<ort.InferenceSession>;

/**
 * A stage run as consecutive parts of its graph (onnx-graph-split.ts), each part's session created for the
 * run and released before the next part's is made, so that the device holds one part's weights at a time.
 * The values a part gives later parts go through the CPU: a few MB for SD-Turbo's UNet at 512x512 (its
 * skip connections and time embedding), against the hundreds of MB of weights each part loads.
 */
export class PartedStageSession implements StageSession {
  constructor(
    private readonly split: GraphSplit,
    private readonly createPart: PartSessionFactory,
    private readonly releasePart: (session: ort.InferenceSession) => Promise<void>,
    /** The stage's outputs: a part before the last may make one (they are given with the last's). */
    private readonly outputNames: readonly string[],
  ) {}

  run(feeds: ort.InferenceSession.FeedsType, options?: ort.InferenceSession.RunOptions): Promise<Outputs>;
  run(
    feeds: ort.InferenceSession.FeedsType,
    fetches: ort.InferenceSession.FetchesType,
    options?: ort.InferenceSession.RunOptions,
  ): Promise<Outputs>;
  async run(
    feeds: ort.InferenceSession.FeedsType,
    fetchesOrOptions?: ort.InferenceSession.FetchesType | ort.InferenceSession.RunOptions,
    options?: ort.InferenceSession.RunOptions,
  ): Promise<Outputs> {
    const values = new Map<string, ort.Tensor>(Object.entries(feeds));
    const inputTypes = new Map<string, ValueType>();
    const lastIndex = this.split.parts.length - 1;
    let result: Outputs = {};
    for (const [index, part] of this.split.parts.entries()) {
      const last = index === lastIndex;
      const session = await this.createPart(index, this.split.model(index, inputTypes), last);
      try {
        const partFeeds = Object.fromEntries(part.inputs.map((name) => [name, values.get(name)!]));
        const outputs = last
          ? await session.run(partFeeds, fetchesOrOptions as ort.InferenceSession.FetchesType, options)
          : await session.run(partFeeds);
        if (last) result = outputs;
        else {
          for (const [name, tensor] of Object.entries(outputs)) {
            values.set(name, tensor);
            inputTypes.set(name, { elementType: onnxDataType(tensor.type), dims: tensor.dims });
          }
        }
      } finally {
        await this.releasePart(session);
      }
    }
    for (const name of this.outputNames) {
      const made = values.get(name);
      if (!(name in result) && made) result = { ...result, [name]: made };
    }
    return result;
  }
}

type Outputs = ort.InferenceSession.ReturnType;
