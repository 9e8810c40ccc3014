/**
 * Keeps the address bar on the link of the image shown last, and offers a Share button that copies it.
 * Where the clipboard is refused, the link is shown selected in a text box to copy by hand.
 */
import type { SdImageDetail, SdTurboElement } from '../components/index.js';
import { imageLink } from './share-link.js';

export interface ShareControls {
  button: HTMLButtonElement;
  /** A live region that says what the button did. */
  status: HTMLElement;
  /** Shown, with the link selected, when the clipboard cannot be written. */
  fallback: HTMLInputElement;
}

export function offerShareLinks(generator: SdTurboElement, controls: ShareControls): void {
  const { button, fallback } = controls;
  generator.addEventListener('sd-image', (event: CustomEvent<SdImageDetail>) => {
    history.replaceState(history.state, '', imageLink(location.href, event.detail));
    button.disabled = false;
    fallback.hidden = true;
  });
  button.addEventListener('click', () => void copyLink(controls));
}

async function copyLink({ status, fallback }: ShareControls): Promise<void> {
  const link = location.href;
  try {
    await navigator.clipboard.writeText(link);
    status.textContent = 'Link copied: it opens this prompt, seed and size.';
  } catch {
    fallback.value = link;
    fallback.hidden = false;
    fallback.select();
    status.textContent = 'Copy the selected link (Ctrl+C or ⌘C).';
  }
}
