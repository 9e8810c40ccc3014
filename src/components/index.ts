/**
 * The components' public face. Importing it defines `<sd-turbo>` (once, even if two bundles load it).
 */
import { SdTurboElement } from './sd-turbo.js';

export { SdTurboElement, randomSeed, type GenerateOptions, type SdErrorCode } from './sd-turbo.js';
export type {
  SdErrorDetail,
  SdImageDetail,
  SdProgressDetail,
  SdReadyDetail,
  SdTurboEventMap,
} from './events.js';
export { addPngText, readPngText } from './png-metadata.js';

if (!customElements.get('sd-turbo')) customElements.define('sd-turbo', SdTurboElement);
