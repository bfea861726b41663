import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CacheStorage } from './cache-storage';
import { CacheDecision, RestoreResult, SaveResult, byteSize, shortKey } from './dependency-cache';
import { Phases } from './phases';

/** One kind of dependencies the install makes (node_modules, a Python venv) and how its cache works. */
export interface DependencySet {
  /** Names the set in the phases' details when there are several: `node_modules`, `python`. */
  readonly what: string;
  readonly decision: CacheDecision;
  /** Runs its install commands (throws a BuildError when one fails); returns them, for the phase's detail. */
  readonly install: () => Promise<string>;
  /** Unpack the entry under `key` (archives go to `archive`, outside the checkout). */
  readonly restore: (key: string, archive: string) => Promise<RestoreResult>;
  readonly save: (key: string, archive: string) => Promise<SaveResult>;
  /**
   * A hit is the installed tree itself (node_modules): the install is skipped. Otherwise the
   * install runs anyway and finds what it downloads in the restored cache (uv's).
   */
  readonly hitSkipsInstall: boolean;
}

/**
 * The install, between the dependency cache's phases: `restore-cache` (hit or miss, size, time
 * of each set), the install of what was not restored, then `save-cache` of what missed after a
 * successful install (none when everything was restored). Without a cache (tests, an executor
 * that has none) only the install phase appears; with no set at all it is skipped with `nothingToInstall`.
 */
export async function installWithCache(phases: Phases, storage: CacheStorage | undefined, sets: readonly DependencySet[],
  nothingToInstall: string): Promise<void> {
  const install = async (chosen: readonly DependencySet[], skipped: string) => {
    if (chosen.length === 0) return phases.skip('install', skipped);
    await phases.run('install', async note => {
      const ran: string[] = [];
      for (const set of chosen) ran.push(await set.install());
      note.detail = ran.join(' && ');
    });
  };
  if (sets.length === 0) return install([], nothingToInstall);
  if (!storage) return install(sets, nothingToInstall);
  const label = (set: DependencySet, text: string) => (sets.length > 1 ? `${set.what}: ${text}` : text);
  const cached = sets.filter(set => 'key' in set.decision);
  if (cached.length === 0) {
    await phases.skip('restore-cache', sets.map(set => label(set, (set.decision as { skip: string }).skip)).join('; '));
    return install(sets, nothingToInstall);
  }

  // Archives go next to the workspace, never into it: the app's commands must not see them.
  const archives = mkdtempSync(join(tmpdir(), 'trellis-cache-'));
  try {
    const hits = new Set<DependencySet>();
    await phases.run('restore-cache', async note => {
      const details: string[] = [];
      for (const set of sets) {
        if (!('key' in set.decision)) {
          details.push(label(set, set.decision.skip));
          continue;
        }
        const key = set.decision.key;
        const result = await set.restore(key, join(archives, 'restore.tar'));
        if (result.hit) hits.add(set);
        details.push(label(set, result.hit ? `hit: ${shortKey(key)}, ${byteSize(result.bytes)} from ${storage.location}`
          : `miss: ${shortKey(key)}${result.problem ? `; ${result.problem}` : ''}`));
      }
      note.detail = details.join('; ');
    });
    const restored = sets.filter(set => hits.has(set) && set.hitSkipsInstall);
    await install(sets.filter(set => !restored.includes(set)), restored.map(set => `${set.what} restored from the dependency cache`).join('; '));
    const toSave = cached.filter(set => !hits.has(set));
    if (toSave.length === 0) return;
    await phases.run('save-cache', async note => {
      const details: string[] = [];
      let saved = false;
      for (const set of toSave) {
        const key = (set.decision as { key: string }).key;
        const result = await set.save(key, join(archives, 'save.tar'));
        saved ||= result.saved;
        details.push(label(set, result.saved ? `saved ${shortKey(key)}, ${byteSize(result.bytes)} to ${storage.location}` : result.reason));
      }
      note.skipped = !saved;
      note.detail = details.join('; ');
    });
  } finally {
    rmSync(archives, { recursive: true, force: true });
  }
}
