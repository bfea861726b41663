import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { CFN_LINT_VERSION, CfnLintMatch, cfnLint, ensureCfnLint } from './support/cfn-lint';
import { INSTALLATIONS, SECURITY_ENV, securityStack } from './support/stacks';

/**
 * cfn-lint (pinned, installed by the test into a venv on first use) on the default and the
 * fully configured installation: no errors, and no warnings but those listed here with why.
 */

/** Warnings that are right for these templates. */
const ACCEPTED_WARNINGS: Record<string, string> = {
  // aws-cdk-lib makes every function depend on its role's default policy and the role itself,
  // so the function is not created before its permissions; the role's DependsOn is redundant, not wrong.
  W3005: 'aws-cdk-lib\'s explicit DependsOn of a function on its role',
  // A stack with an explicit account and region takes its availability zones from a context
  // lookup (`dummy1a`, `dummy1b` without credentials); that is how the CDK pins subnets to AZs.
  W3010: 'availability zones from the CDK context lookup of an environment-specific stack',
};

/** A template with a property no queue has: proves the whole path (install, run, parse) reports errors. */
const BROKEN = { Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeoutSeconds: 30 } } } };

let matches: CfnLintMatch[] = [];
let folder: string;

beforeAll(async () => {
  await ensureCfnLint(); // a fresh machine: python3 -m venv + pip install, a few minutes
  folder = mkdtempSync(path.join(tmpdir(), 'trellis-cfn-lint-'));
  const write = (name: string, template: unknown) => {
    const file = path.join(folder, `${name}.template.json`);
    writeFileSync(file, JSON.stringify(template, null, 1));
    return file;
  };
  const files = INSTALLATIONS.map(([name, build]) => {
    const stack = securityStack();
    build(stack);
    return write(name.replace(/\W+/g, '-'), Template.fromStack(stack).toJSON());
  });
  matches = await cfnLint([...files, write('broken', BROKEN)], [SECURITY_ENV.region]);
}, 15 * 60_000);

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const inFile = (name: string) => matches.filter(match => path.basename(match.Filename) === `${name}.template.json`);
const describeMatch = (match: CfnLintMatch) => `${match.Rule.Id} ${(match.Location.Path ?? []).join('/')}: ${match.Message}`;

describe(`cfn-lint ${CFN_LINT_VERSION}`, () => {
  test('reports the error in a broken template (the check runs and its output is parsed)', () => {
    expect(inFile('broken').filter(match => match.Level === 'Error').map(match => match.Rule.Id)).toContain('E3002');
  });

  test.each(['default', 'fully-configured'])('%s installation: no errors', name => {
    expect(inFile(name).filter(match => match.Level === 'Error').map(describeMatch)).toEqual([]);
  });

  test.each(['default', 'fully-configured'])('%s installation: no warnings but the accepted ones', name => {
    expect(inFile(name).filter(match => match.Level === 'Warning' && !(match.Rule.Id in ACCEPTED_WARNINGS)).map(describeMatch)).toEqual([]);
  });
});
