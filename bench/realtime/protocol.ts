/** What the real-time benchmark's Node runner and its page pass each other. */
import type { LatencySummary, RealtimeStats } from '../../src/pipeline/index.js';

export const REALTIME_CONFIG_PARAM = 'realtime';

export interface RealtimeConfig {
  /** Absolute URL of model-manifest.json. */
  manifestUrl: string;
  modelId: string;
  provider: 'webgpu' | 'wasm';
  steps: number;
  /** The text typed, one request per character. */
  prompt: string;
  /** Milliseconds between keystrokes: this plus or minus `jitterMs`, from a seeded sequence. */
  keystrokeMs: number;
  jitterMs: number;
  /** How many times the prompt is typed (a fresh seed each time). */
  rounds: number;
  /** One-shot images timed before the typing, one after another. */
  oneShotImages: number;
}

export interface RealtimeOutcome {
  ok: true;
  provider: string;
  /** Seconds per image, one request at a time through GeneratorClient (after the load's warm-up). */
  oneShotSeconds: LatencySummary;
  /** Over every round's edits. */
  realtime: RealtimeStats;
  /** Mean milliseconds between keystrokes actually typed. */
  typedKeystrokeMs: number;
}

export type RealtimePageOutcome = RealtimeOutcome | { ok: false; message: string };
