/**
 * The worker boundary's page side: the client that owns the pipeline Worker (pipeline-worker.ts, started
 * by URL, never imported), the messages they exchange, and real-time scheduling of requests to it.
 */
export {
  GeneratorClient,
  type ClientGenerateRequest,
  type DownloadOptions,
  type LoadOptions,
  type RequestOptions,
} from './generator-client.js';
export type { ImageResult, ModelSource, TokenCount, WorkerSourceImage } from './worker-protocol.js';
export {
  LatestRequestScheduler,
  summarize as summarizeLatencies,
  type ImageGenerator,
  type LatencySummary,
  type RealtimeImage,
  type RealtimeOptions,
  type RealtimeStats,
} from './realtime-generator.js';
