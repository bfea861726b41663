import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DeployedApps } from '../../src/local/deployed-apps';

/**
 * The sample app "deploys" into the data directory, which by default is inside the user's
 * project (`.trellis/local/deployed/<stage>`), and the local server runs its CommonJS handler
 * from there. Node takes a file's module type from the nearest package.json: without one of
 * its own in the deployed folder that was the project's, and in a project with
 * `"type": "module"` (SST, modern TypeScript setups) the handler failed (`require is not
 * defined`), the health check answered 500 and the first deploy of `dev` failed.
 */

const DEPLOY = join(__dirname, '..', '..', 'examples', 'sample-app', 'scripts', 'deploy.js');
const COMMIT = 'c0ffee0000000000000000000000000000000000';
let project: string;

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'trellis-sample-deploy-'));
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

test.each([
  ['"type": "module"', { name: 'consumer', type: 'module' }],
  ['"type": "commonjs"', { name: 'consumer', type: 'commonjs' }],
  ['no type', { name: 'consumer' }],
  ['no package.json at all', undefined],
])('in a project with %s, the deployed sample answers its health check', async (_, manifest) => {
  if (manifest) writeFileSync(join(project, 'package.json'), JSON.stringify(manifest));
  const deployed = join(project, '.trellis', 'local', 'deployed');
  execFileSync(process.execPath, [DEPLOY], { env: { PATH: process.env.PATH, STAGE: 'dev', SAMPLE_DEPLOY_DIR: deployed, TRELLIS_COMMIT: COMMIT }, stdio: 'pipe' });

  const apps = new DeployedApps(deployed, () => undefined);
  const health = await apps.invoke('dev', { method: 'GET', path: '/health', query: '', headers: {}, body: Buffer.alloc(0) });
  expect({ status: health.statusCode, body: JSON.parse(health.body.toString()) }).toEqual({ status: 200, body: { status: 'ok', commit: COMMIT } });
  const body = Buffer.from(JSON.stringify({ items: [{ unitPrice: 250, quantity: 2 }] }));
  const quote = await apps.invoke('dev', { method: 'POST', path: '/quote', query: '', headers: { 'content-type': 'application/json' }, body });
  expect({ status: quote.statusCode, body: JSON.parse(quote.body.toString()) }).toEqual({ status: 200, body: { currency: 'EUR', subtotal: 500, discount: 0, total: 500 } });
});
