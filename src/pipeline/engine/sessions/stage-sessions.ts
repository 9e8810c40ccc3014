import type * as ort from 'onnxruntime-web/webgpu';
import { PipelineError } from '../../errors.js';
import type { ExecutionProvider, WebNnDeviceType } from '../../types.js';
import type { ModelEntry, ModelFile, ModelStageName, TensorSpec } from '../../model/manifest-types.js';
import { OnnxFormatError, externalizeInitializers } from '../../model/onnx/onnx-external-data.js';
import { WidenedTensorTooLargeError } from '../../model/onnx/onnx-fp16-widening.js';
import { widenFp16Chunks } from '../../model/onnx/onnx-fp16-streamed-widening.js';
import { capturableUnetGraph } from '../graph-capture.js';
import type { OrtRuntime } from '../../runtime/ort-runtime.js';

/** A stage's `.onnx` file as stored: one protobuf with its weights embedded. */
export type StageSource = Uint8Array;
export type StageLoader = (stage: ModelStageName, file: ModelFile) => Promise<StageSource>;
/**
 * A stage's stored file chunk by chunk, in order, its digest checked by its source (by the end, or on a warm
 * start once the model is ready); a chunk may be taken back by its source once the next is asked for.
 */
export type StageStreamer = (stage: ModelStageName, file: ModelFile) => AsyncIterable<Uint8Array>;

/** How long one stage took to load: its bytes (`readMs`, overlapping the previous session) and its session. */
export interface StageTiming {
  stage: ModelStageName;
  /** A stage widened as it streams is read and widened in one span, all of it here. */
  readMs: number;
  sessionMs: number;
}

export interface StageSessions {
  textEncoder: ort.InferenceSession;
  unet: ort.InferenceSession;
  vaeDecoder: ort.InferenceSession;
  /** Only for models with a VAE encoder (image to image). */
  vaeEncoder?: ort.InferenceSession;
}

export interface SessionSettings {
  /** The ONNX Runtime build that creates the sessions (onnxruntime-web or onnxruntime-node). */
  runtime: OrtRuntime;
  provider: ExecutionProvider;
  /** For the WebNN provider: the MLContext device type. */
  webnnDeviceType?: WebNnDeviceType;
  /** Keep outputs on the GPU (WebGPU only). */
  gpuOutputs: boolean;
  /**
   * ORT's graph capture (WebGPU): the UNet's int64 timestep is made float32 at load (onnx-float-timestep.ts)
   * so that no int64 node runs on ORT's CPU EP, which would refuse the capture.
   */
  enableGraphCapture?: boolean;
  /**
   * Widen FP16 weights to FP32 as they load (WebGPU without `shader-f16`); every widened tensor must fit
   * in `maxTensorBytes`. With `streamStage`, each stage is widened chunk by chunk as it is read, so that
   * its FP16 file is never held whole beside its FP32 pieces.
   */
  widenFp16?: { maxTensorBytes: number; streamStage?: StageStreamer };
  /**
   * 'wasm': the text encoder's session runs on ORT's wasm EP with its weights as stored (never widened) and
   * its output on the CPU, whatever `provider` the other stages use (see textEncoderSettings).
   */
  textEncoderProvider?: 'wasm';
  /** Told as each stage's session exists. */
  onStageLoaded?: (timing: StageTiming) => void;
  /**
   * ORT's WebGPU storage-buffer cache: 'lazyRelease' (low-memory mode) destroys freed buffers instead of
   * keeping them for reuse (see webgpu-device-keeper.ts). Set by the first session on ORT's device, which
   * low-memory mode's device keeper is.
   */
  storageBufferCache?: 'lazyRelease';
}

/**
 * The settings one stage's session is made with. A text encoder placed on wasm keeps its stored (FP16)
 * weights, since widening is for WebGPU adapters without `shader-f16`, and gives its hidden states on the
 * CPU, where the stage runs upload them for the UNet.
 */
export function stageSettings(settings: SessionSettings, stage: ModelStageName): SessionSettings {
  if (stage !== 'textEncoder' || settings.textEncoderProvider !== 'wasm') return settings;
  return {
    ...settings,
    provider: 'wasm',
    gpuOutputs: false,
    enableGraphCapture: false,
    widenFp16: undefined,
  };
}

