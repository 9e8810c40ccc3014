/**
 * Reads and checks model-manifest.json. The manifest is hand-edited and may come from a self-hosted
 * mirror, so every field is checked up front and a mistake is reported with its exact path
 * (`models[1].stages.unet.inputs.timestep.type must be one of ...`), never discovered mid-download.
 */
import { PipelineError } from '../errors.js';
import {
  WASM_MAX_HEAP_BYTES,
  type ImageSizeRange,
  type Manifest,
  type ModelEntry,
  type ModelFile,
  type ModelRequirements,
  type StageTensorTable,
  type StageSessionOptions,
  type TensorElementType,
  type TensorSpec,
  type WasmRequirements,
  type WidenedRequirements,
  type WebGpuRequirements,
} from './manifest-types.js';
import { SPATIAL_DIMENSION_NAMES } from './sized-model-entry.js';

export class ManifestError extends PipelineError {
  override name = 'ManifestError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('manifest', message, options);
  }
}

const DEFAULT_SOURCE = 'model-manifest.json';
const ELEMENT_TYPES: readonly TensorElementType[] = ['float32', 'float16', 'int32', 'int64'];
const FLOAT_TYPES: readonly TensorElementType[] = ['float32', 'float16'];
const INTEGER_TYPES: readonly TensorElementType[] = ['int32', 'int64'];

/**
 * The element types each stage's inputs and outputs may have: what the stage runs can feed and read. The
 * manifest parser checks entries against it, and so does the check of a user's own files.
 */
export const STAGE_TENSOR_TYPES = {
  textEncoder: { inputs: { inputIds: INTEGER_TYPES }, outputs: { hiddenStates: FLOAT_TYPES } },
  unet: {
    inputs: { sample: FLOAT_TYPES, timestep: ELEMENT_TYPES, encoderHiddenStates: FLOAT_TYPES },
    outputs: { noisePred: FLOAT_TYPES },
  },
  vaeDecoder: { inputs: { latentSample: FLOAT_TYPES }, outputs: { sample: FLOAT_TYPES } },
  vaeEncoder: { inputs: { sample: FLOAT_TYPES }, outputs: { latentSample: FLOAT_TYPES } },
} as const satisfies StageTensorTable<readonly TensorElementType[]>;
const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
const WEIGHT_PRECISIONS = ['fp32', 'fp16'] as const;
const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Checks `json` against the manifest schema and returns a clean copy holding only known fields.
 * @param source names the manifest in error messages (its URL when loaded).
 */
export function parseManifest(json: unknown, source = DEFAULT_SOURCE): Manifest {
  const root = new Field(source, '', json);
  root.allowOnly(['version', 'defaultModel', 'models']);
  const version = root.get('version').integer();
  if (version !== 1) root.get('version').fail(`must be 1 (got ${describe(version)})`);
  const models = root.get('models').array().map(parseModel);
  if (models.length === 0) root.get('models').fail('must list at least one model');
  rejectDuplicateIds(root.get('models'), models);
  const defaultModel = root.get('defaultModel').string();
  if (!models.some((model) => model.id === defaultModel)) {
    root.get('defaultModel').fail(`"${defaultModel}" is not the id of a model (known: ${knownIds(models)})`);
  }
  return { version: 1, defaultModel, models };
}

/** The model with this id; the error lists the ids the manifest knows. */
export function getModel(manifest: Manifest, id: string): ModelEntry {
  const model = manifest.models.find((entry) => entry.id === id);
  if (!model)
    throw new ManifestError(`Unknown model "${id}"; the manifest has: ${knownIds(manifest.models)}.`);
  return model;
}

/**
 * The absolute URL of one of a model's files. The model's `baseUrl` may be relative to the manifest's
 * URL; a mirror base, when given, replaces `baseUrl` and keeps the file's path under it.
 */
export function resolveFileUrl(
  model: ModelEntry,
  file: ModelFile,
  manifestUrl: string,
  mirrorBaseUrl?: string,
): string {
  const base = mirrorBaseUrl === undefined ? model.baseUrl : withTrailingSlash(mirrorBaseUrl);
  return new URL(file.path, new URL(base, absoluteUrl(manifestUrl))).href;
}

export type FetchLike = (url: string) => Promise<Response>;

