/** What can be done with a finished image outside the element: save it as a PNG, copy it. */
import type { SdImageDetail } from './events.js';

export async function downloadPng(image: SdImageDetail): Promise<void> {
  downloadBlob(await image.toBlob(), image.fileName);
}

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  // The click has started the download by the next task; the URL is no longer needed then.
  setTimeout(() => URL.revokeObjectURL(url));
}

/** Resolves with what to tell the person: copied, or why not. */
export async function copyImage(image: SdImageDetail): Promise<string> {
  try {
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': image.toBlob() })]);
    return 'Image copied to the clipboard.';
  } catch (error) {
    return `Could not copy the image: ${(error as Error).message}`;
  }
}