/** A stage's graph and its weights for `SessionOptions.externalData`. */
interface SplitModel {
  graph: Uint8Array;
  externalData: { path: string; data: Uint8Array }[];
}

function executionProvider(
  settings: SessionSettings,
): NonNullable<ort.InferenceSession.SessionOptions['executionProviders']>[number] {
  if (settings.provider === 'webnn') return { name: 'webnn', deviceType: settings.webnnDeviceType ?? 'gpu' };
  if (settings.provider === 'webgpu' && settings.storageBufferCache) {
    return { name: 'webgpu', storageBufferCacheMode: settings.storageBufferCache };
  }
  return settings.provider;
}

function sessionOptions(
  model: ModelEntry,
  stage: ModelStageName,
  settings: SessionSettings,
): ort.InferenceSession.SessionOptions {
  const stageOptions = model.stages[stage]?.session ?? {};
  return {
    // ORT's WebNN EP needs static shapes: the manifest's freeDimensionOverrides fix every symbolic one.
    executionProviders: [executionProvider(settings)],
    graphOptimizationLevel: stageOptions.graphOptimizationLevel ?? 'all',
    freeDimensionOverrides: stageOptions.freeDimensionOverrides,
    preferredOutputLocation: settings.gpuOutputs ? 'gpu-buffer' : 'cpu',
    enableGraphCapture: settings.enableGraphCapture ?? false,
    // ORT's warnings (e.g. shape ops placed on the CPU on purpose) reach the page's console as errors
    // with ANSI colour codes: only its errors are worth a user's console.
    logSeverityLevel: 3,
  };
}

/** The manifest and the graph must agree on every name and element type the pipeline relies on. */
function checkSpecs(
  stage: ModelStageName,
  direction: 'input' | 'output',
  specs: Record<string, TensorSpec>,
  metadata: readonly ort.InferenceSession.ValueMetadata[],
): void {
  for (const spec of Object.values(specs)) {
    const found = metadata.find((value) => value.name === spec.name);
    if (!found) {
      const names = metadata.map((value) => value.name).join(', ');
      throw new PipelineError(
        'model-io-mismatch',
        `${stage}: the manifest names ${direction} "${spec.name}", but the model's ${direction}s are: ${names}.`,
      );
    }
    if (found.isTensor && found.type !== spec.type) {
      throw new PipelineError(
        'model-io-mismatch',
        `${stage}: ${direction} "${spec.name}" is ${found.type} in the model but ${spec.type} in the manifest.`,
      );
    }
  }
}

/**
 * What a stage's session is made from: its bytes, read whole before the session (while the previous stage's
 * session is created), or for a stage widened as it streams, its streamer: its chunks are read only as they
 * are widened, so that the FP16 file is never one buffer.
 */
export type StageInput =
  { bytes: StageSource; readMs: number } | { streamed: StageStreamer; maxTensorBytes: number };

/**
 * The graph apart from its weights, so that ORT never copies the whole file into its wasm heap; widened to
 * FP32 in pieces where the settings ask for it.
 */
async function splitWeights(
  stage: ModelStageName,
  file: ModelFile,
  input: StageInput,
  settings: SessionSettings,
): Promise<SplitModel> {
  const location = `${stage}.weights`;
  try {
    if ('streamed' in input) {
      const { streamed, maxTensorBytes } = input;
      return await widenFp16Chunks(streamed(stage, file), { location, maxTensorBytes });
    }
    if (!settings.widenFp16) {
      const { graph, externalData } = externalizeInitializers(input.bytes, location);
      return { graph, externalData: [externalData] };
    }
    const { maxTensorBytes } = settings.widenFp16;
    return await widenFp16Chunks([input.bytes], { location, maxTensorBytes });
  } catch (error) {
    if (error instanceof WidenedTensorTooLargeError) {
      throw new PipelineError(
        'unsupported-device',
        `${file.path} cannot run in FP32 on this GPU: ${error.message} Use a GPU with "shader-f16".`,
        { cause: error },
      );
    }
    if (!(error instanceof OnnxFormatError)) throw error;
    const size = 'bytes' in input ? input.bytes.byteLength : file.bytes;
    throw new PipelineError(
      'corrupt',
      `The stored ${file.path}${size === undefined ? '' : ` (${size} bytes)`} is not an ONNX model: ` +
        `${error.message} Delete the stored model and download it again.`,
      { cause: error },
    );
  }
}

