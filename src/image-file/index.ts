/** A generated image as a file: PNG text metadata and the file's name, shared by the element and src/node. */
export { addPngText, crc32, readPngChunks, readPngText } from './png-metadata.js';
export {
  imageFileName,
  imageMetadata,
  sizeText,
  slugify,
  SOFTWARE_NAME,
  type ImageSettings,
} from './file-name.js';
