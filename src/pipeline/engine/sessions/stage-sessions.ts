import type * as ort from 'onnxruntime-web/webgpu';
import { PipelineError } from '../../errors.js';
import type { ExecutionProvider, WebNnDeviceType } from '../../types.js';
import type { ModelEntry, ModelFile, ModelStageName, TensorSpec } from '../../model/manifest-types.js';
import { OnnxFormatError, externalizeInitializers } from '../../model/onnx/onnx-external-data.js';
import { WidenedTensorTooLargeError } from '../../model/onnx/onnx-fp16-widening.js';
import { widenFp16Chunks } from '../../model/onnx/onnx-fp16-streamed-widening.js';
import { GraphSplitError, splitGraph, type GraphSplit } from '../../model/onnx/onnx-graph-split.js';
import { capturableUnetGraph } from '../graph-capture.js';
import type { OrtRuntime } from '../../runtime/ort-runtime.js';
import type { MemoryMode, StageSessionChurn } from '../generate-result.js';
import { WebGpuDeviceKeeper } from './webgpu-device-keeper.js';
import { PartedStageSession, type StageSession } from './parted-stage-session.js';

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
type StageInput =
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

function startLoading(
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

async function prepareStage(
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
async function createSession(
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

async function createStageSession(
  model: ModelEntry,
  stage: ModelStageName,
  input: StageInput,
  settings: SessionSettings,
): Promise<ort.InferenceSession> {
  const prepared = await prepareStage(model, stage, input, settings);
  const session = await createSession(model, prepared, prepared.split.graph, settings);
  checkStageSpecs(model, stage, session);
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

/**
 * Where the stage runs find their sessions. `done` says a stage's work for this image has finished (and
 * settled on the GPU): the low-memory pool releases it there. Tensors that cross stages (hidden states,
 * latents) belong to the stage runs, never to a session, so they outlive the release.
 */
export interface StageSessionPool {
  readonly mode: MemoryMode;
  session(stage: ModelStageName): Promise<StageSession>;
  done(stage: ModelStageName): Promise<void>;
  /** Sessions created and released since load, and the milliseconds spent creating them. */
  readonly churn: Readonly<StageSessionChurn>;
  releaseAll(): Promise<void>;
}

/** Every stage loaded once, at load, and kept until dispose. */
export class ResidentSessionPool implements StageSessionPool {
  readonly mode = 'resident';
  readonly churn: StageSessionChurn = { created: 0, released: 0, loadMs: 0 };

  constructor(private readonly sessions: StageSessions) {}

  static async create(model: ModelEntry, loadStage: StageLoader, settings: SessionSettings) {
    return new ResidentSessionPool(await createStageSessions(model, loadStage, settings));
  }

  async session(stage: ModelStageName): Promise<StageSession> {
    const session = this.sessions[stage];
    if (!session) throw new PipelineError('model-io-mismatch', `This model has no ${stage} stage.`);
    return session;
  }

  async done(): Promise<void> {}

  releaseAll(): Promise<void> {
    return releaseStageSessions(this.sessions);
  }
}

/** The stage the low-memory pool holds, and how to let it go. */
interface HeldStage {
  stage: ModelStageName;
  session: StageSession;
  release(): Promise<void>;
}

/**
 * One stage loaded at a time: its bytes read from the store when it is needed, its session released when
 * its work is done, so the device holds at most the largest stage instead of all of them. With
 * `unetParts` above 1 the UNet runs in that many parts of its graph, one part's session at a time
 * (parted-stage-session.ts), so the device holds at most one part of it. ORT's WebGPU buffers are
 * destroyed once freed here, and freed before the next stage loads (webgpu-device-keeper.ts).
 */
export class LowMemorySessionPool implements StageSessionPool {
  readonly mode = 'low';
  readonly churn: StageSessionChurn = { created: 0, released: 0, loadMs: 0 };
  private readonly settings: SessionSettings;
  private held?: HeldStage;
  private keeper?: Promise<WebGpuDeviceKeeper>;

  constructor(
    private readonly model: ModelEntry,
    private readonly loadStage: StageLoader,
    settings: SessionSettings,
    private readonly unetParts = 1,
  ) {
    this.settings = { ...settings, storageBufferCache: 'lazyRelease' };
    if (settings.provider === 'webgpu') {
      this.keeper = WebGpuDeviceKeeper.create(this.settings.runtime, 'lazyRelease');
    }
  }

  async session(stage: ModelStageName): Promise<StageSession> {
    if (this.held?.stage === stage) return this.held.session;
    await this.keeper;
    await this.release();
    const started = performance.now();
    const input = await startLoading(this.model, stage, this.loadStage, this.settings);
    const parted = stage === 'unet' ? await this.partedUnet(input) : undefined;
    if (parted) {
      this.churn.loadMs += performance.now() - started;
      // Each part's session is released after its run: nothing is left to release when the UNet is done.
      this.held = { stage, session: parted, release: async () => undefined };
      return parted;
    }
    const session = await createStageSession(this.model, stage, input, this.settings);
    this.churn.loadMs += performance.now() - started;
    this.churn.created++;
    const release = async () => {
      await this.releaseSession(session);
      this.churn.released++;
    };
    this.held = { stage, session, release };
    return session;
  }

  async done(stage: ModelStageName): Promise<void> {
    if (this.held?.stage === stage) await this.release();
  }

  async releaseAll(): Promise<void> {
    await this.release();
    const keeper = this.keeper;
    this.keeper = undefined;
    await (await keeper)?.release();
  }

  /**
   * The UNet in parts, its weights read once for every run of its parts until it is done. Undefined where
   * it runs whole: one part asked for, graph capture (which records one session), or a graph that cannot
   * be cut (a subgraph), which still runs, needing the memory of the whole stage.
   */
  private async partedUnet(input: StageInput): Promise<PartedStageSession | undefined> {
    if (this.unetParts <= 1 || this.settings.enableGraphCapture) return undefined;
    const prepared = await prepareStage(this.model, 'unet', input, this.settings);
    let split: GraphSplit;
    try {
      split = splitGraph(prepared.split.graph, this.unetParts);
    } catch (error) {
      if (!(error instanceof GraphSplitError)) throw error;
      return undefined;
    }
    const spec = this.model.stages.unet;
    const createPart = async (index: number, graph: Uint8Array, last: boolean) => {
      const started = performance.now();
      const session = await createSession(this.model, prepared, graph, this.settings, !last);
      checkStageSpecs(this.model, 'unet', session, split.parts[index]);
      this.churn.loadMs += performance.now() - started;
      this.churn.created++;
      return session;
    };
    const releasePart = async (session: ort.InferenceSession) => {
      await this.releaseSession(session);
      this.churn.released++;
    };
    return new PartedStageSession(split, createPart, releasePart, [spec.outputs.noisePred.name]);
  }

  /** A released session's GPU buffers are destroyed at the next run's end: the keeper's, straight after. */
  private async releaseSession(session: ort.InferenceSession): Promise<void> {
    await session.release();
    await (await this.keeper)?.flush();
  }

  private async release(): Promise<void> {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    await held.release();
  }
}

export async function releaseStageSessions(sessions: StageSessions): Promise<void> {
  await Promise.all(
    [sessions.textEncoder, sessions.unet, sessions.vaeDecoder, sessions.vaeEncoder].map((session) =>
      session?.release(),
    ),
  );
}
