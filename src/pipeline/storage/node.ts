/** The weight store for Node (the self-hosting CLI): everything in ./index.js plus the filesystem store. */
export * from './index.js';
export { FsChunkStore, FS_RECORDS_DIR } from './fs-chunk-store.js';
