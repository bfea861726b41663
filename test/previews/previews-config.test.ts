import { parseLocalConfig } from '../../src/local/local-config';
import { ValidationError } from '../../src/runtime/core/errors';

/** `previews` in local mode's config file: the construct's rules, its defaults, unknown keys named. */

const dirs = { configDir: '/home/ada/config', dataDir: '/home/ada/.trellis/local' };

function config(previews: unknown) {
  return {
    applications: [{
      name: 'shop',
      repository: 'acme/shop',
      source: '/home/ada/shop',
      environments: [{ kind: 'development' }, { name: 'live', kind: 'custom', protected: true }, { kind: 'production' }],
      previews,
    }],
  };
}

function issues(previews: unknown): string[] {
  try {
    parseLocalConfig(config(previews), dirs);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map(issue => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error('accepted');
}

describe('previews in the local config file', () => {
  test('defaults: forks wait for approval, 3 at most', () => {
    expect(parseLocalConfig(config({ from: 'dev' }), dirs).applications[0].previews).toEqual({ from: 'dev', forks: 'approve', maxConcurrent: 3 });
    expect(parseLocalConfig(config({ from: 'dev', forks: 'ignore', maxConcurrent: 10 }), dirs).applications[0].previews)
      .toEqual({ from: 'dev', forks: 'ignore', maxConcurrent: 10 });
  });

  test.each([
    [{ form: 'dev' }, /applications\[0\]\.previews\.form: .*from/],
    [{ from: 'qa' }, /applications\[0\]\.previews\.from: 'qa' is not an environment of shop/],
    [{ from: 'production' }, /applications\[0\]\.previews\.from: 'production' is a production environment/],
    [{ from: 'live' }, /applications\[0\]\.previews\.from: 'live' is protected \(admins only\)/],
    [{ from: 'dev', forks: 'always' }, /applications\[0\]\.previews\.forks: must be one of approve, ignore/],
    [{ from: 'dev', maxConcurrent: 51 }, /applications\[0\]\.previews\.maxConcurrent: must be a whole number from 1 to 50/],
    [{ from: 'dev', maxConcurrent: '3' }, /applications\[0\]\.previews\.maxConcurrent: must be a number/],
    ['dev', /applications\[0\]\.previews: must be an object/],
  ])('refused: %j', (previews, message) => {
    expect(issues(previews).join('\n')).toMatch(message);
  });

  test('an environment of its own named like a preview is refused when previews are on', () => {
    const raw = config({ from: 'dev' });
    raw.applications[0].environments.push({ kind: 'custom', name: 'pr-1' } as any);
    expect(() => parseLocalConfig(raw, dirs)).toThrow(/environments\[3\].name: 'pr-1' is the name of a pull request's preview/);
  });
});
