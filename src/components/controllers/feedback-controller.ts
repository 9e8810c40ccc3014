/**
 * What the element tells people: the problem panel (and `sd-error` for the page), the notice under the
 * prompt, short toasts and the screen-reader announcement. Each error is reported once, however many
 * callers see it fail (load() and generate() both see a failed download).
 */
import { html, nothing, type LitElement, type ReactiveController, type TemplateResult } from 'lit';
import { PipelineError } from '../../pipeline/index.js';
import { emitEvent } from '../events.js';
import { DEVICE_LOST_ADVICE, describeError, type Remedy, type UserMessage } from '../messages.js';
import type { Problem, ProblemActions } from '../parts/problem-panel.js';
import type { ToastStack } from '../parts/toast-stack.js';

export interface FeedbackHooks {
  /** What the error means on this device with these settings, and what to do about it. */
  guidance(error: unknown): UserMessage;
  /** True while a panel already says why nothing works: errors then only reach the page. */
  panelSaysWhy(): boolean;
  /** The problem panel's button was pressed. */
  remedy(remedy: Remedy): void;
}

export class FeedbackController implements ReactiveController {
  private shownProblem?: Problem;
  private shownNotice = '';
  private spoken = '';
  /** Errors already shown, so one failure seen by both load() and generate() is reported once. */
  private readonly reported = new WeakSet<object>();

  readonly problemActions: ProblemActions = {
    remedy: (remedy) => {
      this.clearProblem();
      this.hooks.remedy(remedy);
    },
    dismiss: () => this.clearProblem(),
  };

  constructor(
    private readonly host: LitElement,
    private readonly hooks: FeedbackHooks,
  ) {
    host.addController(this);
  }

  /** Nothing to set up: the controller holds what is shown, and the host renders it. */
  hostConnected(): void {}

  get problem(): Problem | undefined {
    return this.shownProblem;
  }

  clearProblem(): void {
    this.shownProblem = undefined;
    this.host.requestUpdate();
  }

  /** A standing note under the prompt, e.g. why the model runs on wasm instead of WebGPU. */
  setNotice(text: string): void {
    this.shownNotice = text;
    this.host.requestUpdate();
  }

  report(error: unknown): void {
    if (typeof error === 'object' && error !== null) {
      if (this.reported.has(error)) return;
      this.reported.add(error);
    }
    const guidance = this.hooks.guidance(error);
    const message = error instanceof Error ? error.message : String(error);
    if (this.hooks.panelSaysWhy()) this.emitError(guidance, message);
    else this.showProblem(guidance, message);
  }

  /** Shows the error with guidance of the caller's choosing; report() will not show it again. */
  reportAs(error: Error, guidance: UserMessage): void {
    this.reported.add(error);
    this.showProblem(guidance, error.message);
  }

  /** Reports bad input and returns the error to throw. */
  refuse(message: string): PipelineError {
    const error = new PipelineError('invalid-input', message);
    this.report(error);
    return error;
  }

  /** Every element on the client hears this; the one whose generate() failed must not report it twice. */
  deviceLost(error: Error | undefined): void {
    if (error) this.reported.add(error);
    this.showProblem(describeError('device-lost'), error?.message ?? DEVICE_LOST_ADVICE);
  }

  announce(text: string): void {
    this.spoken = text;
    this.host.requestUpdate();
  }

  /** Says it to screen readers and shows it for a few seconds. */
  notify(text: string): void {
    this.announce(text);
    this.host.renderRoot.querySelector<ToastStack>('sd-toast-stack')?.show(text);
  }

  /** The problem panel and the notice, above everything but the prompt. */
  renderMessages(): TemplateResult {
    return html`<sd-problem-panel .problem=${this.problem} .actions=${this.problemActions}></sd-problem-panel>
      ${this.shownNotice ? html`<p class="hint" part="notice" role="note">${this.shownNotice}</p>` : nothing}`;
  }

  /** The toasts and the live region, last in the element. */
  renderLive(): TemplateResult {
    return html`<sd-toast-stack></sd-toast-stack>
      <p class="visually-hidden" role="status" aria-live="polite" part="status">${this.spoken}</p>`;
  }

  private showProblem(guidance: UserMessage, message: string): void {
    this.shownProblem = { ...guidance, message };
    this.host.requestUpdate();
    this.emitError(guidance, message);
  }

  private emitError(guidance: UserMessage, message: string): void {
    emitEvent(this.host, 'sd-error', { code: guidance.code, message, advice: guidance.advice });
  }
}
