/**
 * The benchmark's big file: deterministic pseudo-random bytes (an AES-128-CTR keystream under a fixed key,
 * so it does not compress and costs little CPU to make), written once per size under .cache/ and reused.
 * Its SHA-256 is kept beside it, as a manifest would give it.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';

export interface BigFile {
  path: string;
  size: number;
  sha256: string;
}

const BLOCK = 16 * 1024 * 1024;

export function bigFilePath(dir: string, size: number): string {
  return join(dir, `download-bench-${size}.bin`);
}

/** The file of `size` bytes in `dir`, made now if it is missing (or of another size). */
export async function ensureBigFile(
  dir: string,
  size: number,
  log: (line: string) => void,
): Promise<BigFile> {
  const path = bigFilePath(dir, size);
  const hashPath = `${path}.sha256`;
  try {
    const [info, sha256] = await Promise.all([stat(path), readFile(hashPath, 'utf8')]);
    if (info.size === size && /^[0-9a-f]{64}$/.test(sha256.trim()))
      return { path, size, sha256: sha256.trim() };
  } catch {
    // Missing or half made: make it below.
  }
  await mkdir(dir, { recursive: true });
  log(`writing ${path} (${size} bytes of pseudo-random data)...`);
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(BLOCK);
  const temporary = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(temporary);
  try {
    for (let written = 0; written < size; written += BLOCK) {
      const block = cipher.update(zeros.subarray(0, Math.min(BLOCK, size - written)));
      hash.update(block);
      if (!out.write(block)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
  const sha256 = hash.digest('hex');
  await rename(temporary, path);
  await writeFile(hashPath, `${sha256}\n`);
  return { path, size, sha256 };
}

export async function removeBigFile(file: BigFile): Promise<void> {
  await rm(file.path, { force: true });
  await rm(`${file.path}.sha256`, { force: true });
}