/** Fetches and parses the manifest; network, HTTP and JSON failures name the URL. */
export async function loadManifest(url: string, fetchImpl: FetchLike = fetch): Promise<Manifest> {
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (error) {
    throw new ManifestError(`Could not fetch the model manifest ${url}: ${errorText(error)}`, {
      cause: error,
    });
  }
  if (!response.ok) {
    const status = `${response.status} ${response.statusText}`.trim();
    throw new ManifestError(`Could not fetch the model manifest ${url}: HTTP ${status}`);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    throw new ManifestError(`The model manifest ${url} is not valid JSON: ${errorText(error)}`, {
      cause: error,
    });
  }
  return parseManifest(json, url);
}

function parseModel(field: Field): ModelEntry {
  field.allowOnly([
    'id',
    'name',
    'baseUrl',
    'weights',
    'tokenizer',
    'hiddenSize',
    'latent',
    'image',
    'sizes',
    'vaeScalingFactor',
    'requires',
    'stages',
    'license',
  ]);
  const id = field.get('id').string();
  if (!MODEL_ID_PATTERN.test(id)) {
    field.get('id').fail(`must be lower-case letters, digits, '.', '_' or '-' (got ${describe(id)})`);
  }
  const baseUrl = field.get('baseUrl').string();
  if (!baseUrl.endsWith('/')) field.get('baseUrl').fail(`must end with '/' (got ${describe(baseUrl)})`);
  const tokenizer = field.get('tokenizer');
  tokenizer.allowOnly(['maxLength', 'padId']);
  const license = field.get('license');
  const weights = field.get('weights').oneOf(WEIGHT_PRECISIONS);
  const model: ModelEntry = {
    id,
    name: field.get('name').string(),
    baseUrl,
    weights,
    tokenizer: {
      maxLength: tokenizer.get('maxLength').positiveInteger(),
      padId: tokenizer.get('padId').integer(0),
    },
    hiddenSize: field.get('hiddenSize').positiveInteger(),
    latent: parseSize(field.get('latent'), ['channels', 'height', 'width']),
    image: parseSize(field.get('image'), ['height', 'width']),
    vaeScalingFactor: field.get('vaeScalingFactor').positiveNumber(),
    requires: parseRequirements(field.get('requires'), weights),
    stages: parseStages(field.get('stages')),
  };
  if (license.isPresent()) model.license = license.string();
  const sizes = field.get('sizes');
  if (sizes.isPresent()) model.sizes = parseSizeRange(sizes, model);
  return model;
}

/**
 * A size range is only as good as the graphs: every side a multiple of the VAE's factor (image / latent),
 * the default size inside it, and symbolic height and width in each spatial stage for ORT to fix.
 */
function parseSizeRange(field: Field, model: ModelEntry): ImageSizeRange {
  field.allowOnly(['min', 'max', 'step']);
  const range = {
    min: field.get('min').positiveInteger(),
    max: field.get('max').positiveInteger(),
    step: field.get('step').positiveInteger(),
  };
  const factor = model.image.width / model.latent.width;
  if (!Number.isInteger(factor) || factor !== model.image.height / model.latent.height) {
    field.fail(`needs image / latent to be one whole factor on both sides (got ${describe(factor)})`);
  }
  if (range.step % factor !== 0) {
    field
      .get('step')
      .fail(`must be a multiple of ${factor}, the VAE's image / latent factor (got ${range.step})`);
  }
  for (const key of ['min', 'max'] as const) {
    if (range[key] % range.step !== 0) {
      field.get(key).fail(`must be a multiple of step ${range.step} (got ${range[key]})`);
    }
  }
  if (range.max < range.min) field.get('max').fail(`must be at least min ${range.min} (got ${range.max})`);
  for (const side of ['width', 'height'] as const) {
    const size = model.image[side];
    if (size % range.step !== 0 || size < range.min || size > range.max) {
      field.fail(
        `must include the default image ${side} ${size} (a multiple of ${range.step} from ${range.min} to ${range.max})`,
      );
    }
  }
  for (const stage of ['unet', 'vaeDecoder', 'vaeEncoder'] as const) {
    const spec = model.stages[stage];
    if (!spec) continue;
    const overrides = spec.session?.freeDimensionOverrides ?? {};
    const missing = (['height', 'width'] as const).filter(
      (side) => !SPATIAL_DIMENSION_NAMES[side].some((name) => name in overrides),
    );
    if (missing.length > 0) {
      field.fail(
        `needs symbolic ${missing.join(' and ')} in every stage that sees images or latents: ` +
          `stages.${stage}.session.freeDimensionOverrides names none of ${missing
            .flatMap((side) => SPATIAL_DIMENSION_NAMES[side])
            .join(', ')}`,
      );
    }
  }
  return range;
}

