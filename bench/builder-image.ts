/**
 * The default builder image (BuilderImage.fromAsset()): what can be measured of its size, and the
 * commands that measure the rest where Docker runs. Figures are printed, never asserted, and never
 * estimated: what cannot be measured here says so.
 *
 *   npx projen bench:builder-image      (after `npx projen bundle:builder`)
 *
 * - Trellis's own layer: assets/builder/builder.js, bytes and gzip.
 * - The pinned downloads of src/builder/Dockerfile, read from the Dockerfile itself: each npm
 *   package's unpacked size (npm registry) and each pip package's linux x86_64 wheel (PyPI JSON),
 *   the package alone (their dependencies are not counted).
 * - The image's size and its pull time (what every build waits for before it starts): measured
 *   with Docker when a Docker engine answers; else the exact commands to run.
 *   BUILDER_IMAGE_URI=<pushed image> also times `docker pull` of that image.
 */
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';

const ROOT = path.join(__dirname, '..');
const ASSET_DIR = path.join(ROOT, 'assets/builder');
const DOCKERFILE = path.join(ROOT, 'src/builder/Dockerfile');
const NO_DOCKER = 'not measurable here (no Docker)';
const TAG = 'trellis-builder:bench';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
/** A command as it is typed in a POSIX shell. */
const shell = (args: string[]) => args.map(arg => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)).join(' ');
/** Download sizes (tarballs, wheels) measured, summed at the end. */
const downloads: Array<{ name: string; bytes: number }> = [];

/** The Dockerfile's instructions with their continuation lines joined. */
function instructions(text: string): string[] {
  return text.replace(/\\\n/g, ' ').split('\n').map(line => line.trim()).filter(line => line !== '' && !line.startsWith('#'));
}

/** What the Dockerfile downloads: its base image and the packages its RUN lines install. */
interface Downloads {
  base?: string;
  npm: string[];
  pip: Array<{ name: string; version: string }>;
  apt: string[];
}

/** `npm install -g a@2 b@3` and `pip install ... a==1 b==2` in the Dockerfile's RUN lines. */
function pinnedPackages(lines: string[]): Downloads {
  const result: Downloads = { npm: [], pip: [], apt: [] };
  for (const line of lines) {
    const from = /^FROM\s+(\S+)/i.exec(line);
    if (from) result.base = from[1];
    if (!/^RUN\s/i.test(line)) continue;
    for (const command of line.slice(4).split(/&&|;/).map(part => part.trim().split(/\s+/))) {
      const words = command.filter(word => !word.startsWith('-'));
      const npm = words.indexOf('npm');
      if (npm >= 0 && words[npm + 1] === 'install') result.npm.push(...words.slice(npm + 2));
      const pip = words.findIndex(word => /(^|\/)pip3?$/.test(word));
      if (pip >= 0 && words[pip + 1] === 'install') {
        for (const spec of words.slice(pip + 2)) {
          const [name, version] = spec.split('==');
          result.pip.push({ name, version });
        }
      }
      const apt = words.indexOf('apt-get');
      if (apt >= 0 && words[apt + 1] === 'install') result.apt.push(...words.slice(apt + 2));
    }
  }
  return result;
}

