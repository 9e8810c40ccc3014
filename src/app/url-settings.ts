/**
 * `?model=`, `?manifest=`, `?provider=`, `?webnn-device-type=` and `?mirror=` in the page URL are passed to
 * the element, so a link can open a particular model or copy. The test models are offered in development and with `?dev`.
 */
import type { SdTurboElement } from '../components/index.js';

const REMEMBERED_MODEL = 'sd-turbo:model';

export function applyUrlSettings(generator: SdTurboElement): void {
  const params = new URLSearchParams(location.search);
  for (const name of ['model', 'manifest', 'provider', 'webnn-device-type', 'mirror'] as const) {
    const value = params.get(name);
    if (value) generator.setAttribute(name, value);
  }
  if (import.meta.env.DEV || params.has('dev')) generator.testModels = true;
}

/**
 * The model last chosen in the picker comes back on the next visit, so a reload does not offer the
 * default model's download again. A `?model=` in the URL wins.
 */
export function rememberModel(generator: SdTurboElement): void {
  if (!generator.hasAttribute('model')) {
    const remembered = localStorage.getItem(REMEMBERED_MODEL);
    if (remembered) generator.model = remembered;
  }
  new MutationObserver(() => {
    // No model (a deleted model of your own files was in use): the manifest's default next time.
    if (generator.model) localStorage.setItem(REMEMBERED_MODEL, generator.model);
    else localStorage.removeItem(REMEMBERED_MODEL);
  }).observe(generator, { attributes: true, attributeFilter: ['model'] });
}
