import { execFile, execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';

/** A package the registry serves: `index.js` exports `value`. */
export interface TinyPackage {
  readonly name: string;
  readonly version: string;
  readonly value: string;
}

/**
 * A minimal npm registry on 127.0.0.1 (packuments and tarballs, nothing else), so a build
 * installs over real HTTP, a test can count what it fetched, and stopping it makes the
 * registry unreachable for the next step.
 */
export class TinyRegistry {
  static async start(packages: readonly TinyPackage[]): Promise<TinyRegistry> {
    const registry = new TinyRegistry(packages);
    await registry.listen(0);
    return registry;
  }

  /** Every path requested, in order. */
  readonly requests: string[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'trellis-registry-'));
  private readonly tarballs = new Map<string, Buffer>();
  private server?: Server;
  private port = 0;

  private constructor(private readonly packages: readonly TinyPackage[]) {
    for (const pkg of packages) this.tarballs.set(tarballPath(pkg), this.pack(pkg));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** Stop answering: connections to the port are refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()); });
  }

  /** Answer again on the same port (lockfiles name it in their `resolved` URLs). */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((request, response) => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      this.requests.push(path);
      const tarball = this.tarballs.get(path);
      if (tarball) return void response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
      const versions = this.packages.filter(pkg => `/${pkg.name}` === path);
      if (versions.length === 0) return void response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.packument(versions)));
    });
    await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  private packument(versions: readonly TinyPackage[]): unknown {
    const name = versions[0].name;
    return {
      'name': name,
      'dist-tags': { latest: versions[versions.length - 1].version },
      'versions': Object.fromEntries(versions.map(pkg => {
        const tarball = this.tarballs.get(tarballPath(pkg))!;
        return [pkg.version, {
          name,
          version: pkg.version,
          dist: {
            tarball: `${this.url}${tarballPath(pkg).slice(1)}`,
            integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
            shasum: createHash('sha1').update(tarball).digest('hex'),
          },
        }];
      })),
    };
  }

  private pack(pkg: TinyPackage): Buffer {
    const root = join(this.dir, `${pkg.name}-${pkg.version}`);
    mkdirSync(join(root, 'package'), { recursive: true });
    writeFileSync(join(root, 'package', 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, main: 'index.js' }));
    writeFileSync(join(root, 'package', 'index.js'), `module.exports = { value: ${JSON.stringify(pkg.value)} };\n`);
    const file = join(root, 'package.tgz');
    execFileSync('tar', ['-czf', file, '-C', root, 'package']);
    return readFileSync(file);
  }
}

function tarballPath(pkg: TinyPackage): string {
  return `/${pkg.name}/-/${pkg.name}-${pkg.version}.tgz`;
}

/**
 * package.json and the package-lock.json real npm writes for `dependencies` against
 * `registry` (resolved URLs and integrity included), as the files of one repository version.
 * Asynchronous: the registry answers from this same process.
 */
export async function lockedPackage(name: string, dependencies: Record<string, string>, registry: string,
  scripts: Record<string, string> = {}): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-lock-'));
  try {
    const packageJson = JSON.stringify({ name, version: '1.0.0', private: true, scripts, dependencies }, null, 2);
    writeFileSync(join(dir, 'package.json'), packageJson);
    await promisify(execFile)('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: { ...process.env, npm_config_registry: registry, npm_config_cache: join(dir, '.npm-cache'), npm_config_offline: 'false' },
    });
    return { 'package.json': packageJson, 'package-lock.json': readFileSync(join(dir, 'package-lock.json'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