export function startLoading(
  model: ModelEntry,
  stage: ModelStageName,
  loadStage: StageLoader,
  settings: SessionSettings,
): Promise<StageInput> {
  const spec = model.stages[stage];
  if (!spec)
    return Promise.reject(
      new PipelineError('model-io-mismatch', `The model ${model.id} has no ${stage} stage.`),
    );
  const widen = stageSettings(settings, stage).widenFp16;
  if (widen?.streamStage)
    return Promise.resolve({ streamed: widen.streamStage, maxTensorBytes: widen.maxTensorBytes });
  const started = performance.now();
  return loadStage(stage, spec.file).then((bytes) => ({ bytes, readMs: performance.now() - started }));
}

/** A stage's graph and weights, ready for sessions, and when making them began. */
interface PreparedStage {
  stage: ModelStageName;
  split: SplitModel;
  readMs: number;
  /** When the session's own work began: after the read and widening of a streamed stage. */
  sessionStarted: number;
}

export async function prepareStage(
  model: ModelEntry,
  stage: ModelStageName,
  input: StageInput,
  pipelineSettings: SessionSettings,
): Promise<PreparedStage> {
  const settings = stageSettings(pipelineSettings, stage);
  const spec = model.stages[stage]!;
  const started = performance.now();
  const split = await splitWeights(stage, spec.file, input, settings);
  // A streamed stage is read as it is widened: that one span is its read, and its session starts after.
  const splitDone = performance.now();
  const graph =
    settings.enableGraphCapture && stage === 'unet'
      ? capturableUnetGraph(split.graph, model.stages.unet.inputs.timestep.name, spec.file)
      : split.graph;
  return {
    stage,
    split: { graph, externalData: split.externalData },
    readMs: 'bytes' in input ? input.readMs : splitDone - started,
    sessionStarted: 'bytes' in input ? started : splitDone,
  };
}

/**
 * A session for `graph` (the stage's, or one part of it) with the stage's weights. `cpuOutputs` gives its
 * outputs on the CPU whatever the settings, for values that must outlive the session.
 */
export async function createSession(
  model: ModelEntry,
  prepared: PreparedStage,
  graph: Uint8Array,
  pipelineSettings: SessionSettings,
  cpuOutputs = false,
): Promise<ort.InferenceSession> {
  const { stage } = prepared;
  const settings = stageSettings(pipelineSettings, stage);
  try {
    const options = {
      ...sessionOptions(model, stage, settings),
      ...(cpuOutputs ? { preferredOutputLocation: 'cpu' as const } : {}),
      externalData: prepared.split.externalData,
    };
    return await settings.runtime.InferenceSession.create(graph, options);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PipelineError(
      'session-failed',
      `Could not create the ${stage} session for ${model.stages[stage]!.file.path} on ${settings.provider}: ${reason}`,
      { cause: error },
    );
  }
}

/** The manifest's inputs and outputs of the stage that the session (the stage, or a part of it) has. */
function checkStageSpecs(
  model: ModelEntry,
  stage: ModelStageName,
  session: ort.InferenceSession,
  part?: { inputs: readonly string[]; outputs: readonly string[] },
): void {
  const spec = model.stages[stage]!;
  const has = (names: readonly string[] | undefined) => (tensor: TensorSpec) =>
    names === undefined || names.includes(tensor.name);
  const inputs = Object.values(spec.inputs as unknown as Record<string, TensorSpec>).filter(
    has(part?.inputs),
  );
  const outputs = Object.values(spec.outputs as unknown as Record<string, TensorSpec>).filter(
    has(part?.outputs),
  );
  checkSpecs(stage, 'input', Object.fromEntries(inputs.map((t) => [t.name, t])), session.inputMetadata);
  checkSpecs(stage, 'output', Object.fromEntries(outputs.map((t) => [t.name, t])), session.outputMetadata);
}

