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
 * The first-run panel's or the error panel's text once it names `modelName`; runs in the page. Waits for
 * the name: until the page's `?manifest=` is applied, the panel may speak of the default manifest's model.
 */
export async function refusalTextInPage(modelName: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  let text = '';
  while (Date.now() < deadline) {
    const root = document.querySelector('sd-turbo')?.shadowRoot;
    const panel = root?.querySelector('[part~="unsupported"], [part~="error"]');
    text = (panel?.textContent ?? '').replace(/\s+/g, ' ').trim();
    if (text.includes(modelName)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return text;
}
