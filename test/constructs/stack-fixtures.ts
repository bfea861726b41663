import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApplicationOptions, DeploymentEnvironment, TestCommand, TrellisPipeline, TrellisPipelineProps } from '../../src';
import { synthesizedOnce } from '../support/synth-cache';

/**
 * The dashboard is built into assets/dashboard by its own bundle task; synthesis only needs
 * the folder, so tests that run without that build get a stub page (never a real build's files replaced).
 */
export function ensureDashboardAssets(): void {
  const dir = path.join(__dirname, '../../assets/dashboard');
  fs.mkdirSync(dir, { recursive: true });
  try {
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Trellis</title>\n', { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
ensureDashboardAssets();

export function newStack(): Stack {
  return new Stack(new App(), 'TestStack', { env: { account: '111122223333', region: 'eu-west-1' } });
}

export function pipelineTemplate(props: TrellisPipelineProps = {}): { pipeline: TrellisPipeline; template: Template } {
  const stack = newStack();
  const pipeline = new TrellisPipeline(stack, 'Trellis', props);
  return { pipeline, template: Template.fromStack(stack) };
}

/** The shop app in installation `acme`, with `props`; without, the default one, synthesized once per test file for the tests that read it. */
export function shopInstallation(props?: TrellisPipelineProps): { stack: Stack; pipeline: TrellisPipeline; template: Template } {
  if (!props) return synthesizedOnce('shop, installation acme', () => shopInstallation({}));
  const stack = newStack();
  const pipeline = new TrellisPipeline(stack, 'Trellis', { applications: [shop], installationName: 'acme', ...props });
  return { stack, pipeline, template: Template.fromStack(stack) };
}

/** A role of another account, as a user brings it (`iam.Role.fromRoleArn`): its ARN is a plain string in any stack. */
export function importedRole(arn: string): iam.IRole {
  return iam.Role.fromRoleArn(new Stack(), 'Imported', arn);
}

export const shop: ApplicationOptions = {
  name: 'shop',
  repository: 'acme/shop',
  environments: [
    DeploymentEnvironment.development({ runTests: true }),
    DeploymentEnvironment.staging({ region: 'eu-west-1' }),
    DeploymentEnvironment.production({ account: '444455556666', deployRole: importedRole('arn:aws:iam::444455556666:role/deploy') }),
  ],
};

export const billing: ApplicationOptions = {
  name: 'billing',
  repository: 'acme/billing',
  environments: [
    DeploymentEnvironment.custom({ name: 'preview', branch: 'develop', testCommand: TestCommand.command(['npx', 'vitest', 'run']) }),
    DeploymentEnvironment.production({ variables: { LOG_LEVEL: 'warn' } }),
  ],
};

/**
 * The JSON the configuration custom resource carries, parsed. Each environment's build role
 * ARN is a reference to a role of the stack: it is checked here and left out of what is returned.
 */
export function writtenConfiguration(template: Template): any[] {
  const resources = template.findResources('Custom::TrellisConfiguration');
  const [resource] = Object.values(resources) as any[];
  const written = resource.Properties.Applications;
  const text = typeof written === 'string' ? written
    : (written['Fn::Join'][1] as unknown[]).map(part => (typeof part === 'string' ? part : `<${(part as any)['Fn::GetAtt'].join('.')}>`)).join('');
  const applications = JSON.parse(text);
  for (const app of applications) {
    for (const env of app.environments) {
      if (!/^<TrellisBuildEnvironmentRoles\w+\.Arn>$/.test(env.buildRoleArn)) throw new Error(`${app.name}/${env.name} has no build role: ${env.buildRoleArn}`);
      delete env.buildRoleArn;
    }
  }
  return applications;
}
