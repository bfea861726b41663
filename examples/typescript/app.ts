import { App, Stack } from 'aws-cdk-lib';
import { DeployFramework, DeploymentEnvironment, TestCommand, TrellisPipeline } from 'trellis-cdk';

// The same app as examples/python/app.py and examples/java: test/bindings compares their templates.
const app = new App();
const stack = new Stack(app, 'Trellis');

const trellis = new TrellisPipeline(stack, 'Trellis', {
  installationName: 'example',
  applications: [{
    name: 'shop',
    repository: 'acme/shop',
    environments: [
      DeploymentEnvironment.development({ branch: 'main', runTests: true }),
      DeploymentEnvironment.staging({ region: 'eu-west-1' }),
      DeploymentEnvironment.production({ account: '111122223333' }),
    ],
  }],
});

trellis.addApplication({
  name: 'billing',
  repository: 'acme/billing',
  environments: [
    DeploymentEnvironment.custom({
      name: 'preview',
      branch: 'develop',
      testCommand: TestCommand.command(['npx', 'vitest', 'run']),
      variables: { STAGE: 'preview' },
    }),
    DeploymentEnvironment.custom({
      name: 'qa',
      framework: DeployFramework.custom({ deployCommand: ['make', 'deploy'], removeCommand: ['make', 'remove'] }),
    }),
    DeploymentEnvironment.production(),
  ],
});

app.synth();
