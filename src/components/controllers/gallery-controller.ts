/**
 * The saved gallery: every image made with Generate is kept in the pipeline's GalleryStore (PNG, thumbnail
 * and settings) and listed again after a reload. When storage is short nothing is deleted until the user
 * answers the question this controller holds.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  GalleryQuotaError,
  GalleryStore,
  type GalleryEntry,
  type GalleryPut,
  type GalleryStoreOptions,
} from '../../gallery/index.js';
import type { SdImageDetail } from '../events.js';

/** Longest side of a thumbnail in pixels: the grid shows them at about 96 CSS px, twice for HiDPI. */
const THUMBNAIL_SIZE = 192;

/** Saving needs room: the user is asked whether the oldest images may go. */
export interface QuotaQuestion {
  message: string;
  oldestToDelete: number;
}

async function thumbnailOf(bitmap: ImageBitmap): Promise<Blob> {
  const scale = Math.min(1, THUMBNAIL_SIZE / Math.max(bitmap.width, bitmap.height));
  const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
  canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas.convertToBlob({ type: 'image/png' });
}

export class GalleryController implements ReactiveController {
  saved: GalleryEntry[] = [];
  question?: QuotaQuestion;
  private readonly store: GalleryStore;
  /** The image waiting for the user's answer to `question`, and the session's image it is. */
  private waiting?: { item: GalleryPut; image: SdImageDetail };
  /** This session's images that were saved, with their ids in the store. */
  private readonly savedIds = new WeakMap<SdImageDetail, string>();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly notify: (text: string) => void,
    options: GalleryStoreOptions = {},
  ) {
    this.store = new GalleryStore(options);
    host.addController(this);
  }

  hostConnected(): void {
    void this.attempt('list the saved images', () => this.refresh());
  }

  async save(image: SdImageDetail): Promise<void> {
    try {
      const [png, thumbnail] = await Promise.all([image.toBlob(), thumbnailOf(image.bitmap)]);
      const { prompt, seed, steps, modelId, width, height } = image;
      const item = { image: png, thumbnail, settings: { prompt, seed, steps, modelId, width, height } };
      await this.put(item, image);
    } catch (error) {
      // Saving is a convenience: the image is shown and can be downloaded all the same.
      this.notify(`This image was not saved: ${(error as Error).message}`);
    }
  }

  /** The user agreed: the oldest images go, then the waiting image is saved. */
  async freeAndSave(): Promise<void> {
    const waiting = this.waiting;
    const count = this.question?.oldestToDelete ?? 0;
    this.dismiss();
    if (!waiting) return;
    await this.attempt('save this image', async () => {
      await this.store.deleteOldest(count);
      await this.put(waiting.item, waiting.image);
    });
  }

  /** The saved entry of one of this session's images; undefined when it was not saved or is deleted. */
  savedEntryOf(image: SdImageDetail): GalleryEntry | undefined {
    const id = this.savedIds.get(image);
    return id === undefined ? undefined : this.saved.find((entry) => entry.id === id);
  }

  dismiss(): void {
    this.question = undefined;
    this.waiting = undefined;
    this.host.requestUpdate();
  }

  async get(id: string): Promise<Blob | undefined> {
    return (await this.store.get(id))?.image;
  }

  async delete(id: string): Promise<void> {
    await this.attempt('delete the image', async () => {
      await this.store.delete(id);
      await this.refresh();
    });
  }

  async clear(): Promise<void> {
    await this.attempt('clear the saved images', async () => {
      await this.store.clear();
      await this.refresh();
    });
  }

  /** Storage can fail (private browsing, a blocked database): the user hears why, the page goes on. */
  private async attempt(what: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.notify(`Could not ${what}: ${(error as Error).message}`);
    }
  }

  private async put(item: GalleryPut, image: SdImageDetail): Promise<void> {
    try {
      this.savedIds.set(image, (await this.store.put(item)).id);
    } catch (error) {
      if (!(error instanceof GalleryQuotaError)) throw error;
      if (error.oldestToDelete === undefined) {
        this.notify(error.message);
      } else {
        this.waiting = { item, image };
        this.question = { message: error.message, oldestToDelete: error.oldestToDelete };
      }
    }
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    this.saved = await this.store.list();
    this.host.requestUpdate();
  }
}
