import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { GalleryQuotaError, GalleryStore, type GallerySettings } from '../src/gallery/gallery-store';

const settings: GallerySettings = {
  prompt: 'a cat',
  seed: 1,
  steps: 1,
  modelId: 'tiny-fp32',
  width: 64,
  height: 64,
};
let databases = 0;

/** A store in a fresh database, with a fake clock and a storage estimate the test controls. */
function freshStore(storage: { quota: number; usage: number } | null = null) {
  let clock = 1_000;
  const store = new GalleryStore({
    databaseName: `gallery-test-${databases++}`,
    storage: storage && { estimate: () => Promise.resolve({ ...storage }) },
    headroomBytes: 100,
    now: () => (clock += 10),
  });
  return store;
}

const blob = (bytes: number, type = 'image/png') => new Blob([new Uint8Array(bytes)], { type });

describe('GalleryStore', () => {
  it('puts, lists newest first, gets, deletes, clears and counts bytes', async () => {
    const store = freshStore();
    const first = await store.put({ image: blob(300), thumbnail: blob(30), settings });
    const second = await store.put({
      image: blob(500),
      thumbnail: blob(50),
      settings: { ...settings, prompt: 'a dog', strength: 0.5 },
    });
    expect(first.bytes).toBe(330);
    expect((await store.list()).map((entry) => entry.id)).toEqual([second.id, first.id]);
    expect(await store.usage()).toBe(880);

    const item = await store.get(second.id);
    expect(item?.settings).toEqual({ ...settings, prompt: 'a dog', strength: 0.5 });
    expect(item?.image.size).toBe(500);
    expect(item?.thumbnail.size).toBe(50);
    expect(await store.get('missing')).toBeUndefined();

    await store.delete(first.id);
    expect((await store.list()).map((entry) => entry.id)).toEqual([second.id]);
    expect(await store.get(first.id)).toBeUndefined();
    await store.clear();
    expect(await store.list()).toEqual([]);
    expect(await store.usage()).toBe(0);
  });

  it('refuses an image that does not fit, naming how many oldest images would make room, deleting none', async () => {
    const storage = { quota: 10_000, usage: 0 };
    const store = freshStore(storage);
    const saved = [];
    for (let i = 0; i < 4; i++)
      saved.push(await store.put({ image: blob(900), thumbnail: blob(100), settings }));
    // 4 images of 1000 bytes; 9,500 used of 10,000: a 1,000-byte image with 100 bytes of headroom is 600 short.
    storage.usage = 9_500;
    const refusal = await store
      .put({ image: blob(900), thumbnail: blob(100), settings })
      .catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(GalleryQuotaError);
    expect(refusal).toMatchObject({ code: 'quota', shortBytes: 600, oldestToDelete: 1, imageCount: 4 });
    expect((refusal as Error).message).toContain('Deleting the 1 oldest of 4 saved image(s) would make room');
    expect(await store.list()).toHaveLength(4);

    // 2,500 short: three 1,000-byte images.
    storage.usage = 11_400;
    await expect(store.put({ image: blob(900), thumbnail: blob(100), settings })).rejects.toMatchObject({
      shortBytes: 2_500,
      oldestToDelete: 3,
    });
    // More than everything saved.
    storage.usage = 20_000;
    const hopeless = await store
      .put({ image: blob(900), thumbnail: blob(100), settings })
      .catch((e: unknown) => e);
    expect(hopeless).toMatchObject({ oldestToDelete: undefined, imageCount: 4 });
    expect((hopeless as Error).message).toContain('more than all 4 saved images hold');

    // After the user agrees: the oldest go, newest kept.
    expect(await store.deleteOldest(3)).toEqual(saved.slice(0, 3).map((entry) => entry.id));
    expect((await store.list()).map((entry) => entry.id)).toEqual([saved[3].id]);
    storage.usage = 1_000;
    await expect(store.put({ image: blob(900), thumbnail: blob(100), settings })).resolves.toMatchObject({
      bytes: 1000,
    });
  });

  it('keeps its own databases apart from each other', async () => {
    const a = freshStore();
    const b = freshStore();
    await a.put({ image: blob(10), thumbnail: blob(1), settings });
    expect(await b.list()).toEqual([]);
  });
});
