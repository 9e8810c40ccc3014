/**
 * The app's model-manifest.json (test models included) unless the URL names another. `?model=`,
 * `?manifest=`, `?provider=`, `?webnn-device-type=` and `?mirror=` in the page URL are passed to the
 * element, so a link can open a particular model or copy, and so are an image's values (share-link.ts).
 * The test models are offered in development and with `?dev`.
 */
import type { SdTurboElement } from '../components/index.js';
import { linkValues } from './share-link.js';

const REMEMBERED_MODEL = 'sd-turbo:model';
const APP_MANIFEST = 'model-manifest.json';

export function applyUrlSettings(generator: SdTurboElement): void {
  const params = new URLSearchParams(location.search);
  // The app's own catalogue, beside index.html, lists the test models too; the element's default does not.
  if (!generator.hasAttribute('manifest')) generator.setAttribute('manifest', APP_MANIFEST);
  for (const name of ['model', 'manifest', 'provider', 'webnn-device-type', 'mirror'] as const) {
    const value = params.get(name);
    if (value) generator.setAttribute(name, value);
  }
  for (const [name, value] of linkValues(params)) generator.setAttribute(name, value);
  if (import.meta.env.DEV || params.has('dev')) generator.testModels = true;
}

/**
 * The model last chosen in the picker comes back on the next visit, so a reload does not offer the
 * default model's download again. A `?model=` in the URL wins. It is remembered per manifest: another
 * manifest (`?manifest=`) may not have it.
 */
export function rememberModel(generator: SdTurboElement): void {
  const key = (): string => `${REMEMBERED_MODEL}:${generator.manifestUrl}`;
  if (!generator.hasAttribute('model')) {
    const remembered = localStorage.getItem(key());
    if (remembered) generator.model = remembered;
  }
  new MutationObserver(() => {
    // No model (a deleted model of your own files was in use): the manifest's default next time.
    if (generator.model) localStorage.setItem(key(), generator.model);
    else localStorage.removeItem(key());
  }).observe(generator, { attributes: true, attributeFilter: ['model'] });
}