function parseRequirements(field: Field, weights: ModelEntry['weights']): ModelRequirements {
  field.allowOnly(['webgpu', 'wasm']);
  const requirements: ModelRequirements = {
    webgpu: field.get('webgpu').falseOr(parseWebGpuRequirements),
    wasm: field.get('wasm').falseOr(parseWasmRequirements),
  };
  if (!requirements.webgpu && !requirements.wasm) {
    field.fail('must let the model run on at least one provider (webgpu or wasm is false in both)');
  }
  if (weights === 'fp16' && requirements.webgpu && !requirements.webgpu.shaderF16) {
    field
      .get('webgpu')
      .get('shaderF16')
      .fail('must be true for FP16 weights (without shader-f16, WebGPU computes them wrong)');
  }
  if (weights === 'fp32' && requirements.webgpu && requirements.webgpu.fp32Widened) {
    field
      .get('webgpu')
      .get('fp32Widened')
      .fail('applies to FP16 weights only (FP32 weights need no widening)');
  }
  return requirements;
}

function parseWebGpuRequirements(field: Field): WebGpuRequirements {
  field.allowOnly(['shaderF16', 'maxStorageBufferBindingSize', 'maxBufferSize', 'fp32Widened']);
  const requirements: WebGpuRequirements = {
    shaderF16: field.get('shaderF16').boolean(),
    ...parseBufferLimits(field),
  };
  const widened = field.get('fp32Widened');
  if (widened.isPresent()) requirements.fp32Widened = parseWidenedRequirements(widened, requirements);
  return requirements;
}

function parseBufferLimits(
  field: Field,
): Pick<WebGpuRequirements, 'maxStorageBufferBindingSize' | 'maxBufferSize'> {
  const limits = {
    maxStorageBufferBindingSize: field.get('maxStorageBufferBindingSize').positiveInteger(),
    maxBufferSize: field.get('maxBufferSize').positiveInteger(),
  };
  if (limits.maxBufferSize < limits.maxStorageBufferBindingSize) {
    field
      .get('maxBufferSize')
      .fail(
        `must be at least maxStorageBufferBindingSize (${limits.maxStorageBufferBindingSize}): ` +
          'a binding lies inside one buffer',
      );
  }
  return limits;
}

function parseWidenedRequirements(field: Field, fp16: WebGpuRequirements): WidenedRequirements {
  field.allowOnly(['maxStorageBufferBindingSize', 'maxBufferSize', 'weightBytes']);
  const widened = { ...parseBufferLimits(field), weightBytes: field.get('weightBytes').positiveInteger() };
  if (widened.maxStorageBufferBindingSize < fp16.maxStorageBufferBindingSize) {
    field
      .get('maxStorageBufferBindingSize')
      .fail(
        `must be at least the FP16 form's (${fp16.maxStorageBufferBindingSize}): widened tensors are larger`,
      );
  }
  return widened;
}

function parseWasmRequirements(field: Field): WasmRequirements {
  field.allowOnly(['heapBytes', 'heapBytesPerImage']);
  const heapBytes = field.get('heapBytes').positiveInteger();
  const perImage = field.get('heapBytesPerImage');
  if (heapBytes > WASM_MAX_HEAP_BYTES) {
    field
      .get('heapBytes')
      .fail(
        `must be at most ${WASM_MAX_HEAP_BYTES}, the 4 GiB a wasm heap can hold ` +
          `(got ${heapBytes}); a model that needs more sets "wasm": false`,
      );
  }
  return perImage.isPresent() ? { heapBytes, heapBytesPerImage: perImage.positiveInteger() } : { heapBytes };
}

function parseSize<Key extends string>(field: Field, keys: readonly Key[]): Record<Key, number> {
  field.allowOnly(keys);
  return Object.fromEntries(keys.map((key) => [key, field.get(key).positiveInteger()])) as Record<
    Key,
    number
  >;
}

