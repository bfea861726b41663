import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gitRepo } from './local-fixtures';
import { DEFAULT_DATA_DIR, DataDir } from '../../src/local/data-dir';

/**
 * `trellis local` keeps its data directory (by default `.trellis/local`) inside the user's
 * project: admin password, webhook secret, DynamoDB Local's files, the sample app's repository.
 * A `git add -A` in the project must not commit them: a data directory it makes is ignored whole
 * (before, `git status` listed `.trellis/` and `git add` took the secrets along). A directory
 * that existed before, like the project itself given as `--data-dir .`, gets no `.gitignore`.
 */

let project: string;

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'trellis-datadir-'));
  gitRepo(project, { 'package.json': '{"name":"consumer"}\n', 'src/app.ts': 'export {};\n' });
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

const git = (...args: string[]) => execFileSync('git', args, { cwd: project, encoding: 'utf8' });
/** What `git add -A` would stage in the project. */
const wouldAdd = () => git('add', '-A', '--dry-run').split('\n').filter(Boolean).map(line => line.replace(/^add '(.*)'$/, '$1')).sort();

/** A data directory as a run leaves it: secrets, database files, the sample app's repository. */
function use(data: DataDir): void {
  data.webhookSecret();
  data.adminPassword();
  data.dynamodbAccessKeyId();
  writeFileSync(join(data.dynamodb, 'local_local.db'), 'db');
  gitRepo(join(data.repos, 'sample-app'), { 'package.json': '{"name":"sample"}\n' });
  mkdirSync(join(data.deployed, 'dev'), { recursive: true });
  writeFileSync(join(data.deployed, 'dev', 'version.json'), '{}');
}

test.each([
  ['the default, in the project', DEFAULT_DATA_DIR],
  ['a --data-dir made inside the project', join('state', 'trellis', 'local')],
  ['a --data-dir one level down', 'trellis-data'],
])('%s: git add -A in the project takes nothing of it', (_, relative) => {
  const data = new DataDir(join(project, relative));
  data.prepare(false);
  use(data);
  writeFileSync(join(project, 'src', 'new.ts'), 'export const x = 1;\n');

  expect(wouldAdd()).toEqual(['src/new.ts']);
  expect(git('status', '--porcelain', '--untracked-files=all')).toBe('?? src/new.ts\n');

  // A second start and a --reset keep it so.
  data.prepare(false);
  expect(wouldAdd()).toEqual(['src/new.ts']);
  data.prepare(true);
  use(data);
  expect(wouldAdd()).toEqual(['src/new.ts']);
});

test('a directory that existed before (the project itself as --data-dir) gets no .gitignore', () => {
  const data = new DataDir(project);
  data.prepare(false);
  expect(existsSync(join(project, '.gitignore'))).toBe(false);
  writeFileSync(join(project, 'src', 'new.ts'), 'export const x = 1;\n');
  expect(wouldAdd()).toContain('src/new.ts');
});

test('the sample app\'s repository inside the data directory still sees all its own files', () => {
  const data = new DataDir(join(project, DEFAULT_DATA_DIR));
  data.prepare(false);
  use(data);
  const repo = join(data.repos, 'sample-app');
  writeFileSync(join(repo, 'pricing.js'), 'module.exports = {};\n');
  expect(execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' })).toBe('?? pricing.js\n');
});
