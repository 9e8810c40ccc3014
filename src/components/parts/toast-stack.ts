/**
 * Short-lived messages ("Cancelled.", "Image copied…") shown where people look. The element's live region
 * reads the same text to screen readers, so the toasts themselves are hidden from them.
 */
import { css, html, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { LightElement } from '../light-element.js';

interface Toast {
  id: number;
  text: string;
}

const TOAST_MS = 4000;

/** Toasts in the page's corner, above everything. The element adopts it (light-DOM parts have no shadow root of their own). */
export const toastStyles = css`
  .toasts {
    position: fixed;
    inset: auto 16px 16px auto;
    display: grid;
    gap: 8px;
    z-index: 10;
    max-width: min(360px, calc(100vw - 32px));
  }
  .toast {
    margin: 0;
    padding: 10px 14px;
    border-radius: var(--_radius);
    background: var(--_fg);
    color: var(--_bg);
    box-shadow: 0 4px 16px rgb(0 0 0 / 0.25);
  }
`;

export class ToastStack extends LightElement {
  @state() private toasts: Toast[] = [];
  private nextId = 1;

  show(text: string): void {
    const toast = { id: this.nextId++, text };
    this.toasts = [...this.toasts, toast].slice(-3);
    setTimeout(() => (this.toasts = this.toasts.filter((shown) => shown !== toast)), TOAST_MS);
  }

  protected override render(): TemplateResult {
    return html`<div class="toasts" part="toasts" aria-hidden="true">
      ${this.toasts.map((toast) => html`<p class="toast" part="toast">${toast.text}</p>`)}
    </div>`;
  }
}
