import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { AppUser } from './app-user';
import { CacheStorage } from './cache-storage';
import { CacheDecision, byteSize, restoreDependencies, saveDependencies, shortKey } from './dependency-cache';
import { Phases } from './phases';

/**
 * The install, between the dependency cache's phases: `restore-cache` (hit or miss, size,
 * time), the install itself only on a miss, then `save-cache` after a successful install.
 * Without a cache (tests, an executor that has none) only the install phase appears.
 * With `user`, tar unpacks and packs `node_modules` as the app's user (see tar.ts).
 */
export async function installWithCache(phases: Phases, storage: CacheStorage | undefined, decision: CacheDecision,
  workspace: string, install: () => Promise<void>, user?: AppUser): Promise<void> {
  if (!storage) return install();
  if ('skip' in decision) {
    await phases.skip('restore-cache', decision.skip);
    return install();
  }
  const { key } = decision;
  // Archives go next to the workspace, never into it: the app's commands must not see them.
  const archives = mkdtempSync(join(tmpdir(), 'trellis-cache-'));
  try {
    const restored = await phases.run('restore-cache', async note => {
      const result = await restoreDependencies(storage, key, workspace, join(archives, 'restore.tar'), user);
      note.detail = result.hit ? `hit: ${shortKey(key)}, ${byteSize(result.bytes)} from ${storage.location}`
        : `miss: ${shortKey(key)}${result.problem ? `; ${result.problem}` : ''}`;
      return result.hit;
    });
    if (restored) return await phases.skip('install', 'node_modules restored from the dependency cache');
    await install();
    await phases.run('save-cache', async note => {
      const result = await saveDependencies(storage, key, workspace, join(archives, 'save.tar'), undefined, user);
      note.skipped = !result.saved;
      note.detail = result.saved ? `saved ${shortKey(key)}, ${byteSize(result.bytes)} to ${storage.location}` : result.reason;
    });
  } finally {
    rmSync(archives, { recursive: true, force: true });
  }
}
