import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineError } from '../src/pipeline/errors';
import {
  ManifestError,
  getModel,
  loadManifest,
  parseManifest,
  resolveFileUrl,
} from '../src/pipeline/model/manifest';

const MANIFEST_TEXT = readFileSync(join(import.meta.dirname, '..', 'model-manifest.json'), 'utf8');

/** A fresh, mutable copy of the repository's manifest JSON. */
// The JSON is deliberately untyped here: the tests break it in ways the Manifest type forbids.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function manifestJson(): any {
  return JSON.parse(MANIFEST_TEXT);
}

describe('model-manifest.json', () => {
  const manifest = parseManifest(manifestJson());

  it('defaults to the real SD-Turbo export, followed by the tiny sets and the WebNN export', () => {
    expect(manifest.defaultModel).toBe('sd-turbo');
    expect(manifest.models.map((model) => model.id)).toEqual([
      'sd-turbo',
      'tiny-fp32',
      'tiny-fp16',
      'tiny-mixed',
      'tiny-webnn-fp32',
      'sd-turbo-webnn',
    ]);
  });

  it('describes microsoft/sd-turbo-webnn with its mixed IO: FP16 text encoder and UNet, FP32 VAE', () => {
    const model = getModel(manifest, 'sd-turbo-webnn');
    const { textEncoder, unet, vaeDecoder } = model.stages;
    expect(model.weights).toBe('fp16');
    expect(textEncoder.file.path).toBe('text_encoder/model_layernorm.onnx');
    expect(unet.file.path).toBe('unet/model_layernorm.onnx');
    expect(vaeDecoder.file.path).toBe('vae_decoder/model.onnx');
    expect(textEncoder.inputs.inputIds).toEqual({ name: 'input_ids', type: 'int32' });
    expect(textEncoder.outputs.hiddenStates).toEqual({ name: 'last_hidden_state', type: 'float16' });
    expect(unet.inputs).toEqual({
      sample: { name: 'sample', type: 'float16' },
      timestep: { name: 'timestep', type: 'float16' },
      encoderHiddenStates: { name: 'encoder_hidden_states', type: 'float16' },
    });
    expect(unet.outputs.noisePred).toEqual({ name: 'out_sample', type: 'float16' });
    expect(vaeDecoder.inputs.latentSample).toEqual({ name: 'latent_sample', type: 'float32' });
    expect(vaeDecoder.outputs.sample).toEqual({ name: 'sample', type: 'float32' });
    expect(vaeDecoder.session?.freeDimensionOverrides).toEqual({
      batch: 1,
      channels: 4,
      height: 64,
      width: 64,
    });
    // No public source gives the exact sizes or digests: approximate sizes only, nothing to verify against.
    for (const { file } of [textEncoder, unet, vaeDecoder]) {
      expect(file.bytes).toBeUndefined();
      expect(file.sha256).toBeUndefined();
      expect(file.approxBytes).toBeGreaterThan(0);
    }
  });

  it("has an FP32 form of sd-turbo-webnn's IO that SwiftShader can run: the same names, FP32 floats", () => {
    const webnn = getModel(manifest, 'sd-turbo-webnn').stages;
    const fp32 = getModel(manifest, 'tiny-webnn-fp32');
    const { textEncoder, unet, vaeDecoder } = fp32.stages;
    expect(fp32.requires.webgpu && fp32.requires.webgpu.shaderF16).toBe(false);
    expect(textEncoder.inputs).toEqual(webnn.textEncoder.inputs); // int32 input_ids
    expect(unet.inputs.timestep).toEqual({ name: 'timestep', type: 'float32' }); // float, not int64
    expect(unet.outputs.noisePred.name).toBe(webnn.unet.outputs.noisePred.name);
    expect(vaeDecoder.inputs).toEqual(webnn.vaeDecoder.inputs);
    expect(vaeDecoder.outputs).toEqual(webnn.vaeDecoder.outputs);
    // Static shapes: nothing to override; graph optimizations off, as the export's manifest entry has them.
    for (const stage of [textEncoder, unet, vaeDecoder])
      expect(stage.session?.freeDimensionOverrides).toBeUndefined();
    expect(textEncoder.session?.graphOptimizationLevel).toBe(
      webnn.textEncoder.session?.graphOptimizationLevel,
    );
    expect(unet.session?.graphOptimizationLevel).toBe(webnn.unet.session?.graphOptimizationLevel);
  });

  it('has a tiny stand-in with the same mixed IO', () => {
    const { textEncoder, unet, vaeDecoder } = getModel(manifest, 'tiny-mixed').stages;
    expect(textEncoder.outputs.hiddenStates.type).toBe('float16');
    expect([unet.inputs.sample.type, unet.inputs.timestep.type, unet.outputs.noisePred.type]).toEqual([
      'float16',
      'float16',
      'float16',
    ]);
    expect([vaeDecoder.inputs.latentSample.type, vaeDecoder.outputs.sample.type]).toEqual([
      'float32',
      'float32',
    ]);
  });

  it('describes schmuell/sd-turbo-ort-web with its published names, types and sizes, pinned to a revision', () => {
    const model = getModel(manifest, 'sd-turbo');
    expect(model).toMatchObject({
      baseUrl:
        'https://huggingface.co/schmuell/sd-turbo-ort-web/resolve/ace89b7d2cd849f9a73914cdbb8a3ea60c853dd1/',
      weights: 'fp16',
      tokenizer: { maxLength: 77, padId: 0 },
      hiddenSize: 1024,
      latent: { channels: 4, height: 64, width: 64 },
      image: { height: 512, width: 512 },
      vaeScalingFactor: 0.18215,
    });
    const { textEncoder, unet, vaeDecoder } = model.stages;
    expect(textEncoder.inputs.inputIds).toEqual({ name: 'input_ids', type: 'int32' });
    expect(textEncoder.outputs.hiddenStates).toEqual({ name: 'last_hidden_state', type: 'float32' });
    expect(unet.inputs).toEqual({
      sample: { name: 'sample', type: 'float32' },
      timestep: { name: 'timestep', type: 'int64' },
      encoderHiddenStates: { name: 'encoder_hidden_states', type: 'float32' },
    });
    expect(unet.outputs.noisePred).toEqual({ name: 'out_sample', type: 'float32' });
    expect(vaeDecoder.inputs.latentSample).toEqual({ name: 'latent_sample', type: 'float32' });
    expect(vaeDecoder.outputs.sample).toEqual({ name: 'sample', type: 'float32' });
    expect(textEncoder.session?.freeDimensionOverrides).toEqual({ batch_size: 1 });
    expect(unet.session?.freeDimensionOverrides).toEqual({
      batch_size: 1,
      num_channels: 4,
      height: 64,
      width: 64,
      sequence_length: 77,
    });
    expect(vaeDecoder.session?.freeDimensionOverrides).toEqual({
      batch_size: 1,
      num_channels_latent: 4,
      height_latent: 64,
      width_latent: 64,
    });
    // Exact sizes of the files at that revision; no public SHA-256 exists, so none is claimed.
    expect([textEncoder, unet, vaeDecoder].map((stage) => stage.file)).toEqual([
      { path: 'text_encoder/model.onnx', bytes: 681_393_168 },
      { path: 'unet/model.onnx', bytes: 1_733_430_199 },
      { path: 'vae_decoder/model.onnx', bytes: 99_094_314 },
    ]);
  });

  it('states each model\'s requirements as docs/models.md "Model requirements" derives them', () => {
    expect(getModel(manifest, 'sd-turbo').requires).toEqual({
      // UNet attention scores 1x5x4096x4096 in FP16; FP16 weights; the FP16 UNet alone failed on wasm.
      webgpu: {
        shaderF16: true,
        maxStorageBufferBindingSize: 5 * 4096 * 4096 * 2,
        maxBufferSize: 167772160,
        // Without shader-f16: the same tensors in FP32, and the three files' weights twice over.
        fp32Widened: {
          maxStorageBufferBindingSize: 5 * 4096 * 4096 * 4,
          maxBufferSize: 335544320,
          weightBytes: 2 * (681_393_168 + 1_733_430_199 + 99_094_314),
        },
      },
      wasm: false,
    });
    // The largest tensor of a tiny model is its 49408 x 32 token embedding.
    expect(getModel(manifest, 'tiny-fp32').requires).toEqual({
      webgpu: { shaderF16: false, maxStorageBufferBindingSize: 49408 * 32 * 4, maxBufferSize: 6324224 },
      // Each further image of a batch: measured 0.7 MiB (onnxruntime-node's peak growth), stated as 2 MiB.
      wasm: { heapBytes: 64 * 1024 ** 2, heapBytesPerImage: 2 * 1024 ** 2 },
    });
    expect(getModel(manifest, 'tiny-fp16').requires).toEqual({
      webgpu: {
        shaderF16: true,
        maxStorageBufferBindingSize: 49408 * 32 * 2,
        maxBufferSize: 3162112,
        fp32Widened: {
          maxStorageBufferBindingSize: 49408 * 32 * 4,
          maxBufferSize: 6324224,
          weightBytes: 6664966,
        },
      },
      wasm: { heapBytes: 64 * 1024 ** 2, heapBytesPerImage: 2 * 1024 ** 2 },
    });
  });

  it('declares image sizes for the models whose spatial dimensions are symbolic, and none for WebNN', () => {
    const sizes = Object.fromEntries(manifest.models.map((model) => [model.id, model.sizes]));
    expect(sizes).toEqual({
      'sd-turbo': { min: 256, max: 1024, step: 64 },
      'tiny-fp32': { min: 64, max: 256, step: 64 },
      'tiny-fp16': { min: 64, max: 256, step: 64 },
      'tiny-mixed': { min: 64, max: 256, step: 64 },
      'tiny-webnn-fp32': undefined,
      'sd-turbo-webnn': undefined,
    });
  });

  it('gives the FP16 tiny set float16 IO and a float16 timestep', () => {
    const { unet, textEncoder } = getModel(manifest, 'tiny-fp16').stages;
    expect(unet.inputs.timestep.type).toBe('float16');
    expect(unet.inputs.sample.type).toBe('float16');
    expect(textEncoder.inputs.inputIds.type).toBe('int32');
  });
});

