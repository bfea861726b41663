import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DashboardServer, startDashboardServer } from '../../../src/local/dashboard-server';
import { LocalExecutor, createLocalExecutor } from '../../../src/local/local-executor';
import { LocalIdentity } from '../../../src/local/local-identity';
import { EnvironmentConfig, Store } from '../../../src/runtime/core';
import { createDynamoStore } from '../../../src/runtime/store/dynamo-store';
import { bundleLocalBuilder, gitRepo } from '../../local/local-fixtures';
import { appConfig, envConfig } from '../../store/fixtures';
import { dynamoEndpoint, freshTable } from '../../support/test-table';

/**
 * Local mode for real, as the browser tests need it: DynamoDB Local (jest's global setup),
 * the local executor running the bundled builder on a git repository, and the dashboard
 * server with the control API and the live log WebSocket.
 */

/** The sample app's deploy: prints LINES lines (slowly enough to be watched live), then writes the commit to DEPLOY_TARGET/STAGE. */
const DEPLOY_JS = `
const fs = require('fs');
const path = require('path');
const sha = require('child_process').execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
console.log('deploying ' + sha + ' to ' + process.env.STAGE);
const lines = Number(process.env.LINES || 0);
const pause = Number(process.env.LINE_MS || 0);
for (let i = 0; i < lines; i++) {
  (i % 10 === 9 ? console.error : console.log)('deploy output line ' + (i + 1) + ' of ' + lines);
  if (pause) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
}
fs.mkdirSync(process.env.DEPLOY_TARGET, { recursive: true });
fs.writeFileSync(path.join(process.env.DEPLOY_TARGET, process.env.STAGE), sha);
`;

export interface LocalControlPlane {
  readonly url: string;
  readonly store: Store;
  readonly server: DashboardServer;
  readonly commits: readonly string[];
  readonly users: { readonly admin: { name: string; password: string } };
  /** A new commit on main (what a push does, without the webhook); returns its sha. */
  commit(message: string): string;
  close(): Promise<void>;
}

export async function startLocalControlPlane(staticDir: string, options: { lines?: number; lineMs?: number } = {}): Promise<LocalControlPlane> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-dashboard-')));
  const builder = bundleLocalBuilder(join(root, 'builder.js'));
  const table = await freshTable('dashboard');
  const store = createDynamoStore(table);
  const framework = {
    kind: 'custom' as const,
    deploy: ['node', 'deploy.js'],
    remove: ['node', '-e', 'require("fs").rmSync(require("path").join(process.env.DEPLOY_TARGET, process.env.STAGE), { force: true })'],
  };
  const env = (name: string, kind: EnvironmentConfig['kind'], extra: Partial<EnvironmentConfig> = {}) => envConfig(name, {
    kind,
    framework,
    variables: { DEPLOY_TARGET: join(root, 'deployed'), LINES: String(options.lines ?? 120), LINE_MS: String(options.lineMs ?? 10) },
    ...extra,
  });
  await store.config.syncApplications([appConfig('shop', [
    env('dev', 'development', { branch: 'main', autoDeploy: true }),
    env('staging', 'staging'),
    env('production', 'production', { protected: true }),
  ])]);
  const repo = join(root, 'repos', 'shop');
  const commits = gitRepo(repo, { 'deploy.js': DEPLOY_JS, 'README.md': 'v1' });
  const git = (...args: string[]) => execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.invalid', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.invalid' },
  }).trim();

  const log = () => undefined;
  const admin = { name: 'ada', password: 'ada-secret' };
  const identity = new LocalIdentity([{ ...admin, groups: ['admin'] }, { name: 'vic', password: 'vic-secret', groups: ['viewer'] }]);
  let server: DashboardServer | undefined;
  mkdirSync(join(root, 'data'), { recursive: true });
  const executor: LocalExecutor = createLocalExecutor({
    store,
    tableName: table.tableName,
    dynamodbEndpoint: dynamoEndpoint(),
    dataDir: join(root, 'data'),
    repositories: { shop: join(root, 'repos', 'shop') },
    builder: { args: [builder] },
    onRecords: async (deploymentId, records) => server!.ingest(deploymentId, records),
    log,
  });
  server = await startDashboardServer({
    store,
    identity,
    api: { queue: executor.queue, commits: executor.commits, secrets: executor.secrets, runner: executor.runner, installation: 'local' },
    staticDir,
    log,
  });
  const started = server;
  return {
    url: started.url,
    store,
    server: started,
    commits,
    users: { admin },
    commit: message => {
      writeFileSync(join(repo, 'README.md'), message);
      git('commit', '-q', '-am', message);
      const sha = git('rev-parse', 'HEAD');
      commits.push(sha);
      return sha;
    },
    close: async () => {
      await executor.close();
      await started.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
