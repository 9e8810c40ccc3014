/**
 * A question asked inside the element before something is deleted (never `window.confirm`, which blocks
 * the page and cannot be styled): what will be lost, a danger button that does it and one that does not.
 * Escape answers "no". The part that shows it moves focus to the safe answer.
 */
import { html, type TemplateResult } from 'lit';

export interface ConfirmQuestion {
  /** The part name of the question; its buttons are `<part>-button` (yes) and `<part>-cancel-button`. */
  part: string;
  message: string;
  confirmLabel: string;
  cancelLabel: string;
  confirm(): void;
  cancel(): void;
  /** Disables the danger button (e.g. while an image is being made). */
  confirmDisabled?: boolean;
}

export function renderConfirmQuestion(question: ConfirmQuestion): TemplateResult {
  const onKeydown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    // The element's own Esc (cancel the image being made) is not what this Escape means.
    event.stopPropagation();
    event.preventDefault();
    question.cancel();
  };
  return html`<div
    class="row confirm"
    role="alertdialog"
    aria-labelledby=${`${question.part}-message`}
    part=${question.part}
    @keydown=${onKeydown}
  >
    <p id=${`${question.part}-message`}>${question.message}</p>
    <button
      type="button"
      class="danger"
      part=${`${question.part}-button`}
      ?disabled=${question.confirmDisabled ?? false}
      @click=${() => question.confirm()}
    >
      ${question.confirmLabel}
    </button>
    <button type="button" part=${`${question.part}-cancel-button`} @click=${() => question.cancel()}>
      ${question.cancelLabel}
    </button>
  </div>`;
}

/** After the question is rendered: focus on its safe answer, so Enter or Space cannot delete by accident. */
export async function focusCancel(
  host: HTMLElement & { updateComplete: Promise<boolean> },
  part: string,
): Promise<void> {
  await host.updateComplete;
  host.querySelector<HTMLElement>(`[part~="${part}-cancel-button"]`)?.focus();
}
