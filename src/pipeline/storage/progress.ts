export type FileState = 'queued' | 'downloading' | 'verifying' | 'done';

export interface FileProgress {
  path: string;
  bytesDone: number;
  /** Exact once the server or the manifest said; until then the manifest's estimate (or 0). */
  bytesTotal: number;
  state: FileState;
}

/** What a progress bar needs, for the whole model and per file. */
export interface DownloadProgress {
  modelId: string;
  /** 'checking' until a file starts, 'verifying' while a finished file is hashed, 'done' at the end. */
  phase: 'checking' | 'downloading' | 'verifying' | 'done';
  bytesDone: number;
  bytesTotal: number;
  /** Smoothed rate of bytes arriving now; bytes found already stored do not count. 0 until measured. */
  bytesPerSecond: number;
  /** Seconds left at that rate; undefined while the rate is unknown. */
  etaSeconds: number | undefined;
  files: FileProgress[];
  /** Something worth telling the user now: a retry under way and its attempt count, a file started over. */
  note?: string;
}

export interface ProgressOptions {
  onProgress?: (progress: DownloadProgress) => void;
  /** Least time between two reports, so that a fast link does not flood the UI (or a Worker's postMessage). */
  intervalMs?: number;
  /** Milliseconds clock; injectable for tests. */
  now?: () => number;
}

/**
 * Exponentially smoothed rate: each sample pulls the estimate towards the latest rate by a weight that
 * grows with the time since the previous sample, so the estimate reflects roughly the last `tauMs`.
 */
export class RateMeter {
  private rate: number | undefined;
  private lastTime: number | undefined;
  private lastCount = 0;

  /** Samples closer than `minSampleMs` are merged: a rate over a few milliseconds is noise. */
  constructor(
    private readonly tauMs = 5000,
    private readonly minSampleMs = 500,
  ) {}

  /** `count` is the running total of bytes received; returns bytes/s, or undefined until measured. */
  sample(count: number, now: number): number | undefined {
    if (this.lastTime === undefined) {
      [this.lastTime, this.lastCount] = [now, count];
      return undefined;
    }
    const dt = now - this.lastTime;
    if (dt < this.minSampleMs) return this.rate;
    const latest = ((count - this.lastCount) * 1000) / dt;
    const weight = this.rate === undefined ? 1 : 1 - Math.exp(-dt / this.tauMs);
    this.rate = (this.rate ?? 0) + weight * (latest - (this.rate ?? 0));
    [this.lastTime, this.lastCount] = [now, count];
    return this.rate;
  }
}

/** Keeps per-file counts for one model and reports them, throttled. */
export class ProgressTracker {
  private readonly files = new Map<string, FileProgress>();
  private readonly meter = new RateMeter();
  private readonly now: () => number;
  private readonly intervalMs: number;
  private received = 0;
  /** Per file: bytes counted and then thrown away, which the file's next bytes repay before its count grows. */
  private readonly owed = new Map<string, number>();
  private rate: number | undefined;
  private lastReport = -Infinity;
  private note: string | undefined;

  constructor(
    readonly modelId: string,
    private readonly options: ProgressOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.intervalMs = options.intervalMs ?? 100;
  }

  /**
   * Declares a file (or restates it after a resume or restart): sets counts without touching the rate.
   * Reports nothing, so that declaring several files shows no partial totals: the caller reports.
   */
  setFile(path: string, bytesTotal: number, bytesDone: number, state: FileState): void {
    this.files.set(path, { path, bytesTotal, bytesDone, state });
    this.owed.delete(path);
  }

  setState(path: string, state: FileState): void {
    const file = this.file(path);
    file.state = state;
    this.report(true);
  }

  /** Sets (or with undefined clears) the note and reports at once, so that a retry never goes unseen. */
  setNote(note: string | undefined): void {
    this.note = note;
    this.report(true);
  }

  /** Bytes that just arrived from the network and will be kept. */
  addBytes(path: string, bytes: number): void {
    const owed = this.owed.get(path) ?? 0;
    const repaid = Math.min(owed, bytes);
    this.owed.set(path, owed - repaid);
    this.file(path).bytesDone += bytes - repaid;
    this.received += bytes;
    this.report(false);
  }

  /**
   * Bytes counted by addBytes and then thrown away (a piece that failed halfway, to be fetched again). The
   * count shown holds still until they are fetched again rather than going back: progress never decreases
   * while a file downloads.
   */
  dropBytes(path: string, bytes: number): void {
    this.file(path);
    this.owed.set(path, (this.owed.get(path) ?? 0) + bytes);
  }

  snapshot(): DownloadProgress {
    const files = [...this.files.values()].map((file) => ({ ...file }));
    const bytesDone = files.reduce((sum, file) => sum + file.bytesDone, 0);
    const bytesTotal = files.reduce((sum, file) => sum + file.bytesTotal, 0);
    const rate = this.rate ?? 0;
    return {
      modelId: this.modelId,
      phase: phaseOf(files),
      bytesDone,
      bytesTotal,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? Math.max(0, bytesTotal - bytesDone) / rate : undefined,
      files,
      ...(this.note === undefined ? {} : { note: this.note }),
    };
  }

  /** Reports now if forced or if the interval has passed since the last report. */
  report(force: boolean): void {
    const now = this.now();
    if (!force && now - this.lastReport < this.intervalMs) return;
    this.rate = this.meter.sample(this.received, now);
    this.lastReport = now;
    this.options.onProgress?.(this.snapshot());
  }

  private file(path: string): FileProgress {
    const file = this.files.get(path);
    if (!file) throw new Error(`progress for unknown file ${path}`);
    return file;
  }
}

function phaseOf(files: readonly FileProgress[]): DownloadProgress['phase'] {
  if (files.some((file) => file.state === 'verifying')) return 'verifying';
  const states = new Set(files.map((file) => file.state));
  if (states.has('downloading') || (states.has('done') && states.has('queued'))) return 'downloading';
  return states.size === 1 && states.has('done') ? 'done' : 'checking';
}
