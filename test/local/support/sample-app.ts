import { execFileSync } from 'child_process';
import { cpSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { LOCAL_GIT_IDENTITY } from '../../../src/local/local-mode';

const SAMPLE = join(__dirname, '..', '..', '..', 'examples', 'sample-app');
const HEALTHY = "return json(200, { status: 'ok', commit: deployedCommit() })";
const BROKEN = "return json(500, { status: 'broken', commit: deployedCommit() })";

/** The sample app copied to `<work>/sample-app` (without node_modules) as a git repository with one commit on main. */
export function sampleRepository(work: string): string {
  const repo = join(work, 'sample-app');
  cpSync(SAMPLE, repo, { recursive: true, filter: source => !source.includes('node_modules') });
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { env: { ...process.env, ...LOCAL_GIT_IDENTITY } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'Sample app');
  return repo;
}

/**
 * The local config's dev environment for the sample app behind a health check on the local
 * server (which serves what was deployed): a deploy whose /health fails is rolled back. Tests
 * are off: a commit that breaks /health on purpose would stop at them before the deploy.
 */
export const HEALTH_GATED_DEV = {
  kind: 'development',
  runTests: false,
  variables: { SAMPLE_DEPLOY_DIR: '{dataDir}/deployed' },
  framework: { kind: 'custom', deploy: ['npm', 'run', 'deploy'], remove: ['npm', 'run', 'remove'], artifact: ['package.json', 'scripts', 'src'] },
  healthCheck: { url: '{serverUrl}/apps/dev/health', retries: 1, intervalSeconds: 1, timeoutSeconds: 15 },
};

/**
 * Make the sample app's `/health` answer 500 in its repository's working tree (the next commit
 * then fails its health check). Throws when the handler no longer has the line it changes.
 */
export function breakSampleHealth(repository: string): void {
  const handler = join(repository, 'src', 'handler.js');
  const original = readFileSync(handler, 'utf8');
  if (!original.includes(HEALTHY)) throw new Error(`${handler} no longer answers /health with: ${HEALTHY}`);
  writeFileSync(handler, original.replace(HEALTHY, BROKEN));
}
