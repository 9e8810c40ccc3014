/**
 * chooseMemoryMode: 'auto' keeps the stages resident where their weights together fit in the device's
 * memory and loads one stage at a time where only the largest does; asked-for modes are kept.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chooseMemoryMode,
  lowMemoryUnetParts,
  stageWeightBytes,
} from '../src/pipeline/runtime/device-requirements';
import { getModel, parseManifest } from '../src/pipeline/model/manifest';
import { PipelineError } from '../src/pipeline/errors';
import type { MemoryPreference } from '../src/pipeline/types';
import { inputProblems, memoryProblem } from '../src/components/input-checks';

const manifest = parseManifest(
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'model-manifest.json'), 'utf8')),
);
const sdTurbo = getModel(manifest, 'sd-turbo');
const tinyFp32 = getModel(manifest, 'tiny-fp32');
const GiB = 1024 ** 3;
const device = (memoryGiB?: number) => ({
  adapter: null,
  ...(memoryGiB === undefined ? {} : { memoryBytes: memoryGiB * GiB }),
});

describe('stage weight bytes', () => {
  it("are each stage file's bytes, twice that for FP16 widened to FP32", () => {
    const fp16 = stageWeightBytes(sdTurbo);
    expect(fp16).toEqual({ textEncoder: 681393168, unet: 1733430199, vaeDecoder: 99094314 });
    const widened = stageWeightBytes(sdTurbo, 'fp32-widened');
    expect(widened.unet).toBe(2 * 1733430199);
    expect(stageWeightBytes(tinyFp32).vaeEncoder).toBe(43089);
  });
});

describe('automatic memory mode', () => {
  it('keeps every stage resident where all of them fit (SD-Turbo FP16: 2.34 GiB in 4 GiB)', () => {
    const choice = chooseMemoryMode(sdTurbo, device(4));
    expect(choice.mode).toBe('resident');
    expect(choice.reason).toContain('2.34 GiB');
  });

  it('loads one stage at a time where the stages do not fit together (SD-Turbo FP16 in 2 GiB)', () => {
    const choice = chooseMemoryMode(sdTurbo, device(2));
    expect(choice.mode).toBe('low');
    expect(choice.reason).toContain('2.34 GiB');
    // The UNet (1.61 GiB) in 6 parts of 0.27 GiB: the text encoder (0.63 GiB) is the most held at once.
    expect(choice.unetParts).toBe(6);
    expect(choice.reason).toContain('at most 0.63 GiB of weights is loaded at once');
    expect(choice.reason).toContain('The UNet runs in 6 parts, one loaded at a time.');
  });

  it('counts widened FP32 weights at twice their bytes (4.68 GiB: low in 4 GiB, resident in 8 GiB)', () => {
    expect(chooseMemoryMode(sdTurbo, device(4), 'auto', 'fp32-widened').mode).toBe('low');
    expect(chooseMemoryMode(sdTurbo, device(8), 'auto', 'fp32-widened').mode).toBe('resident');
    expect(chooseMemoryMode(sdTurbo, device(4), 'auto', 'fp16').mode).toBe('resident');
  });

  it('keeps the stages resident where the browser does not report its memory', () => {
    const choice = chooseMemoryMode(sdTurbo, device());
    expect(choice.mode).toBe('resident');
    expect(choice.reason).toContain('does not report');
    expect(chooseMemoryMode(sdTurbo, undefined).mode).toBe('resident');
  });

  it('counts the VAE encoder where the model has one', () => {
    // tiny-fp32's stages: 6412027 + 157935 + 26213 + 43089 bytes; without the encoder they would fit.
    const justBelow = (6412027 + 157935 + 26213 + 43089 - 1) / GiB;
    expect(chooseMemoryMode(tinyFp32, device(justBelow)).mode).toBe('low');
    expect(chooseMemoryMode(tinyFp32, device(justBelow + 1 / GiB)).mode).toBe('resident');
  });
});

describe('the UNet in parts (low-memory mode)', () => {
  it('cuts the UNet until no part outweighs half the largest other stage, at most into 6', () => {
    // 1733430199 / (681393168 / 2) = 5.09: six parts.
    expect(lowMemoryUnetParts(sdTurbo)).toBe(6);
    expect(lowMemoryUnetParts(sdTurbo, 'fp32-widened')).toBe(6);
    const smallerUnet = {
      ...sdTurbo,
      stages: {
        ...sdTurbo.stages,
        unet: { ...sdTurbo.stages.unet, file: { ...sdTurbo.stages.unet.file, bytes: 681393168 } },
      },
    };
    // As large as the text encoder: two parts of half its weights.
    expect(lowMemoryUnetParts(smallerUnet)).toBe(2);
    // tiny-fp32's UNet (157935 bytes) is smaller than its text encoder: whole.
    expect(lowMemoryUnetParts(tinyFp32)).toBe(1);
    const bigUnet = {
      ...sdTurbo,
      stages: {
        ...sdTurbo.stages,
        unet: { ...sdTurbo.stages.unet, file: { ...sdTurbo.stages.unet.file, bytes: 50 * 681393168 } },
      },
    };
    expect(lowMemoryUnetParts(bigUnet)).toBe(6);
  });

  it('runs the UNet whole when every stage stays resident', () => {
    expect(chooseMemoryMode(sdTurbo, device(64), 'resident').unetParts).toBe(1);
    expect(chooseMemoryMode(sdTurbo, device(64)).unetParts).toBe(1);
    expect(chooseMemoryMode(sdTurbo, device(64), 'low').unetParts).toBe(6);
  });
});

describe('asked-for memory mode', () => {
  it('keeps the mode asked for, whatever the memory', () => {
    expect(chooseMemoryMode(sdTurbo, device(64), 'low').mode).toBe('low');
    expect(chooseMemoryMode(sdTurbo, device(1), 'resident').mode).toBe('resident');
  });

  it('refuses a mode that does not exist, naming the three', () => {
    const ask = () => chooseMemoryMode(sdTurbo, device(8), 'minimal' as MemoryPreference);
    expect(ask).toThrow(PipelineError);
    expect(ask).toThrow('The memory mode must be "auto", "resident" or "low", got "minimal".');
    try {
      ask();
    } catch (error) {
      expect((error as PipelineError).code).toBe('invalid-input');
    }
  });
});

describe('the memory attribute of <sd-turbo>', () => {
  it('accepts auto, resident and low, and names them for anything else', () => {
    for (const mode of ['auto', 'resident', 'low']) expect(memoryProblem(mode)).toBeUndefined();
    expect(memoryProblem('LOW')).toBe(
      '"LOW" is not a memory mode: use auto, resident (every stage loaded) or low (one stage at a time).',
    );
  });

  it('refuses a load with a bad memory mode as a provider problem, before any load', () => {
    expect(
      inputProblems('', { value: 1, text: '1' }, undefined, 'auto', 'gpu', { value: 1, text: '1' }, 'big')
        .provider,
    ).toContain('"big" is not a memory mode');
    expect(
      inputProblems('', { value: 1, text: '1' }, undefined, 'auto', 'gpu', { value: 1, text: '1' }, 'low')
        .provider,
    ).toBeUndefined();
  });
});
