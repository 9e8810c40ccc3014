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
