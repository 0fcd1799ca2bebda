import type { Config } from '../config';
import { LocalObjectStorage } from './local-storage';
import type { ObjectStorage } from './object-storage';
import { S3ObjectStorage } from './s3-storage';

/** S3-compatible storage when S3_BUCKET is set, the local directory otherwise. */
export function createObjectStorage(config: Config): ObjectStorage {
  return config.storage.s3 ? new S3ObjectStorage(config.storage.s3) : new LocalObjectStorage(config);
}
