import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkRequirements, requirementError } from '../src/pipeline/runtime/device-requirements.js';
import { getModel, parseManifest } from '../src/pipeline/model/manifest.js';
import { probeWebNn, type MlLike } from '../src/pipeline/runtime/webnn.js';

const manifest = parseManifest(JSON.parse(readFileSync('model-manifest.json', 'utf8')));
const tiny = getModel(manifest, 'tiny-fp32');

/** What Chromium 156 on Linux throws with --enable-features=WebMachineLearningNeuralNetwork (measured). */
const CHROMIUM_LINUX_ERROR = Object.assign(
  new Error("Failed to execute 'createContext' on 'ML': WebNN is not supported on this platform."),
  { name: 'NotSupportedError' },
);

describe('WebNN probe', () => {
  it('reports a missing navigator.ml', async () => {
    const probe = await probeWebNn('gpu', undefined);
    expect(probe).toMatchObject({ deviceType: 'gpu', available: false });
    expect(probe.error).toMatch(/^navigator\.ml is missing/);
  });

  it("reports createContext's own error, name and message, for the device type asked", async () => {
    const asked: unknown[] = [];
    const ml: MlLike = {
      createContext: (options) => {
        asked.push(options);
        return Promise.reject(CHROMIUM_LINUX_ERROR);
      },
    };
    const probe = await probeWebNn('npu', ml);
    expect(asked).toEqual([{ deviceType: 'npu' }]);
    expect(probe).toEqual({
      deviceType: 'npu',
      available: false,
      error:
        "NotSupportedError: Failed to execute 'createContext' on 'ML': WebNN is not supported on this platform.",
    });
  });

  it('offers WebNN where a context is created, and refuses it with the reason where not', async () => {
    const working = await probeWebNn('gpu', { createContext: () => Promise.resolve({}) });
    const ok = checkRequirements(tiny, { adapter: null, webnn: working });
    expect(ok.webnn).toEqual({ runnable: true, unmet: [] });
    expect(requirementError(ok, 'webnn')).toBeUndefined();

    const failing = await probeWebNn('gpu', { createContext: () => Promise.reject(CHROMIUM_LINUX_ERROR) });
    const refused = checkRequirements(tiny, { adapter: null, webnn: failing });
    expect(refused.webnn.runnable).toBe(false);
    expect(refused.webnn.unmet.map((unmet) => unmet.shortfall)).toEqual(['webnn']);
    const error = requirementError(refused, 'webnn');
    expect(error?.code).toBe('unsupported-device');
    expect(error?.message).toContain(
      "navigator.ml.createContext({ deviceType: 'gpu' }) failed: NotSupportedError: Failed to execute 'createContext' on 'ML': WebNN is not supported on this platform.",
    );
  });

  it('is never chosen by auto, and unprobed WebNN is not runnable', () => {
    const check = checkRequirements(tiny, { adapter: null });
    expect(check.webnn.runnable).toBe(false);
    expect(requirementError(check, 'auto')).toBeUndefined(); // wasm runs the tiny model
    expect(requirementError(check, 'webnn')?.message).toMatch(/WebNN was not checked/);
  });
});