function npmView(spec: string, field: string): unknown {
  const out = execFileSync('npm', ['view', spec, field, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return out.trim() === '' ? undefined : JSON.parse(out);
}

/** x.y.z release versions compared by number. */
function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map(version => version.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** What `npm install -g <spec>` resolves to today, and its size (the package alone): unpacked when published, else its tarball's. */
async function npmPackage(spec: string): Promise<string> {
  const at = spec.lastIndexOf('@');
  const name = at > 0 ? spec.slice(0, at) : spec;
  // npm lists every version the range allows (releases only); install takes the highest.
  const versions = [npmView(spec, 'version')].flat() as string[];
  const version = versions.reduce((highest, candidate) => (compareVersions(candidate, highest) > 0 ? candidate : highest));
  const dist = npmView(`${name}@${version}`, 'dist') as { unpackedSize?: number; tarball?: string };
  if (typeof dist.unpackedSize === 'number') return `${spec} → ${version}: ${mb(dist.unpackedSize)} unpacked (package alone)`;
  if (!dist.tarball) return `${spec} → ${version}: no size published, no tarball listed`;
  const head = await fetch(dist.tarball, { method: 'HEAD', signal: AbortSignal.timeout(60_000) });
  const length = Number(head.headers.get('content-length'));
  if (head.ok && length > 0) downloads.push({ name: `${name}@${version}`, bytes: length });
  return head.ok && length > 0
    ? `${spec} → ${version}: ${mb(length)} tarball (compressed; unpacked size not published; package alone)`
    : `${spec} → ${version}: no size published, tarball answered ${head.status}`;
}

/** The linux x86_64 (or pure Python) wheel of name==version on PyPI. */
async function pypiWheel(name: string, version: string | undefined): Promise<string> {
  if (!version) return `${name}: not pinned, size not knowable`;
  // The project's JSON (the per-version address answers 404 through some mirrors).
  const response = await fetch(`https://pypi.org/pypi/${encodeURIComponent(name)}/json`, { signal: AbortSignal.timeout(60_000) });
  if (!response.ok) return `${name}==${version}: PyPI answered ${response.status}`;
  const files = ((await response.json()) as { releases: Record<string, Array<{ filename: string; size: number }>> }).releases[version] ?? [];
  const wheel = files.find(file => /manylinux.*x86_64\.whl$/.test(file.filename)) ?? files.find(file => file.filename.endsWith('-none-any.whl'));
  if (wheel) downloads.push({ name: `${name}==${version}`, bytes: wheel.size });
  return wheel ? `${name}==${version}: ${mb(wheel.size)} wheel ${wheel.filename} (package alone)` : `${name}==${version}: no linux x86_64 wheel listed`;
}

function dockerAnswers(): boolean {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
  return info.status === 0 && info.stdout.trim() !== '';
}

function timed(args: string[]): number {
  const start = process.hrtime.bigint();
  execFileSync('docker', args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main(): Promise<void> {
  console.log('Builder image (BuilderImage.fromAsset()): src/builder/Dockerfile + assets/builder/builder.js');

  const bundle = path.join(ASSET_DIR, 'builder.js');
  if (existsSync(bundle)) {
    console.log(`builder program: ${statSync(bundle).size} bytes, ${gzipSync(readFileSync(bundle)).length} gzip (${bundle})`);
  } else {
    console.log(`builder program: ${bundle} is missing; run \`npx projen bundle:builder\` first`);
  }

  const packages = pinnedPackages(instructions(readFileSync(DOCKERFILE, 'utf8')));
  console.log(`base image: ${packages.base ?? 'none found'}: size ${NO_DOCKER}`);
  console.log(`apt packages (sizes depend on the base image's contents; ${NO_DOCKER}): ${packages.apt.join(' ') || 'none'}`);
  for (const spec of packages.npm) {
    try {
      console.log(`npm ${await npmPackage(spec)}`);
    } catch (error) {
      console.log(`npm ${spec}: not measured (${(error as Error).message.split('\n')[0]})`);
    }
  }
  for (const { name, version } of packages.pip) {
    try {
      console.log(`pip ${await pypiWheel(name, version)}`);
    } catch (error) {
      console.log(`pip ${name}==${version}: not measured (${(error as Error).message})`);
    }
  }

  if (downloads.length > 0) {
    const total = downloads.reduce((sum, { bytes }) => sum + bytes, 0);
    console.log(`downloads measured: ${mb(total)} (${downloads.map(({ name }) => name).join(', ')}; their dependencies and the apt packages not counted)`);
  }

  const build = ['build', '--platform', 'linux/amd64', '-t', TAG, ASSET_DIR];
  const inspect = ['image', 'inspect', '--format', '{{.Size}}', TAG];
  const uri = process.env.BUILDER_IMAGE_URI;
  if (!dockerAnswers()) {
    console.log(`image size: ${NO_DOCKER}; where Docker runs: ${shell(['docker', ...build])} && ${shell(['docker', ...inspect])}`);
    console.log(`pull time: ${NO_DOCKER}; where Docker runs, with the image pushed to <uri>: docker rmi <uri>; time docker pull <uri>`
      + ' (or BUILDER_IMAGE_URI=<uri> npx projen bench:builder-image)');
    return;
  }
  const buildSeconds = timed(build);
  const size = Number(execFileSync('docker', inspect, { encoding: 'utf8' }).trim());
  console.log(`image size: ${mb(size)} uncompressed (docker image inspect); built in ${buildSeconds.toFixed(0)} s (cache as found)`);
  if (!uri) {
    console.log('pull time: set BUILDER_IMAGE_URI to a pushed copy of the image to time `docker pull` of it');
    return;
  }
  spawnSync('docker', ['rmi', uri], { stdio: 'ignore' });
  console.log(`pull time: ${timed(['pull', uri]).toFixed(1)} s for ${uri} (docker pull after docker rmi, from this machine)`);
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
