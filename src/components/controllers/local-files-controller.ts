/**
 * Your own files, from the element's side: hands the chosen files to the pipeline (which checks and
 * stores them), shows the storing, and once the model is stored makes it the element's model.
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
}

export class LocalFilesController implements ReactiveController {
  storing = false;
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

  async store(files: LocalModelFile[], imageSize: number): Promise<void> {
    const client = this.element.client();
    if (!client || this.storing) return;
    if (files.length === 0) {
      this.fail(
        new LocalFilesError(['No .onnx files were chosen: choose the model files, or their folder.']),
      );
      return;
    }
    this.abort = new AbortController();
    this.update({ storing: true, progress: undefined, notes: [] });
    this.element.announce(`Checking ${files.length} files…`);
    try {
      const result = await client.importLocalModel(files, {
        imageSize,
        signal: this.abort.signal,
        onProgress: (progress) => this.update({ progress }),
      });
      this.update({ storing: false, notes: result.notes });
      this.element.stored(result);
    } catch (error) {
      this.update({ storing: false });
      if (!isAbortError(error)) this.element.report(error);
    }
  }

  /** A failure before the files reach the pipeline (a picker that failed, an empty folder). */
  fail(error: unknown): void {
    this.element.report(error);
  }

  private update(changes: Partial<Pick<LocalFilesController, 'storing' | 'progress' | 'notes'>>): void {
    Object.assign(this, changes);
    this.host.requestUpdate();
  }
}
