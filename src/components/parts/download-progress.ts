/**
 * Overall and per-file download progress. Paused, it says so instead of showing the last rate and time
 * left, which no longer mean anything.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import type { ModelProgress } from '../../pipeline/index.js';
import { formatBytes, formatEta, formatRate, percent } from '../format.js';
import { LightElement } from '../light-element.js';

export class DownloadProgressView extends LightElement {
  @property({ attribute: false }) progress?: ModelProgress;
  @property({ attribute: false }) paused = false;

  protected override render(): TemplateResult | typeof nothing {
    const progress = this.progress;
    if (!progress) return nothing;
    const overall = percent(progress.bytesDone, progress.bytesTotal);
    const amount = `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`;
    const details = this.paused
      ? ['Paused', amount]
      : [amount, formatRate(progress.bytesPerSecond), formatEta(progress.etaSeconds)].filter(Boolean);
    return html`
      <div part="progress" class="field ${this.paused ? 'paused' : ''}">
        <label for="overall-progress">Overall: ${overall}%${this.paused ? ' (paused)' : ''}</label>
        <progress id="overall-progress" max="100" .value=${overall}></progress>
        <p class="hint" part="progress-text">${details.join(' · ')}</p>
        ${progress.files.map(
          (file, index) => html`
            <label for="file-progress-${index}" class="hint"
              >${file.path}: ${formatBytes(file.bytesDone)} of ${formatBytes(file.bytesTotal)}</label
            >
            <progress
              id="file-progress-${index}"
              max="100"
              .value=${percent(file.bytesDone, file.bytesTotal)}
            ></progress>
          `,
        )}
        ${progress.note && !this.paused ? html`<p class="hint">${progress.note}</p>` : nothing}
      </div>
    `;
  }
}
