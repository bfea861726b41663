import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ARTIFACT_MANIFEST, fetchArtifact, onPath, saveArtifact, targetDifference } from '../../src/builder/artifacts';
import { FolderCacheStorage } from '../../src/builder/folder-cache-storage';

/** The archive level of deploy artifacts: what makes one unusable, and that it never throws. */
describe('deploy artifact archives', () => {
  let root: string;
  let storage: FolderCacheStorage;
  const dir = (name: string) => {
    const path = join(root, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const target = { stage: 'dev', environment: 'dev', region: 'eu-west-1', account: '111122223333' };
  const manifest = { framework: 'cdk' as const, ...target, commit: 'a'.repeat(40), deploymentId: 'd1', deployCommand: ['cdk', 'deploy'] };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'trellis-artifact-unit-'));
    storage = new FolderCacheStorage(dir('store'), Number.POSITIVE_INFINITY);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Store an archive made of `files` (a manifest among them, or not) under key `k`. */
  const storeRaw = async (files: Record<string, string>) => {
    const src = dir('raw');
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(src, name, '..'), { recursive: true });
      writeFileSync(join(src, name), content);
    }
    execFileSync('tar', ['-czf', join(root, 'raw.tar.gz'), '-C', src, ...Object.keys(files)]);
    await storage.store('k', join(root, 'raw.tar.gz'));
  };

  test('saved and fetched for the same target: the files come back, the manifest stays out of the workspace', async () => {
    const workspace = dir('ws');
    writeFileSync(join(dir('ws/cdk.out'), 'manifest.json'), '{}');
    const saved = await saveArtifact(storage, 'k', { paths: ['cdk.out'] }, manifest, workspace, dir('scratch1'));
    expect(saved).toMatchObject({ saved: true });

    const restored = dir('restored');
    const fetched = await fetchArtifact(storage, 'k', target, manifest.commit, restored, dir('scratch2'));
    expect(fetched).toMatchObject({ usable: true, manifest: { ...manifest, paths: ['cdk.out'] } });
    expect(readdirSync(restored)).toEqual(['cdk.out']);
    expect(readdirSync(join(root, 'scratch1'))).toEqual([]);
  });

  test('another region, account, stage or commit is a rebuild with the reason; the workspace stays empty', async () => {
    writeFileSync(join(dir('ws/cdk.out'), 'manifest.json'), '{}');
    await saveArtifact(storage, 'k', { paths: ['cdk.out'] }, manifest, join(root, 'ws'), dir('scratch'));
    const empty = dir('empty');
    expect(await fetchArtifact(storage, 'k', { ...target, region: 'us-east-1' }, manifest.commit, empty, join(root, 'scratch'))).toEqual({
      usable: false,
      reason: 'target differs: built for stage dev in dev (eu-west-1/111122223333), this deploys stage dev in dev (us-east-1/111122223333)',
    });
    expect(await fetchArtifact(storage, 'k', target, 'b'.repeat(40), empty, join(root, 'scratch')))
      .toEqual({ usable: false, reason: 'the artifact is of commit aaaaaaaaaaaa, not bbbbbbbbbbbb' });
    expect(await fetchArtifact(storage, 'k', target, manifest.commit, empty, join(root, 'scratch'), () => 'no cdk'))
      .toEqual({ usable: false, reason: 'no cdk' });
    expect(readdirSync(empty)).toEqual([]);
    expect(targetDifference({ stage: 'dev', environment: 'dev' }, { stage: 'staging', environment: 'staging' }))
      .toBe('built for stage dev in dev, this deploys stage staging in staging');
  });

  test('nothing stored, a damaged archive, a manifest with a path outside the workspace: rebuilds, never errors', async () => {
    const workspace = dir('ws');
    expect(await fetchArtifact(storage, 'k', target, manifest.commit, workspace, dir('scratch'))).toEqual({ usable: false, reason: 'no artifact stored' });

    writeFileSync(join(root, 'junk.tar.gz'), 'not gzip');
    await storage.store('k', join(root, 'junk.tar.gz'));
    expect(await fetchArtifact(storage, 'k', target, manifest.commit, workspace, join(root, 'scratch')))
      .toMatchObject({ usable: false, reason: expect.stringMatching(/^the artifact could not be unpacked/) });

    // The manifest's paths obey the rule configured artifact paths do (artifactPathProblem).
    for (const path of ['../elsewhere', '/etc', 'node_modules/.bin', '.git/hooks', 'a\\..\\..\\b']) {
      await storeRaw({ [ARTIFACT_MANIFEST]: JSON.stringify({ ...manifest, paths: [path] }) });
      expect(await fetchArtifact(storage, 'k', target, manifest.commit, workspace, join(root, 'scratch')))
        .toEqual({ usable: false, reason: 'the artifact\'s manifest is not valid' });
      expect(readdirSync(workspace)).toEqual([]);
    }
  });

  test('a save without the planned files, or with a Serverless plugin, says why and stores nothing', async () => {
    const workspace = dir('ws');
    expect(await saveArtifact(storage, 'k', { paths: ['cdk.out'] }, manifest, workspace, dir('scratch')))
      .toEqual({ saved: false, reason: 'the build left no cdk.out: a rollback rebuilds this commit' });
    writeFileSync(join(workspace, 'serverless.yml'), 'service: api\nplugins:\n  - serverless-offline\n');
    mkdirSync(join(workspace, '.trellis/package'), { recursive: true });
    expect(await saveArtifact(storage, 'k', { paths: ['serverless.yml', '.trellis/package'] }, { ...manifest, framework: 'serverless' }, workspace, join(root, 'scratch')))
      .toEqual({ saved: false, reason: 'Serverless plugins load from node_modules at deploy: a rollback rebuilds this commit' });
    expect(readdirSync(join(root, 'store'))).toEqual([]);
  });

  test('onPath finds a program only in PATH\'s directories', () => {
    writeFileSync(join(dir('bin'), 'sam'), '');
    expect(onPath('sam', `/nonexistent:${join(root, 'bin')}`)).toBe(true);
    expect(onPath('cdk', join(root, 'bin'))).toBe(false);
    expect(onPath('sam', undefined)).toBe(false);
  });
});
