/**
 * The dependency cache's and the deploy artifacts' gains, measured on the real `trellis local` process with a copy of the sample
 * app that has real dependencies (installed from the npm registry). Printed, never asserted.
 *
 * 1. Dependency cache: the install of the first build (Trellis' cache and npm's own cache both
 *    empty: every package comes from the registry) against the second build of the same
 *    lockfile (node_modules restored from `<data dir>/cache`, the install skipped). Both are
 *    the phases' own durations as the builder recorded them (goal: ≥ 5× faster).
 * 2. Rollback: back and forth between the two versions from their stored artifacts (`npm run
 *    deploy` on the declared paths: no clone, restore, tests), then the same rollbacks once the
 *    artifacts are deleted (rebuilds: clone, restore-cache from the warm cache, tests, deploy).
 *    Each is the whole deployment, launch to finish, as recorded; the ratio is of the medians of
 *    BENCH_ROUNDS (3) of each (goal: ≥ 10× faster).
 *
 *   npx projen bench:deploy      (BENCH_DEPENDENCIES="zod@3 ..." to choose the packages)
 */
import { execFile } from 'child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { cpus, loadavg, tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { commitAll } from './support/git-repo';
import { detail, median, phase, seconds, settled as settledOf, total } from './support/local-deployments';
import { Deployment } from '../src/runtime/core';
import { TrellisProcess, bundleTrellis } from '../test/local/support/trellis-process';

const run = promisify(execFile);
const APP = 'bench-app';
/** A realistic serverless app's runtime and tooling dependencies (a few hundred packages). */
const DEPENDENCIES = (process.env.BENCH_DEPENDENCIES
  ?? '@aws-sdk/client-dynamodb@3 @aws-sdk/lib-dynamodb@3 zod@3 date-fns@4 lodash@4 hono@4 esbuild@0.25 typescript@5').split(/\s+/).filter(Boolean);
const CACHE_GOAL = 5;
const ROLLBACK_GOAL = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);


async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'trellis-bench-deploy-'));
  let trellis: TrellisProcess | undefined;
  try {
    const repo = await benchApp(join(root, 'bench-app'), join(root, 'npm-cache-lock'));
    const dataDir = join(root, 'data');
    const config = join(root, 'config.json');
    writeFileSync(config, JSON.stringify({
      applications: [{
        name: APP,
        repository: repo,
        environments: [{
          kind: 'development',
          name: 'dev',
          branch: 'main',
          variables: { SAMPLE_DEPLOY_DIR: '{dataDir}/deployed', npm_config_cache: '{dataDir}/npm-cache' },
          framework: { kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 'remove'], artifact: ['package.json', 'scripts', 'src'] },
        }],
      }],
    }, null, 2));
    console.log(`machine: ${cpus().length} cores, load ${loadavg().map(n => n.toFixed(2)).join(' / ')}; ${DEPENDENCIES.length} dependencies: ${DEPENDENCIES.join(' ')}`);
    trellis = await TrellisProcess.start(bundleTrellis(), { dataDir, config });

    const cold = await deployOnce(trellis, 'cold: empty caches');
    const warm = await deployOnce(trellis, 'warm: same lockfile');
    const coldInstall = phase(cold, 'restore-cache') + phase(cold, 'install');
    const warmInstall = phase(warm, 'restore-cache') + phase(warm, 'install');
    console.log('\nDependency cache (local mode, phase durations from the builder)');
    console.log(`  cold: restore-cache ${detail(cold, 'restore-cache')}; install ${seconds(phase(cold, 'install'))}; save-cache ${seconds(phase(cold, 'save-cache'))} (${detail(cold, 'save-cache')})`);
    console.log(`  warm: restore-cache ${seconds(phase(warm, 'restore-cache'))} (${detail(warm, 'restore-cache')}); install ${detail(warm, 'install')}`);
    console.log(`  install, cold ${seconds(coldInstall)} vs warm ${seconds(warmInstall)}: ${(coldInstall / warmInstall).toFixed(1)}× faster (goal ≥ ${CACHE_GOAL}×)`);
    console.log(`  whole build, cold ${seconds(total(cold))} vs warm ${seconds(total(warm))}: ${(total(cold) / total(warm)).toFixed(1)}×`);

    // Alternate targets: a rollback to the current version is refused.
    const versions = [cold, warm];
    const fromArtifact: Deployment[] = [];
    for (let i = 0; i < ROUNDS; i++) fromArtifact.push(await rollBack(trellis, versions[i % 2], `rollback ${i + 1} from artifact`));
    rmSync(join(dataDir, 'artifacts'), { recursive: true, force: true });
    const rebuilt: Deployment[] = [];
    for (let i = 0; i < ROUNDS; i++) rebuilt.push(await rollBack(trellis, versions[(ROUNDS + i) % 2], `rollback ${i + 1}, artifacts deleted`));
    console.log('\nRollback (local mode, whole deployment from launch to finish)');
    for (const deployment of [...fromArtifact, ...rebuilt]) {
      console.log(`  ${seconds(total(deployment))}: fetch-artifact ${detail(deployment, 'fetch-artifact')}; `
        + `phases ${(deployment.phases ?? []).filter(item => item.outcome !== 'skipped').map(item => `${item.phase} ${seconds(item.durationMs ?? 0)}`).join(', ')}`);
    }
    const artifactMedian = median(fromArtifact.map(total));
    const rebuildMedian = median(rebuilt.map(total));
    console.log(`  rollback, median of ${ROUNDS}: rebuild ${seconds(rebuildMedian)} vs from artifact ${seconds(artifactMedian)}: `
      + `${(rebuildMedian / artifactMedian).toFixed(1)}× faster (goal ≥ ${ROLLBACK_GOAL}×)`);
  } finally {
    await trellis?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

/** The sample app with `DEPENDENCIES` added and locked against the real registry, committed on main. */
async function benchApp(dir: string, npmCache: string): Promise<string> {
  cpSync(join(__dirname, '..', 'examples', 'sample-app'), dir, { recursive: true });
  await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', ...DEPENDENCIES], {
    cwd: dir,
    env: { ...process.env, npm_config_cache: npmCache },
  });
  return commitAll(dir, 'bench app');
}

/** Push to main and wait for that deployment to end; it must succeed. */
async function deployOnce(trellis: TrellisProcess, label: string): Promise<Deployment> {
  return settledOf(trellis, APP, label, () => trellis.push(APP, 'main', label));
}

/** Roll dev back to `target`'s version through the API and wait for that deployment to end. */
async function rollBack(trellis: TrellisProcess, target: Deployment, label: string): Promise<Deployment> {
  return settledOf(trellis, APP, label, async () => {
    const { status, body } = await trellis.api('POST', `/api/apps/${APP}/environments/dev/rollback`, { deploymentId: target.id });
    if (status !== 202) throw new Error(`${label}: ${status} ${JSON.stringify(body)}`);
  });
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
