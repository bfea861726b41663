import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { installOnce } from '../../support/install-once';

const run = promisify(execFile);

/** Pinned: a new cfn-lint brings new rules, which should arrive as a deliberate change here. */
export const CFN_LINT_VERSION = '1.58.0';

/** Gitignored (node_modules/), kept between runs; one folder per version so a bump reinstalls. */
const VENV = path.join(__dirname, '../../../node_modules/.cache/trellis-cfn-lint', CFN_LINT_VERSION);
const PYTHON = path.join(VENV, 'bin', 'python');

/** The CI machine has python3 with venv and PyPI, nothing else: installs once, then reuses. */
export async function ensureCfnLint(): Promise<void> {
  await installOnce(VENV, PYTHON, async staging => {
    await run('python3', ['-m', 'venv', staging]);
    await run(path.join(staging, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', `cfn-lint==${CFN_LINT_VERSION}`], { maxBuffer: 16 * 1024 * 1024 });
  });
}

const CFN_LINT_MAIN = 'import sys; from cfnlint.runner import main; sys.exit(main())';

/** One problem cfn-lint reports (its `--format json` output). */
export interface CfnLintMatch {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Filename: string;
  readonly Location: { readonly Path?: readonly (string | number)[] };
}

/** Lint templates; cfn-lint exits non-zero when it finds anything, so the exit code is not an error here. */
export async function cfnLint(templates: readonly string[], regions: readonly string[]): Promise<CfnLintMatch[]> {
  // Through the venv's python, not its cfn-lint script, whose first line names the staging folder.
  const args = ['-c', CFN_LINT_MAIN, '--format', 'json', '--regions', ...regions, '--', ...templates];
  const stdout = await run(PYTHON, args, { maxBuffer: 64 * 1024 * 1024 })
    .then(result => result.stdout)
    .catch((error: { code?: unknown; stdout?: string; stderr?: string }) => {
      // The exit code is a bit mask: 2 errors, 4 warnings, 8 informational matches found; 1 means cfn-lint itself failed.
      if (typeof error.code === 'number' && error.code > 0 && error.code < 16 && error.code % 2 === 0 && error.stdout) return error.stdout;
      throw new Error(`cfn-lint failed (${String(error.code)}): ${error.stderr ?? ''}`);
    });
  return JSON.parse(stdout) as CfnLintMatch[];
}
