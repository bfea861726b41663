import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'fs';
import { dirname, join, relative, sep } from 'path';
import { CacheStorage } from './cache-storage';

/** Local mode keeps at most this much; the least recently used entries go first. */
export const DEFAULT_FOLDER_CACHE_BYTES = 2 * 1024 ** 3;

/**
 * The dependency cache in a folder (local mode's `<data dir>/cache`). A stored entry is
 * written to a temporary name and renamed, so a reader never sees half an archive; a fetch
 * touches the entry so eviction can keep the ones in use.
 */
export class FolderCacheStorage implements CacheStorage {
  readonly compress = false;

  constructor(private readonly root: string, private readonly maxBytes = DEFAULT_FOLDER_CACHE_BYTES) {}

  get location(): string {
    return this.root;
  }

  async fetch(key: string, file: string): Promise<boolean> {
    const entry = this.pathOf(key);
    if (!existsSync(entry)) return false;
    // A hard link costs nothing (entries are replaced by rename, never written in place); a copy across file systems.
    try {
      linkSync(entry, file);
    } catch {
      copyFileSync(entry, file);
    }
    const now = new Date();
    utimesSync(entry, now, now);
    return true;
  }

  async store(key: string, file: string): Promise<void> {
    const entry = this.pathOf(key);
    mkdirSync(dirname(entry), { recursive: true });
    const partial = `${entry}.${process.pid}.partial`;
    copyFileSync(file, partial);
    renameSync(partial, entry);
    this.evict(entry);
  }

  /** Remove least recently used entries (never `keep`) until the folder fits. */
  private evict(keep: string): void {
    const entries = listFiles(this.root).map(path => ({ path, ...sizeAndTime(path) }));
    let total = entries.reduce((sum, entry) => sum + entry.size, 0);
    for (const entry of entries.sort((a, b) => a.usedAt - b.usedAt)) {
      if (total <= this.maxBytes) break;
      if (entry.path === keep) continue;
      rmSync(entry.path, { force: true });
      total -= entry.size;
    }
  }

  /** Keys are made by the builder, but a key must still never leave the folder. */
  private pathOf(key: string): string {
    const path = join(this.root, ...key.split('/'));
    const inside = relative(this.root, path);
    if (inside === '' || inside.startsWith('..') || inside.split(sep).includes('..')) throw new Error(`invalid cache key '${key}'`);
    return path;
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.isFile() && !entry.name.endsWith('.partial') ? [path] : [];
  });
}

function sizeAndTime(path: string): { size: number; usedAt: number } {
  const stat = statSync(path);
  return { size: stat.size, usedAt: stat.mtimeMs };
}
