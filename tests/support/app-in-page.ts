/**
 * What the Firefox and WebKit tests run inside the app page (index.html). Each function is sent to the
 * page as its source text (puppeteer's `evaluate`, WebDriver's `executeAsyncScript`), so it must be
 * self-contained: no imports, no helpers from outside its own body. Outcomes are plain data, errors
 * included, since an Error loses its `code` on the way out of the page.
 */

export interface ImageRequest {
  prompt: string;
  seed: number;
  steps: number;
}

export type AppOutcome =
  | {
      ok: true;
      /** The provider `load()` chose, and the one that made the image. */
      loadedProvider: string;
      imageProvider: string;
      fellBack: boolean;
      loadMs: number;
      totalMs: number;
      width: number;
      height: number;
      /** RGBA bytes of the image, read back through a canvas. */
      pixels: number[];
    }
  | { ok: false; code?: string; message: string };

/** The element's load() and then generate(request); runs in the page. */
export async function loadAndGenerateInPage(request: ImageRequest): Promise<AppOutcome> {
  await customElements.whenDefined('sd-turbo');
  const element = document.querySelector('sd-turbo');
  if (!element) return { ok: false, message: 'the page has no <sd-turbo>' };
  try {
    const loaded = await element.load();
    const image = await element.generate(request);
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d');
    if (!context) return { ok: false, message: 'no 2d canvas context' };
    context.drawImage(image.bitmap, 0, 0);
    return {
      ok: true,
      loadedProvider: loaded.provider.provider,
      imageProvider: image.provider,
      fellBack: loaded.provider.fellBack,
      loadMs: loaded.loadMs,
      totalMs: image.timings.totalMs,
      width: image.width,
      height: image.height,
      pixels: Array.from(context.getImageData(0, 0, image.width, image.height).data),
    };
  } catch (error) {
    const { code, message } = error as Error & { code?: string };
    return { ok: false, code, message: String(message) };
  }
}

/**
 * The text of the element's first-run, refusal or error panel once one of them says `expected`; runs in
 * the page. Until then the text of all of them, for the failure message. Waits for the words: until the
 * element has read the manifest, no panel or another model's is shown.
 */
export async function panelTextInPage(expected: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  let texts: string[] = [];
  while (Date.now() < deadline) {
    const root = document.querySelector('sd-turbo')?.shadowRoot;
    const panels =
      root?.querySelectorAll('[part~="first-run"], [part~="unsupported"], [part~="error"]') ?? [];
    texts = Array.from(panels, (panel) => (panel.textContent ?? '').replace(/\s+/g, ' ').trim());
    const found = texts.find((text) => text.includes(expected));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return texts.join(' | ');
}
