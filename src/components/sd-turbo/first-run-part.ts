/**
 * The element's side of the first-run panel: download, pause and delete a partial download, pick another
 * model, and for your own files that are gone, choose them again or forget them.
 */
import { html, type TemplateResult } from 'lit';
import type { ModelEntry } from '../../pipeline/index.js';
import { isMemoryMode, isProvider } from '../input-checks.js';
import type { FirstRunActions } from '../parts/first-run-panel.js';
import type { LocalFilesPanel } from '../parts/local-files-panel.js';
import type { ElementHost } from './element-host.js';

export class FirstRunPart {
  private readonly actions: FirstRunActions = {
    download: () => void this.download(),
    pause: () => this.el.models.pause(),
    deletePartial: () => void this.el.models.deletePartial(),
    useModel: (modelId) => (this.el.model = modelId),
    // The same picker as Settings → Your own files; the files replace the model whose files are gone.
    chooseFilesAgain: (model) =>
      this.el.renderRoot
        .querySelector<LocalFilesPanel>('sd-local-files-panel')
        ?.chooseFilesAgain(model.image.width, model.id),
    forget: (model) => void this.forget(model).catch((error: unknown) => this.el.feedback.report(error)),
  };

  /** Set from a Download click until its load settles. */
  private keepingFocus = false;

  constructor(private readonly el: ElementHost) {}

  /**
   * The Download button goes away once pressed: focus moves to Pause, and when the panel is gone too, to
   * the prompt (or to Resume after a failure), never to the page's body.
   */
  private async download(): Promise<void> {
    this.keepingFocus = true;
    await this.el.load().catch(() => undefined);
    await this.el.updateComplete;
    this.updated();
    this.keepingFocus = false;
  }

  /** After each of the element's updates. */
  updated(): void {
    if (!this.keepingFocus) return;
    const active = document.activeElement;
    if (active !== null && active !== document.body) return;
    const root = this.el.renderRoot;
    const next = ['[part~="pause-button"]', '[part~="download-button"]', '#prompt'];
    next
      .map((selector) => root.querySelector<HTMLElement>(selector))
      .find(Boolean)
      ?.focus();
  }

  /** A local model whose files are gone: its entry goes too, and the manifest's default model is used. */
  private async forget(model: ModelEntry): Promise<void> {
    const el = this.el;
    await el.models.client?.deleteModel(model.id);
    if (el.modelId === model.id) el.model = '';
    el.feedback.notify(
      `Forgot ${model.name}: choose its files under Settings → Your own files to use it again.`,
    );
  }

  render(): TemplateResult {
    const { models, busy, provider, memory } = this.el;
    // A load that an image waits for is shown by the result view's busy state, not a second panel.
    const phase = models.phase === 'loading' && busy ? 'ready' : models.phase;
    return html`<sd-first-run-panel
      .actions=${this.actions}
      .phase=${phase}
      .model=${models.model}
      .models=${models.manifest?.models ?? []}
      .device=${models.device}
      .provider=${isProvider(provider) ? provider : 'auto'}
      .memory=${isMemoryMode(memory) ? memory : 'auto'}
      .stored=${models.storedModel}
      .progress=${models.download.progress}
      .storagePersisted=${models.download.storagePersisted}
    ></sd-first-run-panel>`;
  }
}
