import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnLintMatch, cfnLint, ensureCfnLint } from './support/cfn-lint';
import { SECURITY_ENV, defaultInstallation, securityStack } from './support/stacks';
import { BuilderImage } from '../../src';

/**
 * cfn-lint on the installation that builds its builder image in the account
 * (BuilderImage.fromCodeBuild: a CodeBuild project, an ECR repository, two functions and the
 * Provider framework's waiter), as cfn-lint.test.ts does for the default one.
 */

/** The warnings cfn-lint.test.ts accepts for every installation, with why there. */
const ACCEPTED_WARNINGS = new Set(['W3005', 'W3010']);

let matches: CfnLintMatch[] = [];
let folder: string;
beforeAll(async () => {
  await ensureCfnLint();
  const stack = securityStack();
  defaultInstallation(stack, { buildServer: { image: BuilderImage.fromCodeBuild() } });
  folder = mkdtempSync(path.join(tmpdir(), 'trellis-cfn-lint-'));
  const file = path.join(folder, 'codebuild.template.json');
  writeFileSync(file, JSON.stringify(Template.fromStack(stack).toJSON(), null, 1));
  matches = await cfnLint([file], [SECURITY_ENV.region]);
}, 15 * 60_000);

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

test('builder image built in the account (BuilderImage.fromCodeBuild): no errors, no warnings but the accepted ones', () => {
  const reported = matches.filter(match => match.Level === 'Error' || (match.Level === 'Warning' && !ACCEPTED_WARNINGS.has(match.Rule.Id)));
  expect(matches.every(match => match.Filename.endsWith('codebuild.template.json'))).toBe(true);
  expect(reported.map(match => `${match.Rule.Id} ${(match.Location.Path ?? []).join('/')}: ${match.Message}`)).toEqual([]);
});
