/**
 * The components' public face. Importing it defines `<sd-turbo>` and its parts (once, even if two
 * bundles load it).
 */
import { BatchGrid } from './parts/batch-grid.js';
import { DownloadProgressView } from './parts/download-progress.js';
import { FirstRunPanel } from './parts/first-run-panel.js';
import { GalleryView } from './parts/gallery-view.js';
import { LocalFilesPanel } from './parts/local-files-panel.js';
import { ProblemPanel } from './parts/problem-panel.js';
import { PromptBar } from './parts/prompt-bar.js';
import { ResultDetails } from './parts/result-details.js';
import { ResultView } from './parts/result-view.js';
import type * as Api from './sd-turbo-api.js';
import { SdTurboElement as SdTurboElementClass } from './sd-turbo/sd-turbo.js';
import { SettingsPanel } from './parts/settings-panel.js';
import { SourceImagePanel } from './parts/source-image-panel.js';
import { ToastStack } from './parts/toast-stack.js';

/**
 * `<sd-turbo>`'s class, typed as the element's public face (./sd-turbo-api.ts) rather than as the Lit
 * class: the package bundles Lit and ONNX Runtime, so its declarations import neither.
 */
export type SdTurboElement = Api.SdTurboElement;
export const SdTurboElement: Api.SdTurboElementConstructor = SdTurboElementClass;
export type { GenerateOptions, SdTurboElementConstructor, SdTurboListener } from './sd-turbo-api.js';
export { randomSeed } from './input-checks.js';
export type { SdErrorCode } from './messages.js';
export type {
  SdErrorDetail,
  SdImageDetail,
  SdProgressDetail,
  SdReadyDetail,
  SdTurboEventMap,
} from './events.js';
export { addPngText, readPngText } from '../image-file/index.js';

/** The parts first, so `<sd-turbo>`'s first render finds them defined. */
const ELEMENTS: [string, CustomElementConstructor][] = [
  ['sd-prompt-bar', PromptBar],
  ['sd-source-image-panel', SourceImagePanel],
  ['sd-download-progress', DownloadProgressView],
  ['sd-first-run-panel', FirstRunPanel],
  ['sd-result-view', ResultView],
  ['sd-batch-grid', BatchGrid],
  ['sd-result-details', ResultDetails],
  ['sd-gallery-view', GalleryView],
  ['sd-local-files-panel', LocalFilesPanel],
  ['sd-settings-panel', SettingsPanel],
  ['sd-problem-panel', ProblemPanel],
  ['sd-toast-stack', ToastStack],
  ['sd-turbo', SdTurboElementClass],
];
for (const [name, element] of ELEMENTS) {
  if (!customElements.get(name)) customElements.define(name, element);
}
