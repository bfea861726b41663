import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { installOnce } from './install-once';

describe('installOnce', () => {
  let root: string;
  beforeEach(() => { root = mkdtempSync(path.join(tmpdir(), 'install-once-')); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const fill = (label: string) => async (staging: string) => {
    mkdirSync(staging, { recursive: true });
    writeFileSync(path.join(staging, 'tool'), label);
  };

  test('installers racing for one folder all succeed, and one complete copy is left, without staging folders', async () => {
    const target = path.join(root, 'cache', 'tool-1.0');
    const ready = path.join(target, 'tool');
    await Promise.all(['a', 'b', 'c', 'd'].map(label => installOnce(target, ready, fill(label))));
    expect(['a', 'b', 'c', 'd']).toContain(readFileSync(ready, 'utf8'));
    expect(readdirSync(path.dirname(target))).toEqual(['tool-1.0']);
  });

  test('a complete install is reused; a failed one leaves nothing behind and fails', async () => {
    const target = path.join(root, 'tool-1.0');
    const ready = path.join(target, 'tool');
    await expect(installOnce(target, ready, async staging => {
      await fill('half')(staging);
      throw new Error('pip failed');
    })).rejects.toThrow('pip failed');
    expect(readdirSync(root)).toEqual([]);
    await installOnce(target, ready, fill('first'));
    await installOnce(target, ready, () => Promise.reject(new Error('must not install again')));
    expect(readFileSync(ready, 'utf8')).toBe('first');
  });
});
