import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';

export class StorageKeyError extends Error {}

/** Files under one directory, addressed by storage key (`sellers/<store>/api/…`). */
export class LocalFileStore {
  constructor(readonly root: string) {}

  pathOf(key: string): string {
    if (!/^[A-Za-z0-9._\-/]+$/.test(key) || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new StorageKeyError(`Invalid storage key: ${key}`);
    }
    return path.join(this.root, key);
  }

  /** Writes via a temporary file so a broken upload never leaves a partial object. Returns bytes written. */
  async put(key: string, body: Readable, maxBytes: number): Promise<number> {
    const target = this.pathOf(key);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.part`;
    let written = 0;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            written += chunk.length;
            if (written > maxBytes) throw new StorageKeyError(`Upload exceeds the declared ${maxBytes} bytes`);
            yield chunk;
          }
        },
        fs.createWriteStream(temp),
      );
      fs.renameSync(temp, target);
      return written;
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }

  exists(key: string): boolean {
    try {
      return fs.statSync(this.pathOf(key)).isFile();
    } catch {
      return false;
    }
  }

  size(key: string): number | null {
    try {
      return fs.statSync(this.pathOf(key)).size;
    } catch {
      return null;
    }
  }

  read(key: string): fs.ReadStream {
    return fs.createReadStream(this.pathOf(key));
  }
}
