import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
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
    manifest('Api.assets.json', {});
    manifest('assembly-Prod/Prod-Web.assets.json', { img1: {} });
    manifest('asset.1234/node_modules/x/Fake.assets.json', { ignored: {} });
    expect(dockerImageAssets(dir)).toEqual([join('assembly-Prod', 'Prod-Web.assets.json: img1')]);
  });

  test('no assembly, no images', () => {
    expect(dockerImageAssets(join(dir, 'missing'))).toEqual([]);
  });
});
