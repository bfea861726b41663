/**
 * Where dependency cache entries live: an S3 bucket in AWS, a folder in local mode.
 * Entries are whole archives addressed by key; nothing is ever updated in place.
 */
export interface CacheStorage {
  /** Shown in the log: `s3://bucket` or the folder. */
  readonly location: string;
  /** Whether archives are gzipped: worth it over a network, not on a local disk (restores are 2× faster without). */
  readonly compress: boolean;
  /** Copy the entry to `file`; false when there is none. */
  fetch(key: string, file: string): Promise<boolean>;
  /** Keep `file` under `key` (it may replace an entry of the same key). */
  store(key: string, file: string): Promise<void>;
}
