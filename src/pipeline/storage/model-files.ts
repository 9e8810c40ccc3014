/**
 * A manifest model's files in the store: reading them, and how much of the model is stored. Both writers
 * (download/ and local-files/) and the worker read models through this module.
 */
import {
  modelStageNames,
  stageFile,
  type ModelEntry,
  type ModelFile,
  type ModelStageName,
  type StageName,
} from '../model/manifest-types.js';
import type { StoredModel } from '../types.js';
import { isUsable, storedBytes, type ChunkStore, type FileRecord } from './chunk-store.js';
import {
  readStoredFile,
  readStoredFileVerifyingBeside,
  streamStoredFile,
  streamStoredFileVerifyingBeside,
  type StoredFileRead,
} from './stored-files.js';

/** One stage's file, ready for `ort.InferenceSession.create(bytes)`, checked against its digest as it is read. */
export function loadModelFile(
  model: ModelEntry,
  stage: ModelStageName,
  store: ChunkStore,
): Promise<Uint8Array> {
  return readStoredFile(store, { modelId: model.id, path: stageFile(model, stage).path });
}

/**
 * One stage's file for a warm start: the bytes as soon as they are read, the digest checked once
 * `readBackAfter` resolves (`verified`). A mismatch marks the model corrupt in the store.
 */
export function loadModelFileVerifyingBeside(
  model: ModelEntry,
  stage: ModelStageName,
  store: ChunkStore,
  readBackAfter?: Promise<void>,
): Promise<StoredFileRead> {
  const id = { modelId: model.id, path: stageFile(model, stage).path };
  return readStoredFileVerifyingBeside(store, id, readBackAfter);
}

/**
 * One stage's file chunk by chunk, checked against its digest by the end (a mismatch marks the model
 * corrupt in the store): for a load that widens the stage as it reads, so that the file is never one buffer.
 */
export function streamModelFile(
  model: ModelEntry,
  stage: ModelStageName,
  store: ChunkStore,
): AsyncGenerator<Uint8Array> {
  return streamStoredFile(store, { modelId: model.id, path: stageFile(model, stage).path });
}

/**
 * One stage's file chunk by chunk for a warm start that widens it as it reads: no hash holds the chunks
 * back; the digest is checked once the stream has ended and `readBackAfter` resolves, and `onVerifying`
 * gets that check as the stream starts. A mismatch marks the model corrupt in the store.
 */
export function streamModelFileVerifyingBeside(
  model: ModelEntry,
  stage: ModelStageName,
  store: ChunkStore,
  readBackAfter: Promise<void>,
  onVerifying: (verified: Promise<void>) => void,
): AsyncGenerator<Uint8Array> {
  const id = { modelId: model.id, path: stageFile(model, stage).path };
  return streamStoredFileVerifyingBeside(store, id, readBackAfter, onVerifying);
}

/** All stages' files. They take the model's full size in memory at once: prefer loadModelFile one by one. */
export async function loadModelFiles(
  model: ModelEntry,
  store: ChunkStore,
): Promise<Record<StageName, Uint8Array> & { vaeEncoder?: Uint8Array }> {
  const files = {} as Record<StageName, Uint8Array> & { vaeEncoder?: Uint8Array };
  for (const stage of modelStageNames(model)) files[stage] = await loadModelFile(model, stage, store);
  return files;
}

/** How much of a manifest model is stored. */
export async function getModelStorageStatus(model: ModelEntry, store: ChunkStore): Promise<StoredModel> {
  const status: StoredModel = { modelId: model.id, bytesStored: 0, bytesTotal: 0, complete: true };
  for (const stage of modelStageNames(model)) {
    const file = stageFile(model, stage);
    const current = await currentRecord(store, model.id, file);
    status.bytesStored += current ? storedBytes(current) : 0;
    status.bytesTotal += current?.size ?? file.bytes ?? file.approxBytes ?? 0;
    status.complete &&= current !== undefined && isUsable(current);
  }
  return status;
}

/** The stored record of a manifest file, unless it was stored for another hash (an older manifest). */
export async function currentRecord(
  store: ChunkStore,
  modelId: string,
  file: ModelFile,
): Promise<FileRecord | undefined> {
  const record = await store.getRecord({ modelId, path: file.path });
  return record && record.sha256 === file.sha256 ? record : undefined;
}
