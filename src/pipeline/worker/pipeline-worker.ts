/// <reference lib="webworker" />
/**
 * The dedicated Worker that owns the downloader's store and the pipeline, so the page's main thread
 * stays free while weights load and images are made. Speaks worker-protocol.ts; this file only routes
 * each request to its handler in pipeline-host.ts and posts the answer back.
 */
import { importLocalModel } from '../storage/local-files/index.js';
import { tokenizePrompt } from '../text/tokenizer.js';
import {
  catalog,
  deviceCapabilities,
  download,
  enqueueBatch,
  enqueueGeneration,
  load,
  modelFor,
  registry,
  simulateDeviceLoss,
  store,
  type ImageReporter,
  type Reporter,
} from './pipeline-host.js';
import {
  serializeError,
  type RequestMessage,
  type WorkerMessage,
  type WorkerResults,
} from './worker-protocol.js';

declare const self: DedicatedWorkerGlobalScope;

const running = new Map<number, AbortController>();

async function dispatch(
  request: RequestMessage,
  signal: AbortSignal,
  report: Reporter,
  reportImage: ImageReporter,
): Promise<WorkerResults[keyof WorkerResults]> {
  switch (request.kind) {
    case 'download':
      return download(
        await modelFor(request.source),
        request.source,
        request.provider,
        request.webnnDeviceType,
        signal,
        report,
      );
    case 'load':
      return load(request, signal, report, post);
    case 'generate':
      return enqueueGeneration(request, signal, reportImage);
    case 'generate-batch':
      return enqueueBatch(request, signal);
    case 'tokenize': {
      const { tokenCount, maxTokens, truncated, keptText, droppedText } = await tokenizePrompt(
        request.prompt,
        {
          maxLength: request.maxLength,
        },
      );
      return { tokenCount, maxTokens, truncated, keptText, droppedText };
    }
    case 'device-capabilities':
      return deviceCapabilities(request.webnnDeviceType);
    case 'manifest':
      return catalog.manifest(request.manifestUrl);
    case 'stored-models':
      return catalog.stored(request.manifestUrl);
    case 'delete-model':
      await catalog.delete(request.source.modelId);
      return null;
    case 'import-local-model': {
      const { files, imageSize, name } = request;
      return importLocalModel(files, { store, registry, imageSize, name, signal, onProgress: report });
    }
    case 'simulate-device-loss':
      return simulateDeviceLoss();
    case 'cancel':
      running.get(request.target)?.abort();
      return null;
  }
}

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

self.addEventListener('message', (event: MessageEvent<RequestMessage>) => {
  const request = event.data;
  const controller = new AbortController();
  running.set(request.id, controller);
  const report: Reporter = (progress) => post({ id: request.id, type: 'progress', progress });
  const reportImage: ImageReporter = (progress) => post({ id: request.id, type: 'image-progress', progress });
  dispatch(request, controller.signal, report, reportImage)
    .then((value) => {
      const transfer = (Array.isArray(value) ? value : [value]).flatMap((item) =>
        item && typeof item === 'object' && 'bitmap' in item ? [item.bitmap] : [],
      );
      post({ id: request.id, type: 'result', value }, transfer);
    })
    .catch((error: unknown) => post({ id: request.id, type: 'error', error: serializeError(error) }))
    .finally(() => running.delete(request.id));
});