function parseStages(field: Field): ModelEntry['stages'] {
  field.allowOnly(['textEncoder', 'unet', 'vaeDecoder', 'vaeEncoder']);
  const textEncoder = field.get('textEncoder');
  const unet = field.get('unet');
  const vaeDecoder = field.get('vaeDecoder');
  const types = STAGE_TENSOR_TYPES;
  const stages: ModelEntry['stages'] = {
    textEncoder: {
      ...parseStageCommon(textEncoder, ['inputIds'], ['hiddenStates']),
      inputs: {
        inputIds: parseTensor(textEncoder.get('inputs').get('inputIds'), types.textEncoder.inputs.inputIds),
      },
      outputs: {
        hiddenStates: parseTensor(
          textEncoder.get('outputs').get('hiddenStates'),
          types.textEncoder.outputs.hiddenStates,
        ),
      },
    },
    unet: {
      ...parseStageCommon(unet, ['sample', 'timestep', 'encoderHiddenStates'], ['noisePred']),
      inputs: {
        sample: parseTensor(unet.get('inputs').get('sample'), types.unet.inputs.sample),
        timestep: parseTensor(unet.get('inputs').get('timestep'), types.unet.inputs.timestep),
        encoderHiddenStates: parseTensor(
          unet.get('inputs').get('encoderHiddenStates'),
          types.unet.inputs.encoderHiddenStates,
        ),
      },
      outputs: { noisePred: parseTensor(unet.get('outputs').get('noisePred'), types.unet.outputs.noisePred) },
    },
    vaeDecoder: {
      ...parseStageCommon(vaeDecoder, ['latentSample'], ['sample']),
      inputs: {
        latentSample: parseTensor(
          vaeDecoder.get('inputs').get('latentSample'),
          types.vaeDecoder.inputs.latentSample,
        ),
      },
      outputs: {
        sample: parseTensor(vaeDecoder.get('outputs').get('sample'), types.vaeDecoder.outputs.sample),
      },
    },
  };
  const vaeEncoder = field.get('vaeEncoder');
  if (vaeEncoder.isPresent()) {
    stages.vaeEncoder = {
      ...parseStageCommon(vaeEncoder, ['sample'], ['latentSample']),
      inputs: { sample: parseTensor(vaeEncoder.get('inputs').get('sample'), types.vaeEncoder.inputs.sample) },
      outputs: {
        latentSample: parseTensor(
          vaeEncoder.get('outputs').get('latentSample'),
          types.vaeEncoder.outputs.latentSample,
        ),
      },
    };
  }
  // The text encoder's output tensor is handed to the UNet as is (it stays on the GPU): no cast between.
  const hiddenType = stages.textEncoder.outputs.hiddenStates.type;
  if (stages.unet.inputs.encoderHiddenStates.type !== hiddenType) {
    unet
      .get('inputs')
      .get('encoderHiddenStates')
      .get('type')
      .fail(`must equal textEncoder.outputs.hiddenStates.type ("${hiddenType}"), whose tensor it receives`);
  }
  return stages;
}

/** Checks the keys every stage shares and returns its file and session options. */
function parseStageCommon(
  field: Field,
  inputKeys: readonly string[],
  outputKeys: readonly string[],
): { file: ModelFile; session?: StageSessionOptions } {
  field.allowOnly(['file', 'inputs', 'outputs', 'session']);
  field.get('inputs').allowOnly(inputKeys);
  field.get('outputs').allowOnly(outputKeys);
  const session = field.get('session');
  const file = parseFile(field.get('file'));
  return session.isPresent() ? { file, session: parseSessionOptions(session) } : { file };
}

function parseTensor(field: Field, allowedTypes: readonly TensorElementType[]): TensorSpec {
  field.allowOnly(['name', 'type']);
  return { name: field.get('name').string(), type: field.get('type').oneOf(allowedTypes) };
}

function parseFile(field: Field): ModelFile {
  field.allowOnly(['path', 'bytes', 'approxBytes', 'sha256']);
  const path = field.get('path').string();
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/') || path.split('/').includes('..')) {
    field.get('path').fail(`must be a relative path under the model's baseUrl (got ${describe(path)})`);
  }
  const file: ModelFile = { path };
  const bytes = field.get('bytes');
  const approxBytes = field.get('approxBytes');
  const sha256 = field.get('sha256');
  if (bytes.isPresent()) file.bytes = bytes.positiveInteger();
  if (approxBytes.isPresent()) file.approxBytes = approxBytes.positiveInteger();
  if (file.bytes === undefined && file.approxBytes === undefined)
    field.fail('needs "bytes" or "approxBytes"');
  if (sha256.isPresent()) {
    const hash = sha256.string();
    if (!SHA256_PATTERN.test(hash)) sha256.fail(`must be 64 lower-case hex digits (got ${describe(hash)})`);
    file.sha256 = hash;
  }
  return file;
}