describe('parseManifest rejects', () => {
  const source = 'model-manifest.json';
  // Each case breaks one field of a valid manifest and names the exact message expected.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cases: [string, (json: any) => unknown, string][] = [
    [
      'a missing field',
      (json) => delete json.models[1].stages.unet.file.path,
      'models[1].stages.unet.file.path is missing (expected a non-empty string)',
    ],
    [
      'a field of the wrong type',
      (json) => (json.models[0].hiddenSize = '1024'),
      'models[0].hiddenSize must be a positive integer (got "1024")',
    ],
    [
      'an unknown element type',
      (json) => (json.models[1].stages.unet.inputs.timestep.type = 'fp32'),
      'models[1].stages.unet.inputs.timestep.type must be one of float32, float16, int32, int64 (got "fp32")',
    ],
    [
      'an integer type where floats flow',
      (json) => (json.models[0].stages.vaeDecoder.outputs.sample.type = 'int32'),
      'models[0].stages.vaeDecoder.outputs.sample.type must be one of float32, float16 (got "int32")',
    ],
    [
      'float token ids',
      (json) => (json.models[0].stages.textEncoder.inputs.inputIds.type = 'float32'),
      'models[0].stages.textEncoder.inputs.inputIds.type must be one of int32, int64 (got "float32")',
    ],
    [
      'duplicate model ids',
      (json) => (json.models[2].id = 'tiny-fp32'),
      'models[2].id "tiny-fp32" is already the id of models[1]',
    ],
    [
      'a defaultModel that is not in models',
      (json) => (json.defaultModel = 'sd-xl'),
      'defaultModel "sd-xl" is not the id of a model (known: sd-turbo, tiny-fp32, tiny-fp16, tiny-mixed, tiny-webnn-fp32, sd-turbo-webnn)',
    ],
    [
      'a zero size',
      (json) => (json.models[1].latent.height = 0),
      'models[1].latent.height must be a positive integer (got 0)',
    ],
    [
      'a size step the VAE cannot make',
      (json) => (json.models[1].sizes.step = 60),
      "models[1].sizes.step must be a multiple of 8, the VAE's image / latent factor (got 60)",
    ],
    [
      'a largest size off the step',
      (json) => (json.models[1].sizes.max = 250),
      'models[1].sizes.max must be a multiple of step 64 (got 250)',
    ],
    [
      'a size range upside down',
      (json) => Object.assign(json.models[1].sizes, { min: 128, max: 64 }),
      'models[1].sizes.max must be at least min 128 (got 64)',
    ],
    [
      'a size range without the default size',
      (json) => (json.models[1].sizes.min = 128),
      'models[1].sizes must include the default image width 64 (a multiple of 64 from 128 to 256)',
    ],
    [
      'sizes for graphs whose spatial dimensions are fixed',
      (json) => (json.models[4].sizes = { min: 64, max: 128, step: 64 }),
      'models[4].sizes needs symbolic height and width in every stage that sees images or latents: ' +
        'stages.unet.session.freeDimensionOverrides names none of height, height_latent, width, width_latent',
    ],
    [
      'a misspelt size field',
      (json) => (json.models[1].sizes.steps = 64),
      'models[1].sizes has an unknown field "steps" (allowed: min, max, step)',
    ],
    [
      'a negative file size',
      (json) => (json.models[0].stages.unet.file.approxBytes = -1),
      'models[0].stages.unet.file.approxBytes must be a positive integer (got -1)',
    ],
    [
      'a fractional byte count',
      (json) => (json.models[1].stages.vaeDecoder.file.bytes = 1.5),
      'models[1].stages.vaeDecoder.file.bytes must be a positive integer (got 1.5)',
    ],
    [
      'a file with no size at all',
      (json) => delete json.models[0].stages.unet.file.bytes,
      'models[0].stages.unet.file needs "bytes" or "approxBytes"',
    ],
    [
      'an upper-case sha256',
      (json) => (json.models[1].stages.unet.file.sha256 = 'AB'.repeat(32)),
      `models[1].stages.unet.file.sha256 must be 64 lower-case hex digits (got "${'AB'.repeat(32)}")`,
    ],
    [
      'a short sha256',
      (json) => (json.models[1].stages.unet.file.sha256 = 'abc123'),
      'models[1].stages.unet.file.sha256 must be 64 lower-case hex digits (got "abc123")',
    ],
    [
      "a baseUrl without a trailing '/'",
      (json) => (json.models[1].baseUrl = 'models/tiny-fp32'),
      `models[1].baseUrl must end with '/' (got "models/tiny-fp32")`,
    ],
    [
      'a file path that escapes the baseUrl',
      (json) => (json.models[1].stages.unet.file.path = '../unet/model.onnx'),
      `models[1].stages.unet.file.path must be a relative path under the model's baseUrl (got "../unet/model.onnx")`,
    ],
    [
      'an absolute file path',
      (json) => (json.models[1].stages.unet.file.path = 'https://example.com/unet.onnx'),
      `models[1].stages.unet.file.path must be a relative path under the model's baseUrl (got "https://example.com/unet.onnx")`,
    ],
    [
      'a misspelt field',
      (json) => (json.models[0].stages.unet.file.sha265 = 'x'),
      'models[0].stages.unet.file has an unknown field "sha265" (allowed: path, bytes, approxBytes, sha256)',
    ],
    [
      'a non-positive dimension override',
      (json) => (json.models[0].stages.unet.session.freeDimensionOverrides.height = 0),
      'models[0].stages.unet.session.freeDimensionOverrides.height must be a positive integer (got 0)',
    ],
    [
      'an unknown optimisation level',
      (json) => (json.models[0].stages.unet.session.graphOptimizationLevel = 'max'),
      'models[0].stages.unet.session.graphOptimizationLevel must be one of disabled, basic, extended, all (got "max")',
    ],
    [
      'a negative pad id',
      (json) => (json.models[0].tokenizer.padId = -1),
      'models[0].tokenizer.padId must be a non-negative integer (got -1)',
    ],
    [
      'an unknown weight precision',
      (json) => (json.models[0].weights = 'int8'),
      'models[0].weights must be one of fp32, fp16 (got "int8")',
    ],
    [
      'an id unfit for URLs and storage keys',
      (json) => (json.models[0].id = 'SD Turbo'),
      `models[0].id must be lower-case letters, digits, '.', '_' or '-' (got "SD Turbo")`,
    ],
    [
      'a UNet text input typed unlike the text encoder output',
      (json) => (json.models[0].stages.unet.inputs.encoderHiddenStates.type = 'float16'),
      'models[0].stages.unet.inputs.encoderHiddenStates.type must equal textEncoder.outputs.hiddenStates.type ("float32"), whose tensor it receives',
    ],
    [
      'a model without requirements',
      (json) => delete json.models[1].requires,
      'models[1].requires is missing (expected an object)',
    ],
    [
      'a provider requirement that is true instead of an object',
      (json) => (json.models[0].requires.webgpu = true),
      'models[0].requires.webgpu must be false or an object (got true)',
    ],
    [
      'a shaderF16 requirement that is a string',
      (json) => (json.models[1].requires.webgpu.shaderF16 = 'no'),
      'models[1].requires.webgpu.shaderF16 must be true or false (got "no")',
    ],
    [
      'a binding size that is a string',
      (json) => (json.models[0].requires.webgpu.maxStorageBufferBindingSize = '160 MiB'),
      'models[0].requires.webgpu.maxStorageBufferBindingSize must be a positive integer (got "160 MiB")',
    ],
    [
      'a missing buffer size',
      (json) => delete json.models[2].requires.webgpu.maxBufferSize,
      'models[2].requires.webgpu.maxBufferSize is missing (expected a positive integer)',
    ],
    [
      'a buffer smaller than the binding it holds',
      (json) => (json.models[0].requires.webgpu.maxBufferSize = 1024),
      'models[0].requires.webgpu.maxBufferSize must be at least maxStorageBufferBindingSize (167772160): a binding lies inside one buffer',
    ],
    [
      'FP16 weights that do not ask for shader-f16',
      (json) => (json.models[2].requires.webgpu.shaderF16 = false),
      'models[2].requires.webgpu.shaderF16 must be true for FP16 weights (without shader-f16, WebGPU computes them wrong)',
    ],
    [
      'an FP32 form for FP32 weights',
      (json) => (json.models[1].requires.webgpu.fp32Widened = json.models[2].requires.webgpu.fp32Widened),
      'models[1].requires.webgpu.fp32Widened applies to FP16 weights only (FP32 weights need no widening)',
    ],
    [
      'a misspelt field of the FP32 form',
      (json) => (json.models[2].requires.webgpu.fp32Widened.weightsBytes = 1),
      'models[2].requires.webgpu.fp32Widened has an unknown field "weightsBytes" (allowed: maxStorageBufferBindingSize, maxBufferSize, weightBytes)',
    ],
    [
      'an FP32 form without its weight bytes',
      (json) => delete json.models[2].requires.webgpu.fp32Widened.weightBytes,
      'models[2].requires.webgpu.fp32Widened.weightBytes is missing (expected a positive integer)',
    ],
    [
      'an FP32 form whose tensors are smaller than the FP16 ones',
      (json) => (json.models[2].requires.webgpu.fp32Widened.maxStorageBufferBindingSize = 1024),
      "models[2].requires.webgpu.fp32Widened.maxStorageBufferBindingSize must be at least the FP16 form's (3162112): widened tensors are larger",
    ],
    [
      'a wasm requirement that is a number',
      (json) => (json.models[1].requires.wasm = 67108864),
      'models[1].requires.wasm must be false or an object (got 67108864)',
    ],
    [
      'a wasm heap above the 4 GiB wasm32 limit',
      (json) => (json.models[1].requires.wasm.heapBytes = 5 * 1024 ** 3),
      'models[1].requires.wasm.heapBytes must be at most 4294967296, the 4 GiB a wasm heap can hold (got 5368709120); a model that needs more sets "wasm": false',
    ],
    [
      'a misspelt requirement',
      (json) => (json.models[1].requires.wasm.maxHeapBytes = 1),
      'models[1].requires.wasm has an unknown field "maxHeapBytes" (allowed: heapBytes, heapBytesPerImage)',
    ],
    [
      'a per-image heap need that is not a positive integer',
      (json) => (json.models[1].requires.wasm.heapBytesPerImage = 0),
      'models[1].requires.wasm.heapBytesPerImage must be a positive integer (got 0)',
    ],
    [
      'a model no provider can run',
      (json) => (json.models[0].requires.webgpu = false),
      'models[0].requires must let the model run on at least one provider (webgpu or wasm is false in both)',
    ],
    ['an unknown version', (json) => (json.version = 2), 'version must be 1 (got 2)'],
    ['an empty model list', (json) => (json.models = []), 'models must list at least one model'],
    ['models that are not a list', (json) => (json.models = {}), 'models must be an array (got an object)'],
  ];

  it.each(cases)('%s', (_, breakIt, message) => {
    const json = manifestJson();
    breakIt(json);
    expect(() => parseManifest(json)).toThrow(new ManifestError(`${source}: ${message}`));
  });

  it('a document that is not an object', () => {
    expect(() => parseManifest(null)).toThrow(
      'model-manifest.json: the top level must be an object (got null)',
    );
  });

  it('with a ManifestError that is a PipelineError coded "manifest"', () => {
    const json = manifestJson();
    json.version = 2;
    const error = captureError(() => parseManifest(json, 'https://example.com/m.json'));
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ name: 'ManifestError', code: 'manifest' });
    expect((error as Error).message).toBe('https://example.com/m.json: version must be 1 (got 2)');
  });
});

