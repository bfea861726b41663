/**
 * A pnpm workspace with the app in a folder (`rootDirectory: packages/api`), on the real
 * `trellis local` with real packages from the npm registry: clone + install of the first build
 * (Trellis' cache and pnpm's store both empty) against the second build of the same lockfile
 * (every node_modules of the workspace restored, the install skipped). Phase durations as the
 * builder recorded them; printed, never asserted.
 *
 *   npx projen bench:workspace      (BENCH_DEPENDENCIES="zod@3 ..." to choose the app's packages)
 */
import { execFile } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { cpus, loadavg, tmpdir } from 'os';
import { delimiter, join } from 'path';
import { promisify } from 'util';
import { commitAll } from './support/git-repo';
import { detail, phase, seconds, settled, total } from './support/local-deployments';
import { Deployment } from '../src/runtime/core';
import { TrellisProcess, bundleTrellis } from '../test/local/support/trellis-process';

const run = promisify(execFile);
const APP = 'workspace-bench';
const REPO_BIN = join(__dirname, '..', 'node_modules', '.bin');
const API_DEPENDENCIES = (process.env.BENCH_DEPENDENCIES ?? 'zod@3 hono@4 date-fns@4 @aws-sdk/client-dynamodb@3').split(/\s+/).filter(Boolean);
const LIB_DEPENDENCIES = ['lodash@4', 'uuid@11'];

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'trellis-bench-workspace-'));
  const env = { ...process.env, PATH: `${REPO_BIN}${delimiter}${process.env.PATH}`, npm_config_store_dir: join(root, 'pnpm-store') };
  let trellis: TrellisProcess | undefined;
  try {
    const repo = await workspaceRepo(join(root, 'mono'), env);
    const config = join(root, 'config.json');
    writeFileSync(config, JSON.stringify({
      applications: [{
        name: APP,
        repository: repo,
        rootDirectory: 'packages/api',
        environments: [{
          kind: 'development',
          name: 'dev',
          branch: 'main',
          runTests: false,
          framework: { kind: 'custom', deploy: ['node', '-e', 'require("@mono/lib"); require("zod"); console.log("deployed")'], remove: ['node', '-e', '0'] },
        }],
      }],
    }, null, 2));
    console.log(`machine: ${cpus().length} cores, load ${loadavg().map(n => n.toFixed(2)).join(' / ')}; api: ${API_DEPENDENCIES.join(' ')}; lib: ${LIB_DEPENDENCIES.join(' ')}`);
    trellis = await TrellisProcess.start(bundleTrellis(), { dataDir: join(root, 'data'), config, env: { PATH: env.PATH, npm_config_store_dir: join(root, 'build-store') } });

    const deploy = (label: string) => settled(trellis!, APP, label, () => trellis!.push(APP, 'main', label));
    const cold = await deploy('cold: empty caches');
    rmSync(join(root, 'build-store'), { recursive: true, force: true }); // pnpm's own store cannot help the warm build
    const warm = await deploy('warm: same lockfile');
    const cloneInstall = (deployment: Deployment) => phase(deployment, 'clone') + phase(deployment, 'restore-cache') + phase(deployment, 'install');
    console.log('\npnpm workspace, app in packages/api (local mode, phase durations from the builder)');
    for (const [label, deployment] of [['cold', cold], ['warm', warm]] as const) {
      console.log(`  ${label}: clone ${seconds(phase(deployment, 'clone'))}; restore-cache ${seconds(phase(deployment, 'restore-cache'))} (${detail(deployment, 'restore-cache')}); `
        + `install ${seconds(phase(deployment, 'install'))} (${detail(deployment, 'install')}); save-cache ${seconds(phase(deployment, 'save-cache'))} (${detail(deployment, 'save-cache')})`);
    }
    console.log(`  clone + install, cold ${seconds(cloneInstall(cold))} vs warm ${seconds(cloneInstall(warm))}: ${(cloneInstall(cold) / cloneInstall(warm)).toFixed(1)}× faster`);
    console.log(`  whole build, cold ${seconds(total(cold))} vs warm ${seconds(total(warm))}: ${(total(cold) / total(warm)).toFixed(1)}×`);
  } finally {
    await trellis?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

/** The workspace (root, packages/lib, packages/api) locked by real pnpm against the registry, committed on main. */
async function workspaceRepo(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'mono', private: true }),
    'pnpm-workspace.yaml': 'packages:\n  - "packages/*"\n',
    'packages/lib/package.json': JSON.stringify({ name: '@mono/lib', version: '1.0.0', main: 'index.js' }),
    'packages/lib/index.js': 'module.exports = { ok: true };\n',
    'packages/api/package.json': JSON.stringify({ name: '@mono/api', version: '1.0.0', private: true, dependencies: { '@mono/lib': 'workspace:*' } }),
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  await run('pnpm', ['--filter', '@mono/api', 'add', '--lockfile-only', '--ignore-scripts', ...API_DEPENDENCIES], { cwd: dir, env });
  await run('pnpm', ['--filter', '@mono/lib', 'add', '--lockfile-only', '--ignore-scripts', ...LIB_DEPENDENCIES], { cwd: dir, env });
  return commitAll(dir, 'workspace bench');
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
