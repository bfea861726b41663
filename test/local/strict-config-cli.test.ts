import { execFile } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stop as stopEsbuild } from 'esbuild';
import { gitRepo } from './local-fixtures';
import { bundleCommand } from './support/trellis-process';

/**
 * `trellis local --config` with a misspelt key: the command exits non-zero with the key's path and
 * the key it was meant to be, and no server starts (before, the typo was ignored, the server
 * started and the default applied). The config is read before anything heavy starts, so the
 * command alone is bundled (no dashboard, builder or DynamoDB Local needed).
 */

const ROOT = join(__dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'trellis-strict-config-'));
const cli = join(scratch, 'local', 'trellis.js');
const repo = join(scratch, 'shop');

beforeAll(() => {
  bundleCommand(cli);
  void stopEsbuild(); // buildSync keeps a service process for a next build: none comes
  gitRepo(repo, { 'package.json': '{"name":"shop","scripts":{"test":"true"}}' });
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function trellisLocal(config: unknown, name: string): Promise<{ code: number; stdout: string; stderr: string; dataDir: string }> {
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const dataDir = join(scratch, `data-${name}`);
  return new Promise(resolve => {
    execFile(process.execPath, [cli, 'local', '--config', file, '--data-dir', dataDir, '--port', '0'],
      { env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') }, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr, dataDir }));
  });
}

const shop = (env: Record<string, unknown>, app: Record<string, unknown> = {}) =>
  ({ applications: [{ name: 'shop', repository: repo, environments: [{ kind: 'development', ...env }], ...app }] });

test.each<[string, unknown, string[]]>([
  ['runTests in lowercase', shop({ runtests: false }), ['applications[0].environments[0].runtests: is not a known field; did you mean `runTests`?']],
  ['a misspelt test command', shop({ testComand: ['make', 'check'] }), ['applications[0].environments[0].testComand: is not a known field; did you mean `testCommand`?']],
  ['a framework key', shop({ framework: { kind: 'custom', deploy: ['d'], remove: ['r'], instal: ['npm', 'i'] } }),
    ['applications[0].environments[0].framework.instal: is not a known field; did you mean `install`?']],
  ['a health check key', shop({ healthCheck: { url: 'http://127.0.0.1:1/health', timeout: 3 } }),
    ['applications[0].environments[0].healthCheck.timeout: is not a known field; did you mean `timeoutSeconds`?']],
  ['an application key and a top-level key at once', { ...shop({}, { enviroments: [] }), port: 4100 }, [
    'port: is not a known field; the fields are applications, github',
    'applications[0].enviroments: is not a known field; did you mean `environments`?',
  ]],
])('%s: exit 1 with the path and the suggestion, no server started', async (_, config, lines) => {
  const result = await trellisLocal(config, _.replace(/\W+/g, '-'));
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toEqual([`trellis: ${lines[0]}`, ...lines.slice(1)]);
  expect(existsSync(join(result.dataDir, 'server.json'))).toBe(false);
  expect(result.stdout).not.toContain('http://127.0.0.1');
});
