import { mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Canary, HostileValue, hostileCorpus, titled } from './support/hostile-corpus';
import { readBuildRequest } from '../../src/builder/params';
import { runBuild } from '../../src/builder/run-build';
import { BUILD_PARAMETERS, BUILD_SETTINGS } from '../../src/contract/build-environment';
import { BUILDER_EXIT, Store } from '../../src/runtime/core';
import { depId, steppingClock } from '../store/fixtures';

/**
 * The hostile corpus in every build parameter: refused with a problem naming the parameter,
 * and runBuild exits 2 before it touches the store, a secret, a credential or the workspace.
 * (test/builder/hostile-input.test.ts runs the real builder process for a few of these.)
 */

const canary = new Canary();
const CORPUS = titled(hostileCorpus(canary.path));

const VALID: Record<string, string> = {
  [BUILD_PARAMETERS.deploymentId]: depId(1),
  [BUILD_PARAMETERS.action]: 'deploy',
  [BUILD_PARAMETERS.application]: 'shop',
  [BUILD_PARAMETERS.environment]: 'dev',
  [BUILD_PARAMETERS.commit]: 'a'.repeat(40),
  [BUILD_PARAMETERS.stage]: 'dev',
  [BUILD_SETTINGS.installation]: 'acme',
  [BUILD_SETTINGS.gitUrl]: 'https://git.example.com/shop.git',
};

/** Which corpus values a parameter legitimately takes, stated without the builder's rules. */
const ACCEPTS: Record<string, (entry: HostileValue) => boolean> = {
  [BUILD_PARAMETERS.deploymentId]: () => false,
  [BUILD_PARAMETERS.action]: () => false,
  [BUILD_PARAMETERS.commit]: () => false,
  // 'constructor' is as good a name as 'shop': a name, never looked up on a prototype.
  [BUILD_PARAMETERS.application]: entry => entry.kinds.includes('well-formed'),
  [BUILD_PARAMETERS.environment]: entry => entry.kinds.includes('well-formed'),
  [BUILD_PARAMETERS.stage]: entry => entry.kinds.includes('well-formed'),
  [BUILD_SETTINGS.installation]: entry => entry.kinds.includes('well-formed'),
  // Local mode clones from a path on this machine; empty means "clone from GitHub".
  [BUILD_SETTINGS.gitUrl]: entry => entry.value === '' || entry.value === '/etc/passwd',
};

/** Every dependency throws and counts: a refused build must not reach any of them. */
function trappedDeps(workspace: string) {
  const touched: string[] = [];
  const trap = <T extends object>(name: string): T => new Proxy({} as T, {
    get: (_target, property) => {
      touched.push(`${name}.${String(property)}`);
      throw new Error(`${name}.${String(property)} used by a refused build`);
    },
  });
  const lines: string[] = [];
  return {
    touched,
    lines,
    deps: {
      store: trap<Store>('store'),
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

  describe.each(Object.keys(VALID))('%s', name => {
    test.each(CORPUS)('%s', async (_title, entry: HostileValue) => {
      const env = { ...VALID, [name]: entry.value };
      const read = readBuildRequest(env);

      if (ACCEPTS[name](entry)) {
        expect(read.ok).toBe(true);
        return;
      }
      expect(read).toEqual({ ok: false, problems: [expect.stringMatching(new RegExp(`^${name}(: | is not set$)`))] });
      if (read.ok) return;
      const [problem] = read.problems;
      expect(problem).not.toMatch(/[\x00-\x1f\x7f]/);
      expect(problem.length).toBeLessThan(400);

      const trapped = trappedDeps(workspace);
      const code = await runBuild(env, trapped.deps);

      expect(code).toBe(BUILDER_EXIT.invalid);
      expect(trapped.touched).toEqual([]);
      expect(readdirSync(workspace)).toEqual([]);
      expect(trapped.lines.join('\n')).toContain(`${name}`);
    });
  });

  test('no value in the corpus ever ran a command', () => {
    expect(canary.fired()).toBe(false);
  });
});
