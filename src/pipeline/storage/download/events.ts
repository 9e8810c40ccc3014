/** Why a stored file was thrown away and downloaded again from the start. */
export type RestartReason =
  | 'etag-changed' // the server's ETag differs from the one stored with the partial file
  | 'size-changed' // the server's size differs from the stored one
  | 'url-changed' // a different URL and no SHA-256 to prove it is the same file
  | 'sha256-changed' // the manifest now gives a different hash
  | 'changed-during-download' // a chunk came with another ETag than the first
  | 'hash-mismatch'; // the finished file's SHA-256 was wrong

/** Things worth telling the user besides progress. Every one names its file (or model). */
export type DownloadEvent =
  | { type: 'file-restarted'; modelId: string; path: string; reason: RestartReason; message: string }
  | { type: 'retry'; modelId: string; path: string; attempt: number; delayMs: number; message: string }
  | { type: 'file-verified'; modelId: string; path: string; sha256: string }
  | { type: 'file-done'; modelId: string; path: string; fromStore: boolean }
  /** Another tab (or caller) is downloading this model; this one waits for it. */
  | { type: 'waiting-for-other-download'; modelId: string }
  /** Result of navigator.storage.persist(); without it the browser may evict the weights under pressure. */
  | { type: 'storage-persisted'; persisted: boolean };
