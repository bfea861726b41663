import { relative, resolve } from 'path';
import { Canary, HostileValue, hostileCorpus, titled } from './support/hostile-corpus';
import { parseLocalConfig } from '../../src/local/local-config';
import { ValidationError } from '../../src/runtime/core/errors';

/**
 * The hostile corpus in every field of the local config file that names something: refused
 * with an error naming the field, never accepted silently. Repository paths and variable
 * values are the user's data (any path of their machine, any value): kept exactly, unless
 * git or a process environment could not use them.
 */

const canary = new Canary();
const CORPUS = titled(hostileCorpus(canary.path));
const dirs = { configDir: '/home/ada/config', dataDir: '/home/ada/.trellis/local' };

type Raw = Record<string, any>;

function config(app: Raw = {}, env: Raw = {}): Raw {
  return { applications: [{ name: 'shop', repository: './shop', environments: [{ kind: 'development', ...env }], ...app }] };
}

/** The paths of the issues parsing `raw` reports, or 'accepted'. */
function outcome(raw: Raw): string[] | 'accepted' {
  try {
    parseLocalConfig(raw, dirs);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error; // anything else is a crash, not a validation error
    for (const issue of error.issues) expect(`${issue.path}: ${issue.message}`).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(error.message.length).toBeLessThan(4000);
    return error.issues.map(issue => issue.path);
  }
}

/** Inside the data dir, where local mode keeps each application's and environment's files. */
function staysInside(dir: string, name: string): boolean {
  const rel = relative(dir, resolve(dir, name));
  return rel !== '' && !rel.startsWith('..') && !rel.includes('/') && !rel.includes('\\');
}

/** A path a process can be given: no NUL or other control character, valid Unicode, not blank. */
function usablePath(value: string): boolean {
  return value.trim() !== '' && value.length <= 4096 && !/[\x00-\x1f\x7f]/.test(value) && Buffer.from(value).toString() === value;
}

describe('local config: hostile input', () => {
  afterAll(() => canary.remove());

  test.each(CORPUS)('%s as the application name', (_name, { value, kinds }: HostileValue) => {
    const result = outcome(config({ name: value }));
    if (kinds.includes('well-formed')) {
      expect(result).toBe('accepted');
      expect(staysInside(dirs.dataDir, value)).toBe(true);
    } else {
      expect(result).toEqual(expect.arrayContaining(['applications[0].name']));
    }
  });

  test.each(CORPUS)('%s as the environment name', (_name, { value, kinds }: HostileValue) => {
    const result = outcome(config({}, { name: value }));
    if (kinds.includes('well-formed')) {
      expect(result).toBe('accepted');
      expect(staysInside(dirs.dataDir, value)).toBe(true);
    } else {
      expect(result).toEqual(expect.arrayContaining(['applications[0].environments[0].name']));
    }
  });

  test.each(CORPUS)('%s as the branch', (_name, { value }: HostileValue) => {
    const result = outcome(config({}, { branch: value }));
    // git check-ref-format refuses these; what git accepts is a branch, kept as written.
    if (/[\x00-\x20\x7f~^:?*[\\]|\.\.|^$|^[-/]|\/$/.test(value) || value.length > 255 || Buffer.from(value).toString() !== value) {
      expect(result).toEqual(['applications[0].environments[0].branch']);
    } else {
      expect(result).toBe('accepted');
      expect(parseLocalConfig(config({}, { branch: value }), dirs).applications[0].environments[0].branch).toBe(value);
    }
  });

  describe.each([
    ['repository', (value: string) => ({ repository: value })],
    ['source', (value: string) => ({ repository: 'acme/shop', source: value })],
  ])('%s', (field, appWith) => {
    test.each(CORPUS)('%s as a path: kept exactly, or refused naming the field', (_name, { value }: HostileValue) => {
      // Not owner/repo: a path on this machine, relative to the config file's folder.
      const looksLikeGitHub = field === 'repository' && /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(value);
      const raw = config(appWith(value));
      const result = outcome(raw);
      if (usablePath(value) && !looksLikeGitHub) {
        expect(result).toBe('accepted');
        expect(parseLocalConfig(raw, dirs).repositories.shop).toBe(resolve(dirs.configDir, value));
      } else {
        expect(result).toEqual([`applications[0].${field}`]);
      }
    });

    test.each(CORPUS)('%s in a file:// URL: a path, or refused naming the field (never a crash)', (_name, { value }: HostileValue) => {
      const result = outcome(config(appWith(`file:///srv/${value}`)));
      if (result !== 'accepted') expect(result).toEqual([`applications[0].${field}`]);
      else expect(usablePath(`file:///srv/${value}`)).toBe(true);
    });
  });

  test.each(CORPUS)('%s as a variable name: refused naming it, unless it is a variable name', (_name, { value }: HostileValue) => {
    const result = outcome(config({}, { variables: JSON.parse(JSON.stringify({ [value]: 'x' })) }));
    // A POSIX variable name, except those JavaScript objects treat specially.
    if (/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(value) && value !== '__proto__' && value !== 'constructor') {
      expect(result).toBe('accepted');
    } else {
      expect(result).toEqual([expect.stringMatching(/^applications\[0\]\.environments\[0\]\.variables\./)]);
    }
  });

  // Variable values are whatever the app needs: data, kept exactly.
  test.each(CORPUS)('%s as a variable value: kept exactly, or refused naming it', (_name, { value }: HostileValue) => {
    const raw = config({}, { variables: { HOSTILE: value } });
    const result = outcome(raw);
    if (value.includes('\0') || value.length > 4096 || Buffer.from(value).toString() !== value) {
      expect(result).toEqual(['applications[0].environments[0].variables.HOSTILE']);
    } else {
      expect(result).toBe('accepted');
      expect(parseLocalConfig(raw, dirs).applications[0].environments[0].variables).toEqual({ HOSTILE: value });
    }
  });

  test('no value in the corpus ever ran a command', () => {
    expect(canary.fired()).toBe(false);
  });
});
