import { IncomingHttpHeaders, Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { BuildRun, BuilderHarness, STUB_OUTPUTS, endOf, frameworkRecords, phaseOutcomes } from './harness';
import { BUILDER_EXIT, HealthCheckConfig } from '../../src/runtime/core';
import { appConfig, envConfig } from '../store/fixtures';

/**
 * The health phase after a deploy, against a real HTTP server on 127.0.0.1 that answers per
 * path. Framework CLIs are the harness's recording stubs; they write stack outputs on deploy.
 */

const SAM_DEPLOYED = ['prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'install:skipped', 'test:skipped', 'build:succeeded', 'deploy:succeeded'];
const SLOW_MS = 3000;

/** What the server saw: path with query, and the headers. */
interface Seen {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

describe('builder: health check after deploy', () => {
  let harness: BuilderHarness;
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  const flakyCalls = new Map<string, number>();
  const repos: Record<string, { url: string; commits: string[] }> = {};

  const check = (overrides: Partial<HealthCheckConfig>): HealthCheckConfig => ({
    minStatus: 200, maxStatus: 399, timeoutSeconds: 5, retries: 0, intervalSeconds: 0, ...overrides,
  });
  const run = (application: string, environment: string, options: { action?: 'deploy' | 'teardown'; secrets?: Record<string, string> } = {}) => {
    seen.length = 0;
    return harness.run({ application, environment, gitUrl: repos[application].url, commit: repos[application].commits[0], ...options });
  };
  const healthLines = (result: BuildRun) => result.lines.filter(line => line.startsWith('health: '));

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({ url: request.url ?? '', headers: request.headers });
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (path === '/ok') return response.writeHead(200).end('ok');
      if (path === '/error') return response.writeHead(500).end('boom');
      if (path === '/moved') return response.writeHead(302, { location: '/error' }).end();
      if (path === '/slow') return setTimeout(() => response.writeHead(200).end('late'), SLOW_MS).unref();
      if (path.startsWith('/flaky/')) {
        // 500 twice, then 200: each flaky path counts its own calls.
        const calls = (flakyCalls.get(path) ?? 0) + 1;
        flakyCalls.set(path, calls);
        return response.writeHead(calls <= 2 ? 500 : 200).end();
      }
      return response.writeHead(404).end();
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    harness = await BuilderHarness.create();
    const writeOutputs = (outputs: string) => ['node', '-e',
      `const fs = require("fs"); fs.mkdirSync(".trellis", { recursive: true }); fs.writeFileSync(".trellis/outputs.json", ${JSON.stringify(outputs)})`];
    await harness.configure([
      appConfig('web', [
        envConfig('ok', { healthCheck: check({ url: `${base}/ok` }) }),
        envConfig('plain'),
        envConfig('broken', { healthCheck: check({ url: `${base}/error`, retries: 3 }) }),
        envConfig('flaky', { healthCheck: check({ url: `${base}/flaky/one`, retries: 3, intervalSeconds: 0.2 }) }),
        envConfig('slow', { healthCheck: check({ url: `${base}/slow`, timeoutSeconds: 1, retries: 1 }) }),
        envConfig('moved', { healthCheck: check({ url: `${base}/moved` }) }),
        envConfig('strict', { healthCheck: check({ url: `${base}/moved`, maxStatus: 299 }) }),
        envConfig('closed', { healthCheck: check({ url: 'http://127.0.0.1:9/health' }) }),
        envConfig('masked', { healthCheck: check({ url: `${base}/ok?key=hush-hush-value` }) }),
      ]),
      appConfig('infra', [
        envConfig('dev', { healthCheck: check({ stackOutput: 'ApiUrl' }) }),
        envConfig('missing', { healthCheck: check({ stackOutput: 'WebUrl' }) }),
        envConfig('unchecked'),
      ]),
      appConfig('garbled', [envConfig('dev', { healthCheck: check({ stackOutput: 'ApiUrl' }) })]),
      appConfig('shop', [envConfig('dev', { healthCheck: check({ stackOutput: 'site' }) })]),
      appConfig('site', [
        envConfig('dev', {
          healthCheck: check({ stackOutput: 'SiteUrl' }),
          framework: { kind: 'custom', deploy: writeOutputs(JSON.stringify({ SiteUrl: `${base}/ok?from=custom` })), remove: ['node', '-e', ''] },
        }),
        envConfig('quiet', {
          healthCheck: check({ stackOutput: 'SiteUrl' }),
          framework: { kind: 'custom', deploy: ['node', '-e', 'console.log("deployed, no outputs written")'], remove: ['node', '-e', ''] },
        }),
        envConfig('odd', {
          healthCheck: check({ stackOutput: 'SiteUrl' }),
          framework: { kind: 'custom', deploy: writeOutputs(JSON.stringify({ SiteUrl: 'ftp://files.example.com/' })), remove: ['node', '-e', ''] },
        }),
      ]),
    ]);

    repos.web = harness.repo('web', { 'template.yaml': 'Resources: {}\n', 'samconfig.toml': 'version = 0.1\n' });
    repos.infra = harness.repo('infra', {
      'cdk.json': '{ "app": "node app.js" }',
      [STUB_OUTPUTS]: JSON.stringify({ NetworkStack: { VpcId: 'vpc-123' }, ApiStack: { ApiUrl: `${base}/ok?from=cdk` } }),
    });
    repos.garbled = harness.repo('garbled', { 'cdk.json': '{}', [STUB_OUTPUTS]: '{ not json' });
    repos.shop = harness.repo('shop', {
      'sst.config.ts': 'export default $config({ app: () => ({ name: "shop" }), async run() {} });\n',
      [STUB_OUTPUTS]: JSON.stringify({ site: `${base}/ok?from=sst` }),
    });
    // A committed outputs file is not the deploy's: it is removed before the deploy runs.
    repos.site = harness.repo('site', { '.trellis/outputs.json': JSON.stringify({ SiteUrl: `${base}/ok?from=git` }), 'index.html': 'hi' });
  });

  afterAll(async () => {
    harness?.cleanup();
    server?.closeAllConnections();
    await new Promise(resolve => server?.close(resolve));
  });

  test('a passing check: health succeeds after the deploy, one attempt logged, exit 0', async () => {
    const result = await run('web', 'ok');

    expect(result.code).toBe(BUILDER_EXIT.succeeded);
    expect(phaseOutcomes(result.markers)).toEqual([...SAM_DEPLOYED, 'health:succeeded']);
    expect(endOf(result.markers, 'health')?.detail).toBe(`GET ${base}/ok answered 200 (attempt 1 of 1)`);
    expect(healthLines(result)).toEqual([expect.stringMatching(new RegExp(`^health: GET ${base}/ok → 200 in \\d+ ms \\(attempt 1 of 1\\)$`))]);
    // The builder calls it itself: no credentials, nothing of the app's environment.
    expect(seen).toHaveLength(1);
    expect(seen[0].headers['user-agent']).toBe('trellis-health-check');
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(seen[0].headers.cookie).toBeUndefined();
  });

  test('no health check configured: no health phase at all', async () => {
    const result = await run('web', 'plain');

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toEqual(SAM_DEPLOYED);
    expect(healthLines(result)).toEqual([]);
    expect(seen).toEqual([]);
  });

  test('500 on every attempt: health fails with the summary and exit 3 (unhealthy)', async () => {
    const result = await run('web', 'broken');

    expect(result.code).toBe(BUILDER_EXIT.unhealthy);
    expect(phaseOutcomes(result.markers)).toEqual([...SAM_DEPLOYED, 'health:failed']);
    expect(endOf(result.markers, 'health')?.detail).toBe(`GET ${base}/error answered 500 on 4 attempts, expected 200–399`);
    expect(healthLines(result).map(line => line.replace(/in \d+ ms/, 'in N ms'))).toEqual([1, 2, 3, 4].map(n => `health: GET ${base}/error → 500 in N ms (attempt ${n} of 4)`));
    expect(seen).toHaveLength(4);
    expect(result.output).toContain(`error: health failed: GET ${base}/error answered 500 on 4 attempts`);
  });

  test('retries: 500 twice, then 200 passes on the third attempt, with the wait between', async () => {
    const started = Date.now();
    const result = await run('web', 'flaky');

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers).slice(-1)).toEqual(['health:succeeded']);
    expect(healthLines(result).map(line => line.replace(/in \d+ ms/, 'in N ms'))).toEqual([
      `health: GET ${base}/flaky/one → 500 in N ms (attempt 1 of 4)`,
      `health: GET ${base}/flaky/one → 500 in N ms (attempt 2 of 4)`,
      `health: GET ${base}/flaky/one → 200 in N ms (attempt 3 of 4)`,
    ]);
    expect(endOf(result.markers, 'health')?.detail).toBe(`GET ${base}/flaky/one answered 200 (attempt 3 of 4)`);
    expect(seen).toHaveLength(3);
    // Two waits of 0.2 s; the health phase's own duration shows them.
    expect(endOf(result.markers, 'health')!.durationMs).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  test('no answer within the timeout: each attempt gives up, exit 3 with "no answer"', async () => {
    const result = await run('web', 'slow');

    expect(result.code).toBe(BUILDER_EXIT.unhealthy);
    expect(phaseOutcomes(result.markers).slice(-1)).toEqual(['health:failed']);
    expect(healthLines(result)).toEqual([
      `health: GET ${base}/slow → no answer: timed out after 1 s (attempt 1 of 2)`,
      `health: GET ${base}/slow → no answer: timed out after 1 s (attempt 2 of 2)`,
    ]);
    expect(endOf(result.markers, 'health')?.detail).toBe(`GET ${base}/slow: no answer on 2 attempts: timed out after 1 s`);
    // Given up after about a second each, long before the server would have answered.
    expect(endOf(result.markers, 'health')!.durationMs).toBeGreaterThanOrEqual(2000);
    expect(endOf(result.markers, 'health')!.durationMs).toBeLessThan(2 * SLOW_MS);
  });

  test('nothing listening: no answer, with the connection error', async () => {
    const result = await run('web', 'closed');

    expect(result.code).toBe(BUILDER_EXIT.unhealthy);
    expect(endOf(result.markers, 'health')?.detail).toBe('GET http://127.0.0.1:9/health: no answer on 1 attempt: connect ECONNREFUSED 127.0.0.1:9');
  });

  test('redirects are not followed: a 302 passes when 302 is in range, fails when it is not', async () => {
    const passing = await run('web', 'moved');
    expect(passing.code).toBe(0);
    expect(endOf(passing.markers, 'health')?.detail).toBe(`GET ${base}/moved answered 302 (attempt 1 of 1)`);
    // Only the URL itself was called, not the Location it points to (/error).
    expect(seen.map(request => request.url)).toEqual(['/moved']);

    const failing = await run('web', 'strict');
    expect(failing.code).toBe(BUILDER_EXIT.unhealthy);
    expect(endOf(failing.markers, 'health')?.detail).toBe(`GET ${base}/moved answered 302 on 1 attempt, expected 200–299`);
  });

  test('the URL passes through the masker like every line', async () => {
    const result = await run('web', 'masked', { secrets: { 'trellis/test/web/masked': JSON.stringify({ MY_SECRET: 'hush-hush-value' }) } });

    expect(result.code).toBe(0);
    expect(seen.map(request => request.url)).toEqual(['/ok?key=hush-hush-value']);
    expect(healthLines(result)[0]).toContain(`GET ${base}/ok?key=*** → 200`);
    expect(endOf(result.markers, 'health')?.detail).toBe(`GET ${base}/ok?key=*** answered 200 (attempt 1 of 1)`);
    expect(result.stdout).not.toContain('hush-hush-value');
  });

  test('teardown has no health phase', async () => {
    const result = await run('web', 'broken', { action: 'teardown' });

    expect(result.code).toBe(0);
    expect(phaseOutcomes(result.markers)).toEqual([
      'prepare:succeeded', 'clone:succeeded', 'detect:succeeded', 'install:skipped', 'test:skipped', 'build:skipped', 'remove:succeeded',
    ]);
    expect(seen).toEqual([]);
  });

  describe('stackOutput', () => {
    test('CDK: deploy writes --outputs-file, the URL is the output of whichever stack has it', async () => {
      const result = await run('infra', 'dev');

      expect(result.code).toBe(0);
      expect(frameworkRecords(result).map(record => record.argv)).toEqual([
        ['synth', '-c', 'stage=dev', '--quiet'],
        ['deploy', '--all', '--require-approval', 'never', '-c', 'stage=dev', '--app', 'cdk.out', '--outputs-file', '.trellis/cdk-outputs.json'],
      ]);
      expect(phaseOutcomes(result.markers).slice(-2)).toEqual(['deploy:succeeded', 'health:succeeded']);
      expect(seen.map(request => request.url)).toEqual(['/ok?from=cdk']);
    });

    test('CDK without a stackOutput health check: the deploy command is unchanged', async () => {
      const result = await run('infra', 'unchecked');

      expect(result.code).toBe(0);
      expect(frameworkRecords(result)[1].argv).toEqual(['deploy', '--all', '--require-approval', 'never', '-c', 'stage=unchecked', '--app', 'cdk.out']);
      expect(phaseOutcomes(result.markers).slice(-1)).toEqual(['deploy:succeeded']);
    });

    test('an output no stack has: exit 3 with the reason, nothing called', async () => {
      const result = await run('infra', 'missing');

      expect(result.code).toBe(BUILDER_EXIT.unhealthy);
      expect(phaseOutcomes(result.markers).slice(-2)).toEqual(['deploy:succeeded', 'health:failed']);
      expect(endOf(result.markers, 'health')?.detail).toBe("stack output 'WebUrl' not found in .trellis/cdk-outputs.json");
      expect(seen).toEqual([]);
    });

    test('SST v3: the value from .sst/outputs.json', async () => {
      const result = await run('shop', 'dev');

      expect(result.code).toBe(0);
      expect(frameworkRecords(result).map(record => record.argv)).toEqual([['deploy', '--stage', 'dev']]);
      expect(seen.map(request => request.url)).toEqual(['/ok?from=sst']);
    });

    test('custom deploy: the value from the .trellis/outputs.json it wrote, not the committed one', async () => {
      const result = await run('site', 'dev');

      expect(result.code).toBe(0);
      expect(phaseOutcomes(result.markers).slice(-1)).toEqual(['health:succeeded']);
      expect(seen.map(request => request.url)).toEqual(['/ok?from=custom']);
    });

    test('a deploy that wrote no outputs: exit 3, the committed file is not used', async () => {
      const result = await run('site', 'quiet');

      expect(result.code).toBe(BUILDER_EXIT.unhealthy);
      expect(endOf(result.markers, 'health')?.detail).toBe("stack output 'SiteUrl' not found: the deploy wrote no .trellis/outputs.json");
      expect(seen).toEqual([]);
    });

    test('an output that is not an http(s) URL: exit 3, nothing called', async () => {
      const result = await run('site', 'odd');

      expect(result.code).toBe(BUILDER_EXIT.unhealthy);
      expect(endOf(result.markers, 'health')?.detail).toBe(
        "stack output 'SiteUrl' in .trellis/outputs.json is not a URL to call: 'ftp://files.example.com/' must be an http:// or https:// URL",
      );
    });

    test('an outputs file that is not JSON is named in the reason', async () => {
      const result = await run('garbled', 'dev');

      expect(result.code).toBe(BUILDER_EXIT.unhealthy);
      expect(endOf(result.markers, 'health')?.detail).toBe("stack output 'ApiUrl' not found: .trellis/cdk-outputs.json is not JSON");
    });
  });
});
