import { existsSync, readFileSync } from 'fs';
import { Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { fileURLToPath } from 'url';
import { BuildRun, BuilderHarness, npmPackage } from './harness';
import { BUILD_INGEST_TOKEN, BUILD_PARAMETERS, BUILD_SETTINGS } from '../../src/contract/build-environment';
import { readBody } from '../../src/local/dashboard-server';
import { GitHubStandIn, startGitHubStandIn } from '../../src/local/github-stand-in/stand-in';
import { ingestTokenHash } from '../../src/runtime/core/ingest-token';
import { gitHubConnection } from '../../src/runtime/github/github-connection';
import { answerRepositoryTokenRequest } from '../../src/runtime/github/repository-token';
import { appConfig, depId, envConfig, queuedDeployment } from '../store/fixtures';

/**
 * The builder as a process with a GitHub App: it asks the repository-token function (the real
 * logic, behind an HTTP stand-in for Lambda Invoke, with the test's DynamoDB Local table) for
 * its token right before the clone, and clones a private repository from the GitHub stand-in
 * over real HTTP with it. The token is never in the build log, the builder's output, an app
 * command's environment or the function's log, and it opens only its own repository.
 */
describe('builder: clone with the GitHub App installation token', () => {
  let harness: BuilderHarness;
  let standIn: GitHubStandIn;
  let tokenFunction: Server;
  let functionUrl: string;
  /** What the function logged, and the tokens it answered (to look for them elsewhere). */
  const functionLog: string[] = [];
  const answered: string[] = [];
  let alpha: { url: string; commits: string[] };
  let beta: { url: string; commits: string[] };
  let counter = 500;

  /** The app prints its environment and writes it to a file outside the workspace. */
  const envFile = () => harness.path('app-env.json');

  beforeAll(async () => {
    harness = await BuilderHarness.create();
    await harness.configure([
      appConfig('alpha', [envConfig('dev', { runTests: true, testCommand: ['npm', 'run', 'test'] })], 'acme/alpha'),
      appConfig('beta', [envConfig('dev')], 'acme/beta'),
    ]);
    const printEnv = `const env = JSON.stringify(process.env); require('fs').writeFileSync(${JSON.stringify(envFile())}, env); console.log('env ' + env);`;
    alpha = harness.repo('alpha', { 'serverless.yml': 'service: alpha\n', 'print-env.js': printEnv, ...npmPackage('alpha', { test: 'node print-env.js' }) });
    beta = harness.repo('beta', { 'serverless.yml': 'service: beta\n', ...npmPackage('beta') });
    standIn = await startGitHubStandIn();
    standIn.addRepository('acme/alpha', fileURLToPath(alpha.url), { private: true });
    standIn.addRepository('acme/beta', fileURLToPath(beta.url), { private: true });
    const credentials = standIn.createApp({ name: 'trellis-builder-test', default_permissions: { contents: 'read', metadata: 'read' } });
    standIn.install(['acme/alpha', 'acme/beta']);
    const log = (entry: Record<string, unknown>) => functionLog.push(JSON.stringify(entry));
    const deps = {
      store: harness.store(),
      github: gitHubConnection({ endpoints: standIn.endpoints, secrets: { get: async () => JSON.stringify(credentials) }, credentialsSecret: 'app', log }),
      log,
    };
    tokenFunction = createServer((request, response) => void (async () => {
      const answer = await answerRepositoryTokenRequest(JSON.parse((await readBody(request))!.toString('utf8')), deps);
      if ('token' in answer) answered.push(answer.token);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    })());
    await new Promise<void>(resolve => tokenFunction.listen(0, '127.0.0.1', resolve));
    functionUrl = `http://127.0.0.1:${(tokenFunction.address() as AddressInfo).port}/repository-token`;
  });

  afterAll(async () => {
    await new Promise(resolve => tokenFunction?.close(resolve));
    await standIn?.close();
    harness?.cleanup();
  });

  /** A build of `application` (running, its task and ingest token recorded, as the launcher leaves it) cloning `gitUrl`. */
  async function build(application: string, commit: string, gitUrl: string, options: { ingestToken?: string } = {}): Promise<BuildRun> {
    const id = depId(++counter);
    const ingestToken = `ingest-token-of-${id}`;
    await harness.record(queuedDeployment(id, application, 'dev', { commit, status: 'running' }));
    await harness.store().deployments.attachTask(id, `task-${counter}`, ingestTokenHash(ingestToken));
    return harness.run({
      application,
      environment: 'dev',
      commit,
      gitUrl,
      params: {
        [BUILD_PARAMETERS.deploymentId]: id,
        [BUILD_INGEST_TOKEN]: options.ingestToken ?? ingestToken,
        [BUILD_SETTINGS.repositoryTokenFunction]: functionUrl,
      },
    });
  }

  function tokenForms(token: string): string[] {
    return [token, Buffer.from(token).toString('base64'), Buffer.from(`x-access-token:${token}`).toString('base64')];
  }

  describe('a build of alpha', () => {
    let run: BuildRun;
    let issuedBefore: number;

    beforeAll(async () => {
      issuedBefore = standIn.tokensIssued().length;
      run = await build('alpha', alpha.commits[0], `${standIn.url}/acme/alpha.git`);
    });

    test('clones its private repository from the stand-in over HTTP and deploys', () => {
      expect(run.code).toBe(0);
      expect(run.output).toContain('cloning with an installation token of the GitHub App for this repository only (contents: read)');
      expect(run.output).toContain(`${alpha.commits[0].slice(0, 12)} from ${standIn.url}/acme/alpha.git`);
    });

    test('with a token minted for exactly acme/alpha, contents: read', () => {
      expect(answered).toHaveLength(1);
      expect(standIn.tokensIssued().slice(issuedBefore)).toEqual([{ repositories: ['acme/alpha'], permissions: { contents: 'read' } }]);
    });

    test('the token reached git (masked where git printed it) and nothing else prints it', () => {
      // The harness's git wrapper prints the token it sees in its extraheader: masked in the log.
      expect(run.output).toContain('git sees token: ***');
      for (const form of tokenForms(answered[0])) {
        expect(run.output).not.toContain(form);
        expect(run.stdout).not.toContain(form);
        expect(functionLog.join('\n')).not.toContain(form);
      }
    });

    test("the app's commands never see it in their environment", () => {
      expect(existsSync(envFile())).toBe(true);
      const env = readFileSync(envFile(), 'utf8');
      for (const form of tokenForms(answered[0])) expect(env).not.toContain(form);
      const names = Object.keys(JSON.parse(env));
      expect(names.filter(name => name.startsWith('GIT_CONFIG'))).toEqual([]);
      expect(names.filter(name => name.startsWith('TRELLIS_')).sort()).toEqual(['TRELLIS_COMMIT', 'TRELLIS_STAGE']);
    });
  });

  test("a build of alpha cannot clone beta's repository with its token", async () => {
    const before = standIn.tokensIssued().length;
    const run = await build('alpha', beta.commits[0], `${standIn.url}/acme/beta.git`);
    expect(run.code).not.toBe(0);
    expect(standIn.tokensIssued().slice(before)).toEqual([]);
    // The App's client keeps alpha's token for its hour: the same one, still for acme/alpha only.
    expect(answered).toHaveLength(2);
    expect(answered[1]).toBe(answered[0]);
    expect(run.output).toMatch(/clone/);
  });

  test('with a wrong ingest token the function refuses; the build clones without a token and the private repository stays closed', async () => {
    const before = answered.length;
    const run = await build('alpha', alpha.commits[0], `${standIn.url}/acme/alpha.git`, { ingestToken: 'not-this-deployments-ingest-token' });
    expect(run.code).not.toBe(0);
    expect(answered).toHaveLength(before);
    expect(run.output).toContain('no installation token: the repository-token function refused (its log says why); cloning without a token');
    expect(functionLog.join('\n')).toContain("not the deployment's ingest token");
  });
});
