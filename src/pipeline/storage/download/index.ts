/** The download writer's face: chunked, resumable, verified downloads of a model's files into a chunk store. */
export { downloadModel, type DownloadModelOptions, type ModelFileRecords } from './model-download.js';
export {
  ChunkedDownloader,
  DEFAULT_CONCURRENCY,
  DEFAULT_STALL_TIMEOUT_MS,
  DEFAULT_STORE_PIECES_AFTER_MS,
  type ChunkedDownloaderOptions,
  type DownloadTarget,
} from './chunked-downloader.js';
export type { DownloadEvent, RestartReason } from './events.js';
export { DEFAULT_RETRY, type RetryOptions } from './retry.js';