/**
 * `session` once it has the inputs and outputs the manifest names (checkStageSpecs); a session that has not
 * is released before the error goes on, so a wrong manifest leaves nothing loaded.
 */
export async function checkedStageSession(
  model: ModelEntry,
  stage: ModelStageName,
  session: ort.InferenceSession,
  part?: { inputs: readonly string[]; outputs: readonly string[] },
): Promise<ort.InferenceSession> {
  try {
    checkStageSpecs(model, stage, session, part);
    return session;
  } catch (error) {
    await session.release();
    throw error;
  }
}

/**
 * Before a stage cut into parts is loaded: every input and output the manifest names is one of its parts'
 * (each part's session is then checked for its own, checkedStageSession). A name no part has would
 * otherwise be checked by none.
 */
export function checkPartNames(
  model: ModelEntry,
  stage: ModelStageName,
  parts: readonly { inputs: readonly string[]; outputs: readonly string[] }[],
): void {
  const spec = model.stages[stage]!;
  for (const direction of ['input', 'output'] as const) {
    const names = new Set(parts.flatMap((part) => part[`${direction}s`]));
    const specs = Object.values(
      (direction === 'input' ? spec.inputs : spec.outputs) as unknown as Record<string, TensorSpec>,
    );
    const missing = specs.find((tensor) => !names.has(tensor.name));
    if (missing) {
      throw new PipelineError(
        'model-io-mismatch',
        `${stage}: the manifest names ${direction} "${missing.name}", but no part of the model has it (its ${direction}s are: ${[...names].join(', ')}).`,
      );
    }
  }
}

export async function createStageSession(
  model: ModelEntry,
  stage: ModelStageName,
  input: StageInput,
  settings: SessionSettings,
): Promise<ort.InferenceSession> {
  const prepared = await prepareStage(model, stage, input, settings);
  const session = await checkedStageSession(
    model,
    stage,
    await createSession(model, prepared, prepared.split.graph, settings),
  );
  settings.onStageLoaded?.({
    stage,
    readMs: prepared.readMs,
    sessionMs: performance.now() - prepared.sessionStarted,
  });
  return session;
}

/**
 * One session after another, while the next stage's bytes are read: reading stage k + 1 overlaps creating
 * session k (a stage widened as it streams is read only as it is widened, after session k). At most two
 * stages' load-time copies are in memory at once, never every model's.
 */
export async function createStageSessions(
  model: ModelEntry,
  loadStage: StageLoader,
  settings: SessionSettings,
): Promise<StageSessions> {
  const stages: ModelStageName[] = ['textEncoder', 'unet', 'vaeDecoder'];
  if (model.stages.vaeEncoder) stages.push('vaeEncoder');
  const created = new Map<ModelStageName, ort.InferenceSession>();
  const load = (stage: ModelStageName) => startLoading(model, stage, loadStage, settings);
  let next: Promise<StageInput> | undefined = load(stages[0]!);
  try {
    for (const [index, stage] of stages.entries()) {
      const input: StageInput = await next!;
      next = index + 1 < stages.length ? load(stages[index + 1]!) : undefined;
      created.set(stage, await createStageSession(model, stage, input, settings));
    }
  } catch (error) {
    // A read started ahead must not reject unheard once this load has failed.
    void next?.catch(() => undefined);
    await Promise.all([...created.values()].map((session) => session.release()));
    throw error;
  }
  const session = (stage: ModelStageName) => created.get(stage)!;
  const sessions = {
    textEncoder: session('textEncoder'),
    unet: session('unet'),
    vaeDecoder: session('vaeDecoder'),
  };
  return model.stages.vaeEncoder ? { ...sessions, vaeEncoder: session('vaeEncoder') } : sessions;
}

export async function releaseStageSessions(sessions: StageSessions): Promise<void> {
  await Promise.all(
    [sessions.textEncoder, sessions.unet, sessions.vaeDecoder, sessions.vaeEncoder].map((session) =>
      session?.release(),
    ),
  );
}
