import { mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Canary, HostileValue, hostileCorpus, titled } from './support/hostile-corpus';
import { readBuildSettings, requestFromRecord } from '../../src/builder/params';
import { runBuild } from '../../src/builder/run-build';
import { BUILD_PARAMETERS, BUILD_SETTINGS } from '../../src/contract/build-environment';
import { BUILDER_EXIT, Deployment, Store } from '../../src/runtime/core';
import { depId, queuedDeployment, steppingClock } from '../store/fixtures';

/**
 * The hostile corpus in every value the builder takes: its environment (the deployment id and
 * the task definition's settings) and its deployment record (what is built, and where). Refused
 * with a problem naming the variable or the field, and runBuild exits 2 before it reads the
 * configuration, a secret or a credential, or touches the workspace (a bad variable: before it
 * reads the record, too). (test/builder/hostile-input.test.ts runs the real builder process for a few.)
 */

const canary = new Canary();
const CORPUS = titled(hostileCorpus(canary.path));

const VALID: Record<string, string> = {
  [BUILD_PARAMETERS.deploymentId]: depId(1),
  [BUILD_SETTINGS.installation]: 'acme',
  [BUILD_SETTINGS.gitUrl]: 'https://git.example.com/shop.git',
};
const RECORD = queuedDeployment(depId(1), 'shop', 'dev', { status: 'running' });

/** Which corpus values a variable or record field legitimately takes, stated without the builder's rules. */
const ACCEPTS: Record<string, (entry: HostileValue) => boolean> = {
  [BUILD_PARAMETERS.deploymentId]: () => false,
  [BUILD_SETTINGS.installation]: entry => entry.kinds.includes('well-formed'),
  // Local mode clones from a path on this machine; empty means "clone from GitHub".
  [BUILD_SETTINGS.gitUrl]: entry => entry.value === '' || entry.value === '/etc/passwd',
  action: () => false,
  commit: () => false,
  // 'constructor' is as good a name as 'shop': a name, never looked up on a prototype.
  application: entry => entry.kinds.includes('well-formed'),
  environment: entry => entry.kinds.includes('well-formed'),
};
const RECORD_FIELDS: ReadonlyArray<keyof Deployment> = ['action', 'application', 'environment', 'commit'];

/**
 * Every dependency throws and counts: a refused build must not reach any of them. The store
 * answers one call, the read of this build's own record, with `record`.
 */
function trappedDeps(workspace: string, record?: Deployment) {
  const touched: string[] = [];
  const trap = <T extends object>(name: string, allowed: Record<string, unknown> = {}): T => new Proxy({} as T, {
    get: (_target, property) => {
      touched.push(`${name}.${String(property)}`);
      if (Object.prototype.hasOwnProperty.call(allowed, property)) return allowed[property as string];
      throw new Error(`${name}.${String(property)} used by a refused build`);
    },
  });
  const lines: string[] = [];
  const deployments = trap('store.deployments', { get: async (id: string) => (id === record?.id ? record : undefined) });
  return {
    touched,
    lines,
    deps: {
      store: trap<Store>('store', record ? { deployments } : {}),
      secrets: { get: async (secret: string) => { touched.push(`secret ${secret}`); throw new Error('no secrets'); } },
      credentials: { credentialsFor: async () => { touched.push('credentials'); throw new Error('no credentials'); } },
      workspace,
      output: { write: (line: string) => { lines.push(line); } },
      clock: steppingClock(),
    },
  };
}

describe('builder parameters: hostile input', () => {
  let workspace: string;

  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'trellis-hostile-ws-'));
  });
  afterAll(() => {
    rmSync(workspace, { recursive: true, force: true });
    canary.remove();
  });

  /** A refused build: exit 2 with the problem in its log, nothing touched but what `reached` lists. */
  const expectRefused = async (env: Record<string, string>, name: string, record: Deployment | undefined, reached: readonly string[]) => {
    const trapped = trappedDeps(workspace, record);
    const code = await runBuild(env, trapped.deps);

    expect(code).toBe(BUILDER_EXIT.invalid);
    expect(trapped.touched).toEqual(reached);
    expect(readdirSync(workspace)).toEqual([]);
    expect(trapped.lines.join('\n')).toContain(`${name}`);
  };
  const expectOneProblem = (problems: readonly string[], name: string) => {
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${name}(: | is not set$)`))]);
    expect(problems[0]).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(problems[0].length).toBeLessThan(400);
  };

  describe.each(Object.keys(VALID))('the variable %s', name => {
    test.each(CORPUS)('%s', async (_title, entry: HostileValue) => {
      const env = { ...VALID, [name]: entry.value };
      const read = readBuildSettings(env);

      if (ACCEPTS[name](entry)) {
        expect(read.ok).toBe(true);
        return;
      }
      if (read.ok) throw new Error(`${name} accepted ${JSON.stringify(entry.value)}`);
      expectOneProblem(read.problems, name);
      // Not even the record is read.
      await expectRefused(env, name, RECORD, []);
    });
  });

  describe.each(RECORD_FIELDS)('the record\'s %s', field => {
    test.each(CORPUS)('%s', async (_title, entry: HostileValue) => {
      const record = { ...RECORD, [field]: entry.value } as Deployment;
      const settings = readBuildSettings(VALID);
      if (!settings.ok) throw new Error('VALID is valid');
      const read = requestFromRecord(settings.value, record);

      if (ACCEPTS[field](entry)) {
        expect(read.ok).toBe(true);
        return;
      }
      if (read.ok) throw new Error(`${field} accepted ${JSON.stringify(entry.value)}`);
      expectOneProblem(read.problems, field);
      // The record is read, and nothing after it.
      await expectRefused(VALID, `invalid deployment record ${RECORD.id}: ${field}`, record, ['store.deployments', 'store.deployments.get']);
    });
  });

  test('a deployment that is not recorded builds nothing', async () => {
    await expectRefused(VALID, `deployment ${RECORD.id} is not recorded`, { ...RECORD, id: depId(2) }, ['store.deployments', 'store.deployments.get']);
  });

  test('no value in the corpus ever ran a command', () => {
    expect(canary.fired()).toBe(false);
  });
});
