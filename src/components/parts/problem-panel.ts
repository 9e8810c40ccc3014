/** A failure: what happened, what to do, and the one remedy that helps, as a button. */
import { html, nothing, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import { LightElement } from '../light-element.js';
import type { Remedy, UserMessage } from '../messages.js';

export interface Problem extends UserMessage {
  message: string;
}

export interface ProblemActions {
  remedy(remedy: Remedy): void;
  dismiss(): void;
}

const REMEDY_LABELS: Record<Remedy, string> = {
  'use-wasm': 'Continue on wasm (CPU)',
  'resume-download': 'Resume download',
  redownload: 'Delete and download again',
  retry: 'Try again',
};

export class ProblemPanel extends LightElement {
  @property({ attribute: false }) problem?: Problem;
  @property({ attribute: false }) actions?: ProblemActions;

  protected override render(): TemplateResult | typeof nothing {
    const problem = this.problem;
    if (!problem) return nothing;
    return html`
      <section class="panel problem" part="error" role="alert" data-code=${problem.code}>
        <h2>${problem.title}</h2>
        <p>${problem.advice}</p>
        ${problem.message !== problem.advice ? this.renderMessage(problem.message) : nothing}
        <div class="row">
          ${
            problem.remedy
              ? html`<button
                  type="button"
                  class="primary"
                  part="remedy-button"
                  @click=${() => this.actions?.remedy(problem.remedy!)}
                >
                  ${REMEDY_LABELS[problem.remedy]}
                </button>`
              : nothing
          }
          <button type="button" part="dismiss-button" @click=${() => this.actions?.dismiss()}>Dismiss</button>
        </div>
      </section>
    `;
  }

  /** A message of several lines (each a problem of its own, as a check of model files gives) is a list. */
  private renderMessage(message: string): TemplateResult {
    const lines = message.split('\n');
    if (lines.length === 1) return html`<p class="hint">${message}</p>`;
    return html`<ul class="hint" part="error-details">
      ${lines.map((line) => html`<li>${line}</li>`)}
    </ul>`;
  }
}