describe('getModel', () => {
  const manifest = parseManifest(manifestJson());

  it('finds a model by id', () => {
    expect(getModel(manifest, 'tiny-fp16').weights).toBe('fp16');
  });

  it('lists the known ids for an unknown one', () => {
    expect(() => getModel(manifest, 'sdxl-turbo')).toThrow(
      new ManifestError(
        'Unknown model "sdxl-turbo"; the manifest has: sd-turbo, tiny-fp32, tiny-fp16, tiny-mixed, tiny-webnn-fp32, sd-turbo-webnn.',
      ),
    );
  });
});

describe('resolveFileUrl', () => {
  const manifest = parseManifest(manifestJson());
  const tiny = getModel(manifest, 'tiny-fp32');
  const real = getModel(manifest, 'sd-turbo');
  const unetFile = tiny.stages.unet.file;

  it('resolves a relative baseUrl against the manifest URL', () => {
    expect(resolveFileUrl(tiny, unetFile, 'http://localhost:5173/model-manifest.json')).toBe(
      'http://localhost:5173/models/tiny-fp32/unet/model.onnx',
    );
    expect(resolveFileUrl(tiny, unetFile, 'https://example.com/app/model-manifest.json?v=2')).toBe(
      'https://example.com/app/models/tiny-fp32/unet/model.onnx',
    );
  });

  it('keeps an absolute baseUrl', () => {
    expect(
      resolveFileUrl(real, real.stages.vaeDecoder.file, 'http://localhost:5173/model-manifest.json'),
    ).toBe(
      'https://huggingface.co/schmuell/sd-turbo-ort-web/resolve/ace89b7d2cd849f9a73914cdbb8a3ea60c853dd1/vae_decoder/model.onnx',
    );
  });

  it('puts the file path under a mirror instead of baseUrl', () => {
    const manifestUrl = 'https://app.example.com/model-manifest.json';
    expect(
      resolveFileUrl(real, real.stages.unet.file, manifestUrl, 'https://cdn.example.org/sd-turbo/'),
    ).toBe('https://cdn.example.org/sd-turbo/unet/model.onnx');
    // A mirror given without its trailing slash still keeps its last segment.
    expect(resolveFileUrl(real, real.stages.unet.file, manifestUrl, 'https://cdn.example.org/sd-turbo')).toBe(
      'https://cdn.example.org/sd-turbo/unet/model.onnx',
    );
    expect(resolveFileUrl(real, real.stages.unet.file, manifestUrl, '/mirror/sd-turbo/')).toBe(
      'https://app.example.com/mirror/sd-turbo/unet/model.onnx',
    );
  });

  it('needs an absolute manifest URL where there is no page to resolve against', () => {
    expect(() => resolveFileUrl(tiny, unetFile, 'model-manifest.json')).toThrow(ManifestError);
  });
});

