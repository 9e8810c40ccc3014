/**
 * The first-run download of one model: start or join it, pause it (what is stored stays), delete a partial
 * download, and progress that only moves forward — a resumed download re-reports from what is stored.
 */
import type { ReactiveControllerHost } from 'lit';
import { isAbortError, type GeneratorClient, type ModelProgress } from '../../pipeline/index.js';
import { percent } from '../format.js';
import { sharedDownload, stopDownload } from './shared-download.js';

export interface DownloadFeedback {
  announce(text: string): void;
  progress(progress: ModelProgress): void;
}

/** The report with overall and per-file bytes never below what was already shown for the same model. */
export function forwardOnly(previous: ModelProgress | undefined, next: ModelProgress): ModelProgress {
  if (!previous || previous.bytesTotal !== next.bytesTotal) return next;
  const shownFile = new Map(previous.files.map((file) => [file.path, file.bytesDone]));
  return {
    ...next,
    bytesDone: Math.max(previous.bytesDone, next.bytesDone),
    files: next.files.map((file) => ({
      ...file,
      bytesDone: Math.max(shownFile.get(file.path) ?? 0, file.bytesDone),
    })),
  };
}

/** Owned by ModelController, whose host it asks to re-render; it has no lifecycle of its own. */
export class DownloadController {
  /** The latest progress of the download or load, as shown. */
  progress?: ModelProgress;
  /** The browser's answer to navigator.storage.persist() once a download has started. */
  storagePersisted?: boolean;
  private announcedDecile = -1;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly feedback: DownloadFeedback,
  ) {}

  /** Resolves when the model is stored; rejects with an AbortError when paused. */
  async download(client: GeneratorClient, modelId: string, mirrorBaseUrl: string | undefined): Promise<void> {
    this.announcedDecile = -1;
    this.feedback.announce('Downloading the model…');
    void client.requestPersistentStorage().then((persisted) => {
      this.storagePersisted = persisted;
      this.host.requestUpdate();
    });
    try {
      await sharedDownload(client, modelId, mirrorBaseUrl, (progress) => this.onProgress(progress));
    } catch (error) {
      if (isAbortError(error)) this.feedback.announce('Download paused. What is downloaded so far is kept.');
      throw error;
    }
  }

  pause(client: GeneratorClient, modelId: string): void {
    stopDownload(client, modelId);
  }

  /** Stops the download and deletes what it stored; the progress starts from zero next time. */
  async deletePartial(client: GeneratorClient, modelId: string): Promise<void> {
    stopDownload(client, modelId);
    await client.deleteModel(modelId);
    this.progress = undefined;
    this.host.requestUpdate();
    this.feedback.announce('Download cancelled; the partial download was deleted.');
  }

  onProgress(progress: ModelProgress): void {
    this.progress = progress.phase === 'downloading' ? forwardOnly(this.progress, progress) : progress;
    const decile = Math.floor(percent(progress.bytesDone, progress.bytesTotal) / 10);
    if (progress.phase === 'downloading' && decile !== this.announcedDecile) {
      this.announcedDecile = decile;
      this.feedback.announce(`Downloading: ${decile * 10}%`);
    }
    this.feedback.progress(progress);
    this.host.requestUpdate();
  }
}