function parseSessionOptions(field: Field): StageSessionOptions {
  field.allowOnly(['freeDimensionOverrides', 'graphOptimizationLevel']);
  const options: StageSessionOptions = {};
  const overrides = field.get('freeDimensionOverrides');
  if (overrides.isPresent()) {
    options.freeDimensionOverrides = Object.fromEntries(
      overrides.keys().map((name) => [name, overrides.get(name).positiveInteger()]),
    );
  }
  const level = field.get('graphOptimizationLevel');
  if (level.isPresent()) options.graphOptimizationLevel = level.oneOf(OPTIMIZATION_LEVELS);
  return options;
}

function rejectDuplicateIds(modelsField: Field, models: readonly ModelEntry[]): void {
  models.forEach((model, index) => {
    const first = models.findIndex((other) => other.id === model.id);
    if (first !== index) {
      modelsField.at(index).get('id').fail(`"${model.id}" is already the id of models[${first}]`);
    }
  });
}

/** A value at a path in the manifest, with typed accessors that fail with that path. */
class Field {
  constructor(
    private readonly source: string,
    private readonly path: string,
    private readonly value: unknown,
  ) {}

  fail(problem: string): never {
    throw new ManifestError(`${this.source}: ${this.path || 'the top level'} ${problem}`);
  }

  isPresent(): boolean {
    return this.value !== undefined;
  }

  get(key: string): Field {
    return new Field(this.source, this.path ? `${this.path}.${key}` : key, this.object()[key]);
  }

  at(index: number): Field {
    return new Field(this.source, `${this.path}[${index}]`, this.arrayValue()[index]);
  }

  keys(): string[] {
    return Object.keys(this.object());
  }

  /** Rejects unknown keys, which are most often typos ("sha265") that would otherwise be ignored. */
  allowOnly(keys: readonly string[]): void {
    const unknown = this.keys().find((key) => !keys.includes(key));
    if (unknown !== undefined) this.fail(`has an unknown field "${unknown}" (allowed: ${keys.join(', ')})`);
  }

  /** `false` (the provider cannot run the model), or an object that `parse` reads. */
  falseOr<T>(parse: (field: Field) => T): T | false {
    if (this.value === false) return false;
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) {
      this.expected('false or an object');
    }
    return parse(this);
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.expected('true or false');
    return this.value;
  }

  array(): Field[] {
    return this.arrayValue().map((_, index) => this.at(index));
  }

  string(): string {
    if (typeof this.value !== 'string' || this.value === '') this.expected('a non-empty string');
    return this.value;
  }

  integer(minimum = Number.MIN_SAFE_INTEGER): number {
    if (!Number.isSafeInteger(this.value) || (this.value as number) < minimum) {
      this.expected(minimum === 0 ? 'a non-negative integer' : 'an integer');
    }
    return this.value as number;
  }

  positiveInteger(): number {
    if (!Number.isSafeInteger(this.value) || (this.value as number) <= 0) this.expected('a positive integer');
    return this.value as number;
  }

  positiveNumber(): number {
    if (typeof this.value !== 'number' || !Number.isFinite(this.value) || this.value <= 0) {
      this.expected('a positive number');
    }
    return this.value;
  }

  oneOf<T extends string>(options: readonly T[]): T {
    if (!options.includes(this.value as T)) {
      this.fail(`must be one of ${options.join(', ')} (got ${describe(this.value)})`);
    }
    return this.value as T;
  }

  private object(): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) {
      this.expected('an object');
    }
    return this.value as Record<string, unknown>;
  }

  private arrayValue(): unknown[] {
    if (!Array.isArray(this.value)) this.expected('an array');
    return this.value;
  }

  private expected(what: string): never {
    if (this.value === undefined) this.fail(`is missing (expected ${what})`);
    this.fail(`must be ${what} (got ${describe(this.value)})`);
  }
}

/** A short rendering of an offending value for messages. */
function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function knownIds(models: readonly { id: string }[]): string {
  return models.map((model) => model.id).join(', ');
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** A relative manifest URL ('/model-manifest.json') is taken relative to the page, where there is one. */
function absoluteUrl(url: string): string {
  const pageUrl = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(url, pageUrl).href;
  } catch {
    throw new ManifestError(
      `The manifest URL ${describe(url)} must be absolute here (there is no page URL).`,
    );
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
