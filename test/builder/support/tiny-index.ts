import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { Server, createServer } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

/** A wheel the index serves: `import <name>` gives a module whose VERSION is `version`. */
export interface TinyWheel {
  readonly name: string;
  readonly version: string;
}

/**
 * Writes `<name>-<version>-py3-none-any.whl` into `dir`: a zip of `<name>/__init__.py` and the
 * dist-info (METADATA, WHEEL, RECORD with each file's hash), made here by Python's zipfile.
 */
export function buildWheel(dir: string, wheel: TinyWheel): string {
  const script = `
import base64, hashlib, sys, zipfile
name, version, out = sys.argv[1:4]
files = {
  f"{name}/__init__.py": f"VERSION = '{version}'\\n",
  f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
  f"{name}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: trellis-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
for path, text in files.items():
  digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
  record.append(f"{path},sha256={digest},{len(text.encode())}")
record.append(f"{name}-{version}.dist-info/RECORD,,")
files[f"{name}-{version}.dist-info/RECORD"] = "\\n".join(record) + "\\n"
with zipfile.ZipFile(out, "w") as archive:
  for path, text in files.items():
    archive.writestr(path, text)
`;
  const file = join(dir, `${wheel.name}-${wheel.version}-py3-none-any.whl`);
  execFileSync('python3', ['-c', script, wheel.name, wheel.version, file]);
  return file;
}

/**
 * A PEP 503 simple index on 127.0.0.1 serving wheels built by the test, with PyPI's cache
 * headers (`max-age=600` on pages): a test counts what uv fetched, and stopping it makes the
 * index unreachable for the next step.
 */
export class TinyIndex {
  static async start(wheels: readonly TinyWheel[]): Promise<TinyIndex> {
    const index = new TinyIndex(wheels);
    await index.listen();
    return index;
  }

  /** Every path requested, in order. */
  readonly requests: string[] = [];
  /** The folder of built wheels (also usable as `--find-links`). */
  readonly wheelDir = mkdtempSync(join(tmpdir(), 'trellis-wheels-'));
  private readonly files = new Map<string, Buffer>();
  private server?: Server;
  private port = 0;

  private constructor(wheels: readonly TinyWheel[]) {
    mkdirSync(this.wheelDir, { recursive: true });
    for (const wheel of wheels) {
      const file = buildWheel(this.wheelDir, wheel);
      this.files.set(file.split('/').pop()!, readFileSync(file));
    }
  }

  /** `http://127.0.0.1:<port>/simple/` */
  get url(): string {
    return `http://127.0.0.1:${this.port}/simple/`;
  }

  /** `sha256:<hex>` of a served wheel, as Pipfile.lock records it. */
  sha256(wheel: TinyWheel): string {
    const file = this.files.get(`${wheel.name}-${wheel.version}-py3-none-any.whl`);
    if (!file) throw new Error(`no wheel ${wheel.name} ${wheel.version}`);
    return `sha256:${createHash('sha256').update(file).digest('hex')}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()); });
  }

  cleanup(): void {
    rmSync(this.wheelDir, { recursive: true, force: true });
  }

  private async listen(): Promise<void> {
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      this.requests.push(path);
      const page = /^\/simple\/([^/]+)\/$/.exec(path);
      const file = /^\/files\/([^/]+\.whl)$/.exec(path);
      if (page) {
        const names = [...this.files.keys()].filter(name => name.startsWith(`${page[1].replace(/-/g, '_')}-`) || name.startsWith(`${page[1]}-`));
        if (names.length === 0) return void response.writeHead(404).end();
        const links = names.map(name => `<a href="/files/${name}#sha256=${createHash('sha256').update(this.files.get(name)!).digest('hex')}">${name}</a>`);
        response.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'max-age=600, public' });
        return void response.end(`<!DOCTYPE html><html><body>\n${links.join('<br/>\n')}\n</body></html>\n`);
      }
      if (file && this.files.has(file[1])) {
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'max-age=365000000, immutable, public' });
        return void response.end(this.files.get(file[1]));
      }
      response.writeHead(404).end();
    });
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }
}
