import { spawn } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stop as stopEsbuild } from 'esbuild';
import { bundleCommand } from '../local/support/trellis-process';
import { depId, queuedDeployment } from '../store/fixtures';
import { eventually } from '../support/eventually';
import { FakeInstallation } from './support/fake-installation';

/**
 * What only the bundled command as a process shows (main.ts's wiring): Ctrl-C while following a
 * deployment, and the version read from the package.json two folders above the bundle.
 */

const ID = depId(3);
let root: string;
let cli: string;
let fake: FakeInstallation;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'trellis-bundled-'));
  // The package's layout: <package>/assets/local/trellis.js.
  mkdirSync(join(root, 'assets', 'local'), { recursive: true });
  cli = join(root, 'assets', 'local', 'trellis.js');
  bundleCommand(cli);
  await stopEsbuild();
  fake = await FakeInstallation.start();
}, 60_000);

afterAll(async () => {
  await fake?.close();
  rmSync(root, { recursive: true, force: true });
});

function start(args: readonly string[]) {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH, TRELLIS_CONFIG_DIR: join(root, 'config'), TRELLIS_URL: fake.url, TRELLIS_TOKEN: 'trellis_abcdefghijkl_x' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', chunk => { output.stdout += chunk; });
  child.stderr.on('data', chunk => { output.stderr += chunk; });
  const exit = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  return { child, output, exit };
}

test('Ctrl-C during deploy --wait: exit 130, saying the deployment goes on and how to follow or cancel it', async () => {
  fake.on('POST', '/api/apps/shop/environments/dev/deploy', { status: 202, body: queuedDeployment(ID, 'shop', 'dev') });
  fake.on('GET', `/api/deployments/${ID}`, { status: 200, body: queuedDeployment(ID, 'shop', 'dev', { status: 'running' }) });
  const run = start(['deploy', 'shop', 'dev', '--wait']);
  try {
    await eventually(() => `the first poll:\n${run.output.stdout}${run.output.stderr}`, () => fake.apiCalls.includes(`GET /api/deployments/${ID}`), 20_000);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
  } finally {
    run.child.kill('SIGKILL');
  }
  expect(run.output.stderr).toBe(`\nstopped following: the deployment goes on; follow it with \`trellis logs ${ID} --follow\`, or \`trellis cancel ${ID}\`\n`);
  expect(run.output.stdout).toMatch(/^shop\/dev deploy aaaaaaa queued: /);
}, 30_000);

test('--version: the package.json two folders above the bundle, else unknown', async () => {
  const unknown = start(['--version']);
  expect([await unknown.exit, unknown.output.stdout]).toEqual([0, 'unknown\n']);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'trellis-cdk', version: '1.2.3' }));
  const known = start(['-V']);
  expect([await known.exit, known.output.stdout]).toEqual([0, '1.2.3\n']);
});

test('a reader that stops early (| head): no stack trace, exit 0', async () => {
  const run = start(['help']);
  // Close our end of stdout before the command writes: its next write meets a closed pipe.
  run.child.stdout.destroy();
  expect(await run.exit).toBe(0);
  expect(run.output.stderr).not.toMatch(/EPIPE|at .*\(/);
});
