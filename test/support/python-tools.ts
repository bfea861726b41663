import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { installOnce } from './install-once';

const run = promisify(execFile);

/** The uv the builder image pins (src/builder/Dockerfile). */
export const UV_VERSION = '0.13.9';

/** Gitignored (node_modules/), kept between runs; one folder per version so a bump reinstalls. */
const TOOLS = path.join(__dirname, '../../node_modules/.cache/trellis-test-tools');
const UV_HOME = path.join(TOOLS, `uv-${UV_VERSION}`);

/**
 * The pinned uv binary, installed on first use with `python3 -m pip install --target` (PyPI is
 * reached only here).
 */
export async function ensureUv(): Promise<string> {
  const binary = path.join(UV_HOME, 'bin', 'uv');
  await installOnce(UV_HOME, binary, staging => run('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
    '--no-warn-script-location', '--target', staging, `uv==${UV_VERSION}`], { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 }).then(() => undefined));
  return binary;
}

/** The folder holding `uv`, to put first on a command's PATH. */
export async function uvBinDir(): Promise<string> {
  return path.dirname(await ensureUv());
}
