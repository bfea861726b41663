import { lstatSync, readdirSync, rmSync, statSync } from 'fs';
import { join } from 'path';
import { AppUser } from './app-user';
import { CacheStorage } from './cache-storage';
import { MAX_CACHE_ENTRY_BYTES, RestoreResult, SaveResult, firstLine, packAndStore } from './dependency-cache';
import { extractArchive } from './tar';

/**
 * uv's cache directory (UV_CACHE_DIR, outside the checkout) between builds, under the key
 * python-deps.ts's `pythonCacheKey` makes. Unlike node_modules a hit does not skip the install:
 * `uv venv` + `uv sync`/`uv pip install` always run and find every wheel in the cache.
 */

/** What uv writes into every cache directory it uses: an archive without it holds no uv cache. */
const UV_CACHE_MARK = 'CACHEDIR.TAG';

/**
 * Unpack the entry into `cacheDir` (an existing, empty directory the app's user owns; tar runs
 * as `user` when given). A missing, unreadable or damaged entry is a miss, and `cacheDir` is
 * emptied so uv starts from nothing.
 */
export async function restorePythonCache(storage: CacheStorage, key: string, cacheDir: string, archive: string,
  user?: AppUser): Promise<RestoreResult> {
  try {
    if (!await storage.fetch(key, archive)) return { hit: false };
  } catch (error) {
    rmSync(archive, { force: true });
    return { hit: false, problem: `the cache could not be read (${firstLine(error)})` };
  }
  try {
    const bytes = statSync(archive).size;
    await extractArchive(archive, ['-C', cacheDir], user);
    if (!hasCacheMark(cacheDir)) throw new Error(`the archive holds no uv cache (no ${UV_CACHE_MARK})`);
    return { hit: true, bytes };
  } catch (error) {
    emptyDirectory(cacheDir);
    return { hit: false, problem: `the cached archive could not be unpacked (${firstLine(error)})` };
  } finally {
    rmSync(archive, { force: true });
  }
}

/**
 * Pack `cacheDir` (tar as `user` when given) and store it under `key`, after an install that
 * missed; never throws, a build does not fail for its cache.
 */
export async function savePythonCache(storage: CacheStorage, key: string, cacheDir: string, archive: string,
  maxBytes = MAX_CACHE_ENTRY_BYTES, user?: AppUser): Promise<SaveResult> {
  if (!hasCacheMark(cacheDir)) {
    return { saved: false, reason: 'uv left no cache to save' };
  }
  return packAndStore(storage, key, archive, ['-C', cacheDir, '.'], maxBytes, user);
}

/** uv's mark, a regular file (a link is not followed: the folder's contents are the app's). */
function hasCacheMark(cacheDir: string): boolean {
  return lstatSync(join(cacheDir, UV_CACHE_MARK), { throwIfNoEntry: false })?.isFile() === true;
}

/** Remove what is in `dir`, keeping `dir` (its owner and mode are the builder's choice); links are removed, never followed. */
function emptyDirectory(dir: string): void {
  for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
}
