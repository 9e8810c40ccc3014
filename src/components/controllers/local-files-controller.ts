/**
 * Your own files, from the element's side: hands the chosen files to the pipeline (which checks and
 * stores them), shows the storing with its Cancel, and once the model is stored makes it the element's
 * model.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  LocalFilesError,
  isAbortError,
  type GeneratorClient,
  type LocalModelFile,
  type LocalModelImport,
  type ModelProgress,
} from '../../pipeline/index.js';

export interface LocalFilesHost {
  client(): GeneratorClient | undefined;
  /** The files are stored as this model: select it. */
  stored(result: LocalModelImport): void;
  report(error: unknown): void;
  announce(text: string): void;
  /** Says it to screen readers and shows it for a few seconds. */
  notify(text: string): void;
}

export const STOPPED_STORING = 'Stopped storing your files; nothing was kept.';

export class LocalFilesController implements ReactiveController {
  storing = false;
  /** Cancel was pressed: the pipeline is deleting what it had copied. */
  cancelling = false;
  progress?: ModelProgress;
  /** What the last check decided that the user may not expect. */
  notes: readonly string[] = [];
  private abort?: AbortController;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly element: LocalFilesHost,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort?.abort();
  }

  /**
   * @param replaces a local model whose stored files are gone, chosen again: when the files make
   *   another id (another name or date), its entry is forgotten once they are stored
   */
  async store(files: LocalModelFile[], imageSize: number, replaces?: string): Promise<void> {
    const client = this.element.client();
    if (!client || this.storing) return;
    if (files.length === 0) {
      this.fail(
        new LocalFilesError(['No .onnx files were chosen: choose the model files, or their folder.']),
      );
      return;
    }
    this.abort = new AbortController();
    this.update({ storing: true, cancelling: false, progress: undefined, notes: [] });
    this.element.announce(`Checking ${files.length} files…`);
    try {
      const result = await client.importLocalModel(files, {
        imageSize,
        signal: this.abort.signal,
        onProgress: (progress) => this.update({ progress }),
      });
      if (replaces && replaces !== result.model.id) await client.deleteModel(replaces).catch(() => undefined);
      this.update({ storing: false, cancelling: false, notes: result.notes });
      this.element.stored(result);
    } catch (error) {
      const cancelled = this.cancelling;
      this.update({ storing: false, cancelling: false });
      // The pipeline answers a cancel only once it has deleted what it had copied.
      if (!isAbortError(error)) this.element.report(error);
      else if (cancelled) this.element.notify(STOPPED_STORING);
    }
  }

  /** Stops the storing in flight; the pipeline deletes what it had copied and keeps no entry. */
  cancel(): void {
    if (!this.storing || this.cancelling) return;
    this.update({ cancelling: true });
    this.element.announce('Stopping…');
    this.abort?.abort();
  }

  /** A failure before the files reach the pipeline (a picker that failed, an empty folder). */
  fail(error: unknown): void {
    this.element.report(error);
  }

  private update(
    changes: Partial<Pick<LocalFilesController, 'storing' | 'cancelling' | 'progress' | 'notes'>>,
  ): void {
    Object.assign(this, changes);
    this.host.requestUpdate();
  }
}
