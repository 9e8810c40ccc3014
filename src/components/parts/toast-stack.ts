/**
 * Short-lived messages ("Cancelled.", "Image copied…") shown where people look. The element's live region
 * reads the same text to screen readers, so the toasts themselves are hidden from them.
 */
import { html, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { LightElement } from '../light-element.js';

interface Toast {
  id: number;
  text: string;
}

const TOAST_MS = 4000;

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
