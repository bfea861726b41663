import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { dockerImageAssets } from '../../src/builder/docker-assets';

describe('dockerImageAssets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-assembly-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const manifest = (path: string, dockerImages: object) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), JSON.stringify({ version: '36.0.0', files: { f1: {} }, dockerImages }));
  };

  test('finds images in top-level and stage assemblies; file assets and asset folders do not count', () => {
    manifest('cdk.out/Api.assets.json', {});
    manifest('cdk.out/assembly-Prod/Prod-Web.assets.json', { img1: {} });
    manifest('cdk.out/asset.1234/node_modules/x/Fake.assets.json', { ignored: {} });
    expect(dockerImageAssets(dir, 'cdk.out')).toEqual([join('assembly-Prod', 'Prod-Web.assets.json: img1')]);
  });

  test('no assembly, no images', () => {
    expect(dockerImageAssets(dir, 'missing')).toEqual([]);
  });

  test('links are not followed: an assembly directory that leads out of the workspace is refused, linked manifests are skipped', () => {
    const workspace = join(dir, 'workspace');
    manifest('outside/App.assets.json', { secretImage: {} });
    manifest('outside/assembly-Stage/Stage.assets.json', { secretStageImage: {} });
    mkdirSync(join(workspace, 'cdk.out'), { recursive: true });
    symlinkSync(join(dir, 'outside/App.assets.json'), join(workspace, 'cdk.out/App.assets.json'));
    symlinkSync(join(dir, 'outside/assembly-Stage'), join(workspace, 'cdk.out/assembly-Stage'));
    expect(dockerImageAssets(workspace, 'cdk.out')).toEqual([]);

    symlinkSync(join(dir, 'outside'), join(workspace, 'linked.out'));
    expect(() => dockerImageAssets(workspace, 'linked.out')).toThrow('linked.out leads out of the workspace (a symbolic link)');
  });
});

describe('the builder image (src/builder/Dockerfile)', () => {
  const dockerfile = readFileSync(join(__dirname, '../../src/builder/Dockerfile'), 'utf8');

  test('strips every setuid and setgid bit after the last package is installed, so the app uid can gain no other uid', () => {
    const strip = dockerfile.indexOf('find / -xdev -perm /6000 -type f -exec chmod a-s {} +');
    expect(strip).toBeGreaterThan(0);
    // Nothing installed after it could bring a setuid program back.
    const installs = [...dockerfile.matchAll(/apt-get install|npm install -g|corepack enable|useradd/g)].map(match => match.index ?? 0);
    expect(Math.max(...installs)).toBeLessThan(strip);
  });
});
