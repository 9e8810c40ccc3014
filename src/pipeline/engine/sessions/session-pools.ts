import type * as ort from 'onnxruntime-web/webgpu';
import { PipelineError } from '../../errors.js';
import type { ModelEntry, ModelStageName } from '../../model/manifest-types.js';
import { GraphSplitError, splitGraph, type GraphSplit } from '../../model/onnx/onnx-graph-split.js';
import type { MemoryMode, StageSessionChurn } from '../generate-result.js';
import { PartedStageSession, type StageSession } from './parted-stage-session.js';
import {
  checkPartNames,
  checkedStageSession,
  createSession,
  createStageSession,
  createStageSessions,
  prepareStage,
  releaseStageSessions,
  startLoading,
  type SessionSettings,
  type StageInput,
  type StageLoader,
  type StageSessions,
} from './stage-sessions.js';
import { WebGpuDeviceKeeper } from './webgpu-device-keeper.js';

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
    await (await this.keeper)?.drain();
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
    checkPartNames(this.model, 'unet', split.parts);
    const spec = this.model.stages.unet;
    const createPart = async (index: number, graph: Uint8Array, last: boolean) => {
      const started = performance.now();
      const created = await createSession(this.model, prepared, graph, this.settings, !last);
      const session = await checkedStageSession(this.model, 'unet', created, split.parts[index]);
      await (await this.keeper)?.drain();
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
