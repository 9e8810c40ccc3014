/** What to tell people about a thrown error, given what this device can run. */
import { requirementAdvice, type ProviderPreference, type RequirementCheck } from '../pipeline/index.js';
import { describeError, errorCode, type SdErrorCode, type UserMessage } from './messages.js';

/** The codes of a refusal by the model's requirements: their advice comes from the requirement check. */
const REQUIREMENT_CODES: readonly SdErrorCode[] = ['no-webgpu', 'no-shader-f16', 'unsupported-device'];

/** A refusal by the requirements is explained by the check: wasm is offered only where the model fits. */
export function guidanceFor(
  error: unknown,
  check: RequirementCheck | undefined,
  provider: ProviderPreference,
): UserMessage {
  const code = errorCode(error);
  const resumable = (error as { resumable?: unknown } | null)?.resumable === true;
  const guidance = describeError(code, resumable);
  if (!check || !REQUIREMENT_CODES.includes(code)) return guidance;
  const wasmHelps = provider !== 'wasm' && check.wasm.runnable;
  return {
    ...guidance,
    advice: wasmHelps ? guidance.advice : requirementAdvice(check, provider),
    remedy: wasmHelps ? 'use-wasm' : undefined,
  };
}

/**
 * A failure with the user's own files: the check's lines (the message) say what to change, and no
 * download is there to resume or retry, so no remedy button is offered.
 */
export function localFilesGuidance(error: unknown): UserMessage {
  const code = errorCode(error);
  if (code === 'quota') {
    return {
      code,
      title: 'Not enough storage for your files',
      advice:
        'The browser will not store them: free up disk space, or delete stored models under Settings, then choose the files again.',
    };
  }
  if (code === 'model-io-mismatch') {
    return {
      code,
      title: 'These files cannot be used as SD-Turbo',
      advice:
        'Each line below names a file, its input or output, what it has and what the pipeline expects. Choose the text encoder, UNet and VAE decoder of one SD-Turbo ONNX export.',
    };
  }
  return { ...describeError(code), remedy: undefined };
}
