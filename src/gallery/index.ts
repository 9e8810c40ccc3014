/** The saved gallery's store: generated images with their thumbnails and settings, kept in IndexedDB. */
export {
  GalleryQuotaError,
  GalleryStore,
  type GalleryEntry,
  type GalleryItem,
  type GalleryPut,
  type GallerySettings,
  type GalleryStoreOptions,
  type StorageEstimator,
} from './gallery-store.js';