describe('loadManifest', () => {
  const url = 'https://example.com/model-manifest.json';
  const respond = (response: Response) => async () => response;

  it('fetches and parses', async () => {
    const manifest = await loadManifest(url, respond(new Response(MANIFEST_TEXT)));
    expect(manifest.defaultModel).toBe('sd-turbo');
  });

  it('names the URL and status on an HTTP error', async () => {
    const notFound = new Response('nope', { status: 404, statusText: 'Not Found' });
    await expect(loadManifest(url, respond(notFound))).rejects.toThrow(
      `Could not fetch the model manifest ${url}: HTTP 404 Not Found`,
    );
  });

  it('names the URL on a network error', async () => {
    const offline = async (): Promise<Response> => {
      throw new TypeError('fetch failed');
    };
    await expect(loadManifest(url, offline)).rejects.toThrow(
      `Could not fetch the model manifest ${url}: fetch failed`,
    );
  });

  it('names the URL on invalid JSON', async () => {
    await expect(loadManifest(url, respond(new Response('{"version": 1,')))).rejects.toThrow(
      `The model manifest ${url} is not valid JSON`,
    );
  });

  it('names the URL on an invalid manifest', async () => {
    await expect(loadManifest(url, respond(new Response('{"version": 1}')))).rejects.toThrow(
      `${url}: models is missing (expected an array)`,
    );
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
