/**
 * What the element tells people when something goes wrong: what happened and what to do next, keyed by
 * the pipeline's stable error codes.
 */
import type { PipelineErrorCode } from '../pipeline/types.js';

/** Codes of `sd-error`: the pipeline's, plus 'unknown' for anything that carries none. */
export type SdErrorCode = PipelineErrorCode | 'unknown';

/** The remedy the element offers as a button next to the message. */
export type Remedy = 'use-wasm' | 'resume-download' | 'redownload' | 'retry';

export interface UserMessage {
  code: SdErrorCode;
  title: string;
  advice: string;
  remedy?: Remedy;
}

export const DEVICE_LOST_ADVICE = 'The GPU was reset; press Generate to reload the model.';

const GUIDANCE: Record<SdErrorCode, Omit<UserMessage, 'code'>> = {
  'no-webgpu': {
    title: 'WebGPU is not available',
    advice:
      'This browser has no WebGPU. Use a recent Chrome, Edge or Safari with WebGPU enabled, or continue on wasm (CPU): it works everywhere, only slower.',
    remedy: 'use-wasm',
  },
  'no-shader-f16': {
    title: 'This GPU cannot run FP16 weights',
    advice:
      'The model has FP16 weights and this GPU adapter lacks the WebGPU feature "shader-f16". Continue on wasm (CPU), or use a GPU/browser with shader-f16.',
    remedy: 'use-wasm',
  },
  'unsupported-device': {
    title: 'This device cannot run the model',
    advice:
      'This device lacks what the model needs (see the message). Use another browser or GPU, or choose a smaller model.',
  },
  quota: {
    title: 'Not enough storage',
    advice:
      'The browser will not store the model: free up disk space, or delete stored models under Settings, then press Download again.',
    remedy: 'resume-download',
  },
  'download-failed': {
    title: 'The download failed',
    advice:
      'Check your connection and press Resume: the parts already downloaded are kept and only the rest is fetched.',
    remedy: 'resume-download',
  },
  'device-lost': { title: 'The GPU was reset', advice: DEVICE_LOST_ADVICE },
  corrupt: {
    title: 'A model file is corrupt',
    advice: 'A stored model file failed its check. Delete it and download it again.',
    remedy: 'redownload',
  },
  manifest: {
    title: 'The model list could not be read',
    advice: 'Check the element\'s "manifest" (or "model") attribute: it must point to a model-manifest.json.',
  },
  'model-io-mismatch': {
    title: 'The model files do not match the manifest',
    advice:
      "The model's inputs or outputs differ from what the manifest says. Fix the manifest or the export.",
  },
  'session-failed': {
    title: 'The model could not be started',
    advice: 'Try again; if it keeps failing, choose the wasm (CPU) provider under Settings.',
    remedy: 'retry',
  },
  'invalid-input': { title: 'Check the inputs', advice: 'Fix the prompt, seed or steps and try again.' },
  busy: { title: 'Still working', advice: 'Wait for the current image, or press Cancel.' },
  'not-loaded': {
    title: 'No model is loaded',
    advice: 'Press Download in the panel to store the model first; once it is stored, Generate loads it.',
  },
  unknown: { title: 'Something went wrong', advice: 'Try again.', remedy: 'retry' },
};

/** What to say when downloading again would only repeat the failure (a 404, an HTML page, a wrong size). */
const NOT_RESUMABLE_ADVICE =
  "Resuming would only repeat this. Check what the message below names: the mirror folder, or the manifest's baseUrl, paths and sizes.";

/**
 * The message for an error code. `resumable` (download errors carry it) says whether downloading again
 * gets further: Resume is offered only then.
 */
export function describeError(code: SdErrorCode, resumable?: boolean): UserMessage {
  const guidance = GUIDANCE[code];
  if (guidance.remedy === 'resume-download' && resumable !== true) {
    return { code, title: guidance.title, advice: NOT_RESUMABLE_ADVICE };
  }
  return { code, ...guidance };
}

/** The code of a thrown error: the pipeline's, or one a plain object carries, else 'unknown'. */
export function errorCode(error: unknown): SdErrorCode {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in GUIDANCE ? (code as SdErrorCode) : 'unknown';
}
