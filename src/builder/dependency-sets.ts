import { chmodSync, chownSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { AppFolder } from './app-folder';
import { AppUser } from './app-user';
import { CacheStorage } from './cache-storage';
import { DependencySet } from './cached-install';
import { Argv } from './commands';
import { CacheDecision, firstLine, restoreDependencies, saveDependencies } from './dependency-cache';
import { displayCommand } from './process-runner';
import { restorePythonCache, savePythonCache } from './python-cache';
import { PythonPlan, planPythonDependencies, pythonCacheKey, systemPythonVersion } from './python-deps';
import { EnvironmentConfig } from '../runtime/core/types';

/** Runs commands in a folder with an environment (run-build's, which logs and checks them). */
export type RunCommands = (commands: readonly Argv[], env: Record<string, string>, cwd: string) => Promise<void>;

/** node_modules: installed at the install's folder, a hit is the tree itself. */
export function nodeDependencies(install: readonly Argv[], decision: CacheDecision, folder: AppFolder, env: Record<string, string>,
  run: RunCommands, storage: CacheStorage | undefined, user?: AppUser): DependencySet | undefined {
  if (install.length === 0) return undefined;
  return {
    what: 'node_modules',
    decision,
    hitSkipsInstall: true,
    install: async () => {
      await run(install, env, folder.installDir);
      return install.map(displayCommand).join(' && ');
    },
    restore: (key, archive) => restoreDependencies(storage!, key, folder.installDir, archive, user),
    save: (key, archive) => saveDependencies(storage!, key, folder.installDir, archive, undefined, user),
  };
}

/** A Python app's dependencies, once detect planned them; `close` removes the builder's own folders. */
export interface PythonDependencies {
  readonly plan: PythonPlan;
  readonly set: DependencySet;
  readonly close: () => void;
}

/**
 * The app's Python dependencies (python-deps.ts) installed with uv into `<app>/.venv`, uv's
 * cache in a folder of the app's user outside the checkout; a configured install command
 * replaces them (it may do anything). Undefined when the app has none; a string says why
 * they are not installed (for the detect line).
 */
export function pythonDependencies(application: string, env: EnvironmentConfig, folder: AppFolder, appEnv: Record<string, string>,
  run: RunCommands, storage: CacheStorage | undefined, user?: AppUser): PythonDependencies | string | undefined {
  if (env.framework?.install) return undefined;
  const cacheDir = mkdtempSync(join(tmpdir(), 'trellis-uv-'));
  if (user) {
    chownSync(cacheDir, user.uid, user.gid);
    chmodSync(cacheDir, 0o700);
  }
  const close = () => rmSync(cacheDir, { recursive: true, force: true });
  let planned: ReturnType<typeof planPythonDependencies>;
  try {
    planned = planPythonDependencies(folder.dir, { cacheDir });
  } catch (error) {
    close();
    throw error;
  }
  if (!planned || 'skip' in planned) {
    close();
    return planned?.skip;
  }
  const plan = planned;
  const installEnv = withPythonFirst({ ...appEnv }, plan);
  return {
    plan,
    close: () => {
      close();
      if (plan.generated) rmSync(plan.generated, { recursive: true, force: true });
    },
    set: {
      what: 'python',
      decision: pythonDecision(application, env, plan, folder.dir, appEnv.PATH),
      hitSkipsInstall: false,
      install: async () => {
        await run(plan.install, installEnv, folder.dir);
        return plan.install.map(displayCommand).join(' && ');
      },
      restore: (key, archive) => restorePythonCache(storage!, key, cacheDir, archive, user),
      save: (key, archive) => savePythonCache(storage!, key, cacheDir, archive, undefined, user),
    },
  };
}

/** The venv's settings and its bin first on PATH, for the commands after the install. */
export function withPythonFirst(env: Record<string, string>, plan: PythonPlan): Record<string, string> {
  Object.assign(env, plan.env);
  env.PATH = [...plan.pathFirst, env.PATH].filter(Boolean).join(':');
  return env;
}

function pythonDecision(application: string, env: EnvironmentConfig, plan: PythonPlan, dir: string, path: string | undefined): CacheDecision {
  if (env.dependencyCache === false) return { skip: 'the dependency cache is off for this environment' };
  let version: string;
  try {
    version = systemPythonVersion(path);
  } catch (error) {
    return { skip: `python3 did not say its version (${firstLine(error)})` };
  }
  return pythonCacheKey(application, env.name, plan, dir, version);
}
