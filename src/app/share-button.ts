/**
 * Keeps the address bar on the link of the image shown last, and offers a Share button that copies that
 * link. A model or provider chosen after the image takes its place in the address, so a reload opens what
 * is chosen now (never a model deleted since); Share still copies the image's own link.
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

/** The element attributes the address follows as they change. */
const FOLLOWED = ['model', 'provider'] as const;

export function offerShareLinks(generator: SdTurboElement, controls: ShareControls): void {
  let link: string | undefined;
  generator.addEventListener('sd-image', (event: CustomEvent<SdImageDetail>) => {
    link = imageLink(location.href, event.detail).href;
    history.replaceState(history.state, '', link);
    controls.button.disabled = false;
    controls.fallback.hidden = true;
  });
  new MutationObserver(() => history.replaceState(history.state, '', followed(generator))).observe(
    generator,
    {
      attributes: true,
      attributeFilter: [...FOLLOWED],
    },
  );
  controls.button.addEventListener('click', () => {
    if (link) void copyLink(link, controls);
  });
}

/** The address with the element's model and provider as they are now (none: the parameter goes). */
function followed(generator: SdTurboElement): URL {
  const address = new URL(location.href);
  for (const name of FOLLOWED) {
    const value = generator.getAttribute(name);
    if (value) address.searchParams.set(name, value);
    else address.searchParams.delete(name);
  }
  return address;
}

async function copyLink(link: string, { status, fallback }: ShareControls): Promise<void> {
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
