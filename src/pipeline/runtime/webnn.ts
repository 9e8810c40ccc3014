/**
 * WebNN through ORT's WebNN execution provider: whether this browser can create an MLContext for a device
 * type, and the exact reason where it cannot. The check is `navigator.ml.createContext({ deviceType })`
 * itself, not feature detection: Chromium can expose `navigator.ml` and still refuse every context
 * (measured in Chromium 156 on Linux with --enable-features=WebMachineLearningNeuralNetwork:
 * "NotSupportedError: Failed to execute 'createContext' on 'ML': WebNN is not supported on this platform.").
 */

import type { WebNnDeviceType } from '../types.js';

export const WEBNN_DEVICE_TYPES: readonly WebNnDeviceType[] = ['cpu', 'gpu', 'npu'];

export interface WebNnCapabilities {
  deviceType: WebNnDeviceType;
  /** Whether `navigator.ml.createContext({ deviceType })` gave a context. */
  available: boolean;
  /** Where it did not: that navigator.ml is missing, or the error's name and message as the browser gave them. */
  error?: string;
}

/** The part of `navigator.ml` used here (the DOM typings have no WebNN yet). */
export interface MlLike {
  createContext(options?: { deviceType?: WebNnDeviceType }): Promise<unknown>;
}

export function navigatorMl(): MlLike | undefined {
  return (globalThis.navigator as { ml?: MlLike } | undefined)?.ml;
}

export async function probeWebNn(
  deviceType: WebNnDeviceType = 'gpu',
  ml: MlLike | undefined = navigatorMl(),
): Promise<WebNnCapabilities> {
  if (!ml || typeof ml.createContext !== 'function') {
    return {
      deviceType,
      available: false,
      error:
        'navigator.ml is missing (this browser has no WebNN; Chromium hides it behind ' +
        'chrome://flags/#web-machine-learning-neural-network).',
    };
  }
  try {
    await ml.createContext({ deviceType });
    return { deviceType, available: true };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { deviceType, available: false, error: text };
  }
}
