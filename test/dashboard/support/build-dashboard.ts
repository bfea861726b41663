import { execSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

export const ROOT = path.join(__dirname, '../../..');

/** The commands of the `bundle:dashboard` task (also the fallback when projen has not generated it yet). */
export const BUNDLE_DASHBOARD = [
  'esbuild src/dashboard/main.tsx --bundle --minify --format=esm --target=es2020 --jsx=automatic --jsx-import-source=preact --outfile=assets/dashboard/app.js --log-level=warning',
  'esbuild src/dashboard/app.css --minify --outfile=assets/dashboard/app.css --log-level=warning',
  'cp src/dashboard/index.html assets/dashboard/index.html',
];

/**
 * Builds the dashboard exactly as the projen task does (its steps from .projen/tasks.json
 * when it exists), into a fresh directory of its own: test files run in parallel, and one
 * must never serve a file another is rewriting. Returns the directory.
 */
export function buildDashboard(): string {
  const out = mkdtempSync(path.join(tmpdir(), 'trellis-dashboard-assets-'));
  const tasks = JSON.parse(readFileSync(path.join(ROOT, '.projen/tasks.json'), 'utf8')).tasks as Record<string, { steps?: Array<{ exec?: string }> }>;
  const steps = tasks['bundle:dashboard']?.steps?.map(step => step.exec).filter((exec): exec is string => exec !== undefined) ?? BUNDLE_DASHBOARD;
  const bin = path.join(ROOT, 'node_modules/.bin');
  for (const step of steps) {
    execSync(step.split('assets/dashboard/').join(`${out}/`), { cwd: ROOT, stdio: 'pipe', env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` } });
  }
  if (!existsSync(path.join(out, 'app.js'))) throw new Error(`the dashboard bundle was not written to ${out}`);
  return out;
}
