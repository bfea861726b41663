import { execFileSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { sampleRepository } from '../../src/local/local-mode';

/**
 * The sample app `trellis local` starts with, copied into the data directory as a repository of
 * its own. In a project that depends on trellis-cdk the sample lives under
 * node_modules/trellis-cdk/: the copy must not drop everything because its own path holds a
 * node_modules (before, every path was filtered out and git failed with `spawnSync git ENOENT`).
 */

const SAMPLE = join(__dirname, '..', '..', 'examples', 'sample-app');
let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'trellis-sample-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const committed = (repo: string) => execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
const sourceFiles = (dir: string, prefix = ''): string[] => readdirSync(join(dir, prefix), { withFileTypes: true })
  .filter(entry => entry.name !== 'node_modules')
  .flatMap(entry => (entry.isDirectory() ? sourceFiles(dir, join(prefix, entry.name)) : [join(prefix, entry.name)]))
  .sort();

test.each([
  ['a checkout of trellis-cdk', ['trellis-cdk', 'examples', 'sample-app']],
  ['a consumer project (npm: under node_modules/trellis-cdk)', ['consumer', 'node_modules', 'trellis-cdk', 'examples', 'sample-app']],
  ['a pnpm consumer (node_modules/.pnpm/...)', ['consumer', 'node_modules', '.pnpm', 'trellis-cdk@1.0.0', 'node_modules', 'trellis-cdk', 'examples', 'sample-app']],
])('from %s: every file of the sample is committed on main, its own node_modules left out', (_, where) => {
  const source = join(scratch, ...where);
  mkdirSync(source, { recursive: true });
  cpSync(SAMPLE, source, { recursive: true, filter: path => !path.slice(SAMPLE.length).split('/').includes('node_modules') });
  // The sample's own installed dependencies, as after `npm install` in it: never copied.
  mkdirSync(join(source, 'node_modules', 'left-out'), { recursive: true });
  writeFileSync(join(source, 'node_modules', 'left-out', 'index.js'), '');
  const repo = join(scratch, 'data', 'repos', 'sample-app');

  sampleRepository(source, repo);

  expect(committed(repo)).toEqual(sourceFiles(SAMPLE));
  expect(committed(repo).length).toBeGreaterThan(3);
  expect(existsSync(join(repo, 'node_modules'))).toBe(false);
  expect(execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim()).toBe('main');
});
