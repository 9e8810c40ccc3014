/**
 * Choosing the user's own model files: the File System Access pickers where the browser has them
 * (Chromium), file inputs elsewhere. Only the DOM lives here; the pipeline reads and checks the files.
 */
import type { LocalModelFile } from '../../pipeline/index.js';

/** The parts of the File System Access API used here (not in TypeScript's DOM library). */
interface FileHandle {
  kind: 'file';
  name: string;
  getFile(): Promise<File>;
}
interface DirectoryHandle {
  kind: 'directory';
  name: string;
  values(): AsyncIterable<FileHandle | DirectoryHandle>;
}
interface FileSystemAccess {
  showDirectoryPicker?(options?: { id?: string; mode?: 'read' }): Promise<DirectoryHandle>;
  showOpenFilePicker?(options?: {
    id?: string;
    multiple?: boolean;
    types?: { description: string; accept: Record<string, string[]> }[];
  }): Promise<FileHandle[]>;
}

/** Folders this deep hold the Hub's layout (<model>/<stage>/model.onnx) with room to spare. */
const MAX_FOLDER_DEPTH = 4;
const PICKER_ID = 'sd-turbo-model-files';

const access = (): FileSystemAccess => globalThis as unknown as FileSystemAccess;

export const isOnnxFile = (name: string): boolean => name.toLowerCase().endsWith('.onnx');

export function canPickFolder(): boolean {
  return typeof access().showDirectoryPicker === 'function';
}

export function canPickFiles(): boolean {
  return typeof access().showOpenFilePicker === 'function';
}

/** Every .onnx file in a folder the user picks, named by its path from that folder; undefined if cancelled. */
export async function pickFolder(): Promise<LocalModelFile[] | undefined> {
  const folder = await unlessCancelled(access().showDirectoryPicker!({ id: PICKER_ID, mode: 'read' }));
  return folder && onnxFilesIn(folder, folder.name, MAX_FOLDER_DEPTH);
}

/** The .onnx files the user picks; undefined if cancelled. */
export async function pickFiles(): Promise<LocalModelFile[] | undefined> {
  const handles = await unlessCancelled(
    access().showOpenFilePicker!({
      id: PICKER_ID,
      multiple: true,
      types: [{ description: 'ONNX models', accept: { 'application/octet-stream': ['.onnx'] } }],
    }),
  );
  if (!handles) return undefined;
  return Promise.all(handles.map(async (handle) => ({ name: handle.name, file: await handle.getFile() })));
}

/** A file input's files; from a folder input (webkitdirectory) only the .onnx ones, named by their path. */
export function filesFromInput(input: HTMLInputElement): LocalModelFile[] {
  const files = [...(input.files ?? [])].map((file) => ({
    name: file.webkitRelativePath || file.name,
    file,
  }));
  return input.webkitdirectory ? files.filter(({ name }) => isOnnxFile(name)) : files;
}

async function onnxFilesIn(folder: DirectoryHandle, path: string, depth: number): Promise<LocalModelFile[]> {
  const found: LocalModelFile[] = [];
  for await (const entry of folder.values()) {
    const name = `${path}/${entry.name}`;
    if (entry.kind === 'file' && isOnnxFile(entry.name)) found.push({ name, file: await entry.getFile() });
    if (entry.kind === 'directory' && depth > 1) found.push(...(await onnxFilesIn(entry, name, depth - 1)));
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** A picker closed without a choice rejects with an AbortError: that is no failure. */
async function unlessCancelled<T>(choice: Promise<T>): Promise<T | undefined> {
  try {
    return await choice;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return undefined;
    throw error;
  }
}
