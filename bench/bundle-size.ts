/**
 * Why the AWS SDK is bundled into each handler: size and cold-load time of every
 * *.lambda.ts bundled both ways, printed as figures and ratios (not asserted anywhere).
 *
 *   npx projen bench
 */
import { execFileSync, spawnSync } from 'child_process';
import { mkdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';

const ROOT = path.join(__dirname, '..');
const RUNS = 7;

/** The bundle commands projen generated (.projen/tasks.json): measure exactly what ships. */
function bundleCommands(): Array<{ name: string; args: string[] }> {
  const tasks = JSON.parse(readFileSync(path.join(ROOT, '.projen/tasks.json'), 'utf8')).tasks as Record<string, { steps?: Array<{ execArgs?: string[] }> }>;
  return Object.entries(tasks)
    .filter(([name]) => name.startsWith('bundle:') && name.endsWith('.lambda'))
    .map(([name, task]) => ({ name: name.slice('bundle:'.length), args: task.steps![0].execArgs! }));
}

function bundle(args: string[], outfile: string, external: boolean): void {
  const [command, ...rest] = args;
  const withOutfile = rest.map(arg => (arg.startsWith('--outfile=') ? `--outfile=${outfile}` : arg));
  execFileSync('npx', [command, ...withOutfile, '--log-level=error', ...(external ? ['--external:@aws-sdk/*'] : [])], { cwd: ROOT });
}

/** Median wall time of `require(bundle)` in a fresh node process, in ms. */
function loadTime(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  const times = Array.from({ length: RUNS }, () => Number(spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }).stdout));
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

// Inside the repo so the external variant resolves the SDK from node_modules, as Lambda
// resolves it from the runtime's own copy.
const out = path.join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
console.log(`node ${process.version}; median of ${RUNS} cold loads per bundle`);
console.log('handler | SDK bundled: bytes, gzip, load ms | SDK external: bytes, gzip, load ms | size ratio');
for (const { name, args } of bundleCommands()) {
  const figures = [false, true].map(external => {
    const file = path.join(out, `${name.replace(/\W/g, '_')}.${external ? 'external' : 'bundled'}.js`);
    bundle(args, file, external);
    const bytes = statSync(file).size;
    return { bytes, gzip: gzipSync(readFileSync(file)).length, ms: loadTime(file) };
  });
  const [bundled, external] = figures;
  console.log(`${name} | ${bundled.bytes}, ${bundled.gzip}, ${bundled.ms.toFixed(1)} | ${external.bytes}, ${external.gzip}, ${external.ms.toFixed(1)} | ${(bundled.bytes / external.bytes).toFixed(1)}x`);
}
