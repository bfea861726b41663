import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { AssemblyStack, assemblyStacks, chooseStacks, withStacks } from '../../src/builder/cdk-stacks';

/**
 * Which stacks of a CDK app an environment deploys: read from the synthesized assembly (as the
 * app's files: hostile), chosen by the environment's patterns, or by name and `stage` tag.
 */

const stack = (id: string, tags: Record<string, string> = {}, stackName?: string): AssemblyStack => ({ id, stackName: stackName ?? id.split('/').pop()!, tags });
const ENVIRONMENTS = ['dev', 'staging', 'production'];

describe('chooseStacks', () => {
  test('one stack (or none): --all, as before', () => {
    expect(chooseStacks([stack('AppStack')], 'dev', ENVIRONMENTS)).toEqual({ detail: 'the assembly\'s one stack AppStack' });
    expect(chooseStacks([], 'dev', ENVIRONMENTS).ids).toBeUndefined();
  });

  test.each([
    [['cdk-stack-dev', 'cdk-stack-production'], 'dev', ['cdk-stack-dev']],
    [['ShopDevStack', 'ShopProductionStack', 'ShopStagingStack'], 'staging', ['ShopStagingStack']],
    [['Dev/Api', 'Dev/Db', 'Production/Api'], 'dev', ['Dev/Api', 'Dev/Db']],
    [['shop_dev_api', 'shop_dev_db', 'shop_production_api'], 'dev', ['shop_dev_api', 'shop_dev_db']],
  ])('several stacks %j: only those named for %s', (ids, stage, chosen) => {
    expect(chooseStacks(ids.map(id => stack(id)), stage, ENVIRONMENTS).ids).toEqual(chosen);
  });

  test('a stage tag chooses as a name does; a stack name (not the id) counts too', () => {
    const stacks = [stack('Api', { stage: 'dev' }), stack('Web', { stage: 'production' }), stack('Jobs', {}, 'jobs-dev')];
    expect(chooseStacks(stacks, 'dev', ENVIRONMENTS).ids).toEqual(['Api', 'Jobs']);
  });

  test('several stacks, none named or tagged for the stage: refused, listing them and how to choose', () => {
    expect(() => chooseStacks([stack('Network'), stack('Api')], 'dev', ENVIRONMENTS))
      .toThrow('the cloud assembly has 2 stacks (Network, Api) and none is named or tagged for dev: set the environment\'s stacks to choose, e.g. ["*-{stage}"] for stacks named after the stage, or ["*"] for all of them');
    // A part of a word is not a name: "develop" is not dev.
    expect(() => chooseStacks([stack('develop-api'), stack('developer-portal')], 'dev', ENVIRONMENTS)).toThrow(/none is named or tagged for dev/);
  });

  test('patterns with {stage} and *; a * never reaches a stack named for another environment, an exact name does', () => {
    const stacks = [stack('shop-dev-api'), stack('shop-dev-db'), stack('shop-production-api'), stack('Shared'), stack('Network-production')];
    expect(chooseStacks(stacks, 'dev', ENVIRONMENTS, ['shop-{stage}-*']).ids).toEqual(['shop-dev-api', 'shop-dev-db']);
    expect(chooseStacks(stacks, 'dev', ENVIRONMENTS, ['*']).ids).toEqual(['shop-dev-api', 'shop-dev-db', 'Shared']);
    expect(chooseStacks(stacks, 'dev', ENVIRONMENTS, ['Shared', 'Network-production']).ids).toEqual(['Shared', 'Network-production']);
    // Regex characters in an id are literal.
    expect(chooseStacks([stack('a.b'), stack('axb')], 'dev', ENVIRONMENTS, ['a.b']).ids).toEqual(['a.b']);
    expect(() => chooseStacks(stacks, 'dev', ENVIRONMENTS, ['web-*'])).toThrow(/the environment's stacks \(web-\*\) match no stack of the assembly: shop-dev-api, /);
  });

  test('withStacks replaces --all by the chosen ids, and leaves argv as it is for --all', () => {
    expect(withStacks(['cdk', 'deploy', '--all', '--app', 'cdk.out'], { ids: ['A', 'B'], detail: '' })).toEqual(['cdk', 'deploy', 'A', 'B', '--app', 'cdk.out']);
    expect(withStacks(['cdk', 'destroy', '--all', '--force'], { detail: '' })).toEqual(['cdk', 'destroy', '--all', '--force']);
  });
});

describe('assemblyStacks', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'trellis-assembly-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, value: unknown) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), typeof value === 'string' ? value : JSON.stringify(value));
  };

  test('stacks of the manifest and of its stages, with stack names and string tags', () => {
    write('cdk.out/manifest.json', {
      version: '36.0.0',
      artifacts: {
        'shop-dev': { type: 'aws:cloudformation:stack', displayName: 'shop-dev', properties: { templateFile: 'shop-dev.template.json', tags: { stage: 'dev', n: 3 } } },
        'ProdApi': { type: 'aws:cloudformation:stack', properties: { stackName: 'shop-production-api' } },
        'Tree': { type: 'cdk:tree' },
        'assembly-Staging': { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Staging' } },
        'escape': { type: 'cdk:cloud-assembly', properties: { directoryName: '../outside' } },
      },
    });
    write('cdk.out/assembly-Staging/manifest.json', {
      artifacts: { StagingApi: { type: 'aws:cloudformation:stack', displayName: 'Staging/Api', properties: { stackName: 'Staging-Api' } } },
    });
    expect(assemblyStacks(dir, 'cdk.out')).toEqual([
      { id: 'shop-dev', stackName: 'shop-dev', tags: { stage: 'dev' } },
      { id: 'ProdApi', stackName: 'shop-production-api', tags: {} },
      { id: 'Staging/Api', stackName: 'Staging-Api', tags: {} },
    ]);
  });

  test('a missing, broken or linked manifest has no stacks (cdk reports a broken assembly)', () => {
    expect(assemblyStacks(dir, 'cdk.out')).toEqual([]);
    write('cdk.out/manifest.json', '{ not json');
    expect(assemblyStacks(dir, 'cdk.out')).toEqual([]);
    rmSync(join(dir, 'cdk.out', 'manifest.json'));
    write('elsewhere.json', { artifacts: { X: { type: 'aws:cloudformation:stack' } } });
    symlinkSync(join(dir, 'elsewhere.json'), join(dir, 'cdk.out', 'manifest.json'));
    expect(assemblyStacks(dir, 'cdk.out')).toEqual([]);
  });
});
