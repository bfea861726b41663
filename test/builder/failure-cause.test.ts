import { MAX_CAUSE_LENGTH, failureCause, failureReason } from '../../src/builder/failure-cause';
import { Masker } from '../../src/builder/masking';
import { CommandResult } from '../../src/builder/process-runner';

/** Output as a tool prints it: one string, lines split as the builder splits them. */
const lines = (text: string) => text.replace(/^\n/, '').split('\n');
const cause = (argv: string[], text: string) => failureCause(argv, lines(text));
const failed = (text: string, code = 1): CommandResult => ({ code, output: lines(text) });

const CREDENTIALS_HINT = /^no AWS credentials reached the command: check the environment's deploy role \(deployRoleArn/;
const REGISTRY_HINT = /^the registry has no such package or version/;

/**
 * Each case is output written the way the tool prints it (npm 10/11, pnpm 8/9, yarn 1 and Berry,
 * CDK v2, SST v2/v3, Serverless v1-v4, SAM CLI, pip) for the failure named.
 */
describe('failureCause: the line that says why, per tool', () => {
  test.each<[string, string[], string, string, RegExp | undefined]>([
    ['npm ci: a package the registry does not have (npm 10)', ['npm', 'ci'], `
npm error code E404
npm error 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found
npm error 404
npm error 404  'left-padd@^1.3.0' is not in this registry.
npm error 404
npm error 404 Note that you can also install from a
npm error 404 tarball, folder, http url, or git url.
npm error A complete log of this run can be found in: /root/.npm/_logs/2024-05-01T10_00_00_000Z-debug-0.log`,
    "404 'left-padd@^1.3.0' is not in this registry.", REGISTRY_HINT],

    ['npm install: a private scope without a token (npm 8)', ['npm', 'install'], `
npm ERR! code E404
npm ERR! 404 Not Found - GET https://registry.npmjs.org/@acme%2fshared - Not found
npm ERR! 404
npm ERR! 404  '@acme/shared@2.1.0' is not in this registry.
npm ERR! 404 You should bug the author to publish it (or use the name yourself!)
npm ERR! 404
npm ERR! 404 Note that you can also install from a
npm ERR! 404 tarball, folder, http url, or git url.

npm ERR! A complete log of this run can be found in:
npm ERR!     /root/.npm/_logs/2023-01-01T00_00_00_000Z-debug-0.log`,
    "404 '@acme/shared@2.1.0' is not in this registry.", REGISTRY_HINT],

    ['npm ci --engine-strict: the wrong Node (npm 11, as printed by this machine)', ['npm', 'ci'], `
npm error code EBADENGINE
npm error engine Unsupported engine
npm error engine Not compatible with your version of node/npm: api@1.0.0
npm error notsup Not compatible with your version of node/npm: api@1.0.0
npm error notsup Required: {"node":"18.x"}
npm error notsup Actual:   {"node":"v22.11.0","npm":"10.9.0"}
npm error A complete log of this run can be found in: /root/.npm/_logs/2024-11-05T11_57_55_907Z-debug-0.log`,
    'Not compatible with your version of node/npm: api@1.0.0', /^the app wants Node 18\.x and the build ran 22\.11\.0: choose it with \.nvmrc/],

    ['npm 6: the wrong Node, as ENOTSUP', ['npm', 'ci'], `
npm ERR! code ENOTSUP
npm ERR! notsup Unsupported engine for api@1.0.0: wanted: {"node":">=20"} (current: {"node":"16.20.2","npm":"8.19.4"})
npm ERR! notsup Not compatible with your version of node/npm: api@1.0.0
npm ERR! notsup Not compatible with your version of node/npm: api@1.0.0
npm ERR! notsup Required: {"node":">=20"}
npm ERR! notsup Actual:   {"npm":"8.19.4","node":"16.20.2"}`,
    'Not compatible with your version of node/npm: api@1.0.0', /^the app wants Node >=20 and the build ran 16\.20\.2/],

    ['npm ci: the lockfile is out of sync', ['npm', 'ci'], `
npm error code EUSAGE
npm error
npm error \`npm ci\` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with \`npm install\` before continuing.
npm error
npm error Missing: left-pad@1.3.0 from lock file
npm error
npm error Clean install a project
npm error
npm error Usage:
npm error npm ci
npm error
npm error Options:
npm error [--install-strategy <hoisted|nested|shallow|linked>] [--legacy-bundling]
npm error
npm error aliases: clean-install, ic, install-clean, isntall-clean
npm error
npm error Run "npm help ci" for more info
npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log`,
    '`npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. '
    + 'Please update your lock file with `npm install` before continuing.', undefined],

    ['npm install: a peer dependency conflict', ['npm', 'install'], `
npm error code ERESOLVE
npm error ERESOLVE unable to resolve dependency tree
npm error
npm error While resolving: web@0.1.0
npm error Found: react@18.2.0
npm error node_modules/react
npm error   react@"^18.2.0" from the root project
npm error
npm error Could not resolve dependency:
npm error peer react@"^17.0.0" from react-beautiful-dnd@13.1.1
npm error
npm error Fix the upstream dependency conflict, or retry
npm error this command with --force or --legacy-peer-deps
npm error to accept an incorrect (and potentially broken) dependency resolution.`,
    'ERESOLVE unable to resolve dependency tree', undefined],

    ['npm run: no such script', ['npm', 'run', 'test'], `
npm error Missing script: "test"
npm error
npm error To see a list of scripts, run:
npm error   npm run
npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log`,
    'Missing script: "test"', undefined],

    ['npm run build: tsc is not a dependency (sh prints it, exit 127)', ['npm', 'run', 'build'], `

> api@1.0.0 build
> tsc -p .

sh: 1: tsc: not found`,
    'sh: 1: tsc: not found', /^'tsc' is not installed: add it to the app's devDependencies \(node_modules\/\.bin\)/],

    ['npm run build: TypeScript errors, the first is the cause', ['npm', 'run', 'build'], `
> api@1.0.0 build
> tsc

src/handler.ts(12,7): error TS2322: Type 'number' is not assignable to type 'string'.
src/handler.ts(20,3): error TS2554: Expected 1 arguments, but got 0.
src/util.ts(4,10): error TS2305: Module '"./types"' has no exported member 'Order'.`,
    "src/handler.ts(12,7): error TS2322: Type 'number' is not assignable to type 'string'.", undefined],

    ['npm ci: an install script fails (esbuild), its error under npm error lines', ['npm', 'ci'], `
npm error code 1
npm error path /app/node_modules/esbuild
npm error command failed
npm error command sh -c node install.js
npm error Error: Expected "0.19.2" but got "0.18.20"
npm error     at validateBinaryVersion (/app/node_modules/esbuild/install.js:120:11)
npm error     at /app/node_modules/esbuild/install.js:283:5
npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log`,
    'Error: Expected "0.19.2" but got "0.18.20"', undefined],

    ['npm ci: the registry cannot be resolved', ['npm', 'ci'], `
npm error code ENOTFOUND
npm error syscall getaddrinfo
npm error errno ENOTFOUND
npm error network request to https://registry.npmjs.org/aws-cdk-lib failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org
npm error network This is a problem related to network connectivity.
npm error network In most cases you are behind a proxy or have bad network settings.
npm error network
npm error network If you are behind a proxy, please make sure that the
npm error network 'proxy' config is set properly.  See: 'npm help config'`,
    'request to https://registry.npmjs.org/aws-cdk-lib failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org',
    /^the build could not reach registry\.npmjs\.org: check the builder's network/],

    ['npm ci: connection refused (npm 11, as printed by this machine), not the error dump after it', ['npm', 'ci'], `
npm error code ECONNREFUSED
npm error syscall connect
npm error errno ECONNREFUSED
npm error FetchError: request to http://10.0.0.9:4873/left-pad failed, reason: connect ECONNREFUSED 10.0.0.9:4873
npm error     at ClientRequest.<anonymous> (/usr/lib/node_modules/npm/node_modules/minipass-fetch/lib/index.js:130:14)
npm error     at ClientRequest.emit (node:events:524:28)
npm error     at process.processTicksAndRejections (node:internal/process/task_queues:83:21) {
npm error   code: 'ECONNREFUSED',
npm error   errno: 'ECONNREFUSED',
npm error   syscall: 'connect',
npm error   type: 'system',
npm error   requiredBy: '.'
npm error }
npm error
npm error If you are behind a proxy, please make sure that the 'proxy' config is set properly.  See: 'npm help config'
npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log`,
    'FetchError: request to http://10.0.0.9:4873/left-pad failed, reason: connect ECONNREFUSED 10.0.0.9:4873',
    /^the build could not reach 10\.0\.0\.9: /],

    ['npm ci: a bad token for a private registry', ['npm', 'ci'], `
npm error code E401
npm error Unable to authenticate, your authentication token seems to be invalid.
npm error To correct this please try logging in again with:
npm error   npm login`,
    'Unable to authenticate, your authentication token seems to be invalid.', undefined],

    ['pnpm install: the lockfile is out of date', ['pnpm', 'install', '--frozen-lockfile'], `
Lockfile is up to date, resolution step is skipped
 ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date with <ROOT>/package.json

Note that in CI environments this setting is true by default. If you still need to run install in such cases, use "pnpm install --no-frozen-lockfile"

    Failure reason:
    specifiers in the lockfile ({}) don't match specs in package.json ({"left-pad":"^1.3.0"})`,
    'ERR_PNPM_OUTDATED_LOCKFILE Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date with <ROOT>/package.json', undefined],

    ['pnpm install: a package the registry does not have', ['pnpm', 'install', '--frozen-lockfile'], `
Progress: resolved 12, reused 12, downloaded 0, added 0
 ERR_PNPM_FETCH_404  GET https://registry.npmjs.org/left-padd: Not Found - 404

This error happened while installing a direct dependency of /app

left-padd is not in the npm registry, or you have no permission to fetch it.

No authorization header was set for the request.`,
    'left-padd is not in the npm registry, or you have no permission to fetch it.', REGISTRY_HINT],

    ['pnpm install: the wrong Node', ['pnpm', 'install', '--frozen-lockfile'], `
 ERR_PNPM_UNSUPPORTED_ENGINE  Unsupported environment (bad pnpm and/or Node.js version)

Your Node version is incompatible with "/app".

Expected version: 18.x
Got: v22.11.0

This is happening because the package's manifest has an engines.node field specified.
To fix this issue, install the required Node version.`,
    'Your Node version is incompatible with "/app".', /^the app wants Node 18\.x and the build ran 22\.11\.0/],

    ['pnpm run: no such script', ['pnpm', 'run', 'test'], `
 ERR_PNPM_NO_SCRIPT  Missing script: test

Command "test" not found.`,
    'Command "test" not found.', /'test' is not installed/],

    ['pnpm exec: a binary the app does not have', ['pnpm', 'exec', 'tsc'], `
 ERR_PNPM_RECURSIVE_EXEC_FIRST_FAIL  Command "tsc" not found`,
    'ERR_PNPM_RECURSIVE_EXEC_FIRST_FAIL Command "tsc" not found', /^'tsc' is not installed/],

    ['pnpm run test: jest fails, pnpm repeats the exit code', ['pnpm', 'run', 'test'], `
> api@1.0.0 test /app
> jest

 FAIL  test/handler.test.ts
  ● handler › returns 200

    expect(received).toBe(expected) // Object.is equality

    Expected: 200
    Received: 500

      at Object.<anonymous> (test/handler.test.ts:9:27)

Test Suites: 1 failed, 1 total
Tests:       1 failed, 3 passed, 4 total
Snapshots:   0 total
Time:        1.92 s
Ran all test suites.
 ELIFECYCLE  Test failed. See above for more details.`,
    'Tests: 1 failed, 3 passed, 4 total; first: handler › returns 200', undefined],

    ['yarn 1 install: the wrong Node', ['yarn', 'install', '--frozen-lockfile'], `
yarn install v1.22.22
[1/5] Validating package.json...
error api@1.0.0: The engine "node" is incompatible with this module. Expected version ">= 20.0.0". Got "18.19.1"
error Found incompatible module.
info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.`,
    'error api@1.0.0: The engine "node" is incompatible with this module. Expected version ">= 20.0.0". Got "18.19.1"',
    /^the app wants Node >= 20\.0\.0 and the build ran 18\.19\.1/],

    ['yarn 1 install: the lockfile needs an update', ['yarn', 'install', '--frozen-lockfile'], `
yarn install v1.22.22
[1/5] Validating package.json...
[2/5] Resolving packages...
error Your lockfile needs to be updated, but yarn was run with \`--frozen-lockfile\`.
info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.`,
    'error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.', undefined],

    ['yarn 1 install: a package the registry does not have', ['yarn', 'install', '--frozen-lockfile'], `
yarn install v1.22.22
[2/5] Resolving packages...
error An unexpected error occurred: "https://registry.yarnpkg.com/left-padd: Not found".
info If you think this is a bug, please open a bug report with the information provided in "/app/yarn-error.log".
info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.`,
    'error An unexpected error occurred: "https://registry.yarnpkg.com/left-padd: Not found".', REGISTRY_HINT],

    ['yarn 1 install: no network', ['yarn', 'install', '--frozen-lockfile'], `
[2/5] Resolving packages...
info There appears to be trouble with your network connection. Retrying...
error An unexpected error occurred: "https://registry.yarnpkg.com/react: getaddrinfo EAI_AGAIN registry.yarnpkg.com".`,
    'error An unexpected error occurred: "https://registry.yarnpkg.com/react: getaddrinfo EAI_AGAIN registry.yarnpkg.com".',
    /^the build could not reach registry\.yarnpkg\.com/],

    ['yarn 1 run: a missing binary', ['yarn', 'run', 'build'], `
yarn run v1.22.22
$ tsc
/bin/sh: tsc: command not found
error Command failed with exit code 127.
info Visit https://yarnpkg.com/en/docs/cli/run for documentation about this command.`,
    '/bin/sh: tsc: command not found', /^'tsc' is not installed/],

    ['yarn Berry install: the lockfile would change', ['yarn', 'install', '--immutable'], `
➤ YN0000: ┌ Resolution step
➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden.
➤ YN0000: └ Completed in 0s 231ms
➤ YN0000: · Failed with errors in 0s 236ms`,
    'YN0028: The lockfile would have been modified by this install, which is explicitly forbidden.', undefined],

    ['yarn Berry run: no such script', ['yarn', 'run', 'test'], `
Usage Error: Couldn't find a script named "test".

$ yarn run [--inspect] [--inspect-brk] [-T,--top-level] [-B,--binaries-only] [--require #0] <scriptName> ...`,
    'Usage Error: Couldn\'t find a script named "test".', undefined],

    ['cdk deploy without credentials', ['cdk', 'deploy', '--all'], `

✨  Synthesis time: 4.12s

Unable to resolve AWS account to use. It must be either configured when you define your stack, or through the environment

NOTICES         (What's this? https://github.com/aws/aws-cdk/wiki/CLI-Notices)

31885	(cli): Bootstrap stack outputs are not updated when an error occurs

	Overview: An error in the CLI can leave the bootstrap stack outdated.
	Affected versions: cli: <2.166.0
	More information at: https://github.com/aws/aws-cdk/issues/31885

If you don’t want to see a notice anymore, use "cdk acknowledge <id>". For example, "cdk acknowledge 31885".`,
    'Unable to resolve AWS account to use. It must be either configured when you define your stack, or through the environment', CREDENTIALS_HINT],

    ['cdk deploy: no credentials for the account', ['cdk', 'deploy', '--all'], `
api-dev: start: Building api-dev Template
api-dev: success: Built api-dev Template
 ❌ Deployment failed: Error: Need to perform AWS calls for account 123456789012, but no credentials have been configured
    at SdkProvider.forEnvironment (/app/node_modules/aws-cdk/lib/index.js:445:30421)`,
    'Deployment failed: Error: Need to perform AWS calls for account 123456789012, but no credentials have been configured', CREDENTIALS_HINT],

    ['cdk synth: a TypeScript error in the app (ts-node)', ['cdk', 'synth'], `
/app/node_modules/ts-node/src/index.ts:859
    return new TSError(diagnosticText, diagnosticCodes, diagnostics);
           ^
TSError: ⨯ Unable to compile TypeScript:
bin/app.ts(7,21): error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'.

    at createTSError (/app/node_modules/ts-node/src/index.ts:859:12)
    at reportTSError (/app/node_modules/ts-node/src/index.ts:863:19)
    at Module._compile (/app/node_modules/ts-node/src/index.ts:1618:36)
  diagnosticCodes: [ 2345 ]
}
Subprocess exited with error 1`,
    "bin/app.ts(7,21): error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'.", undefined],

    ['cdk deploy: the stack fails in CloudFormation, notices after it are ignored', ['cdk', 'deploy', '--all'], `
api-dev: deploying... [1/1]
api-dev: creating CloudFormation changeset...
api-dev | 0/3 | 10:01:02 AM | CREATE_IN_PROGRESS   | AWS::CloudFormation::Stack | api-dev User Initiated
api-dev | 0/3 | 10:01:05 AM | CREATE_FAILED        | AWS::S3::Bucket | Assets (AssetsA1B2) acme-assets already exists
 ❌  api-dev failed: Error: The stack named api-dev failed creation, it may need to be manually deleted from the AWS console: ROLLBACK_COMPLETE: acme-assets already exists
    at FullCloudFormationDeployment.monitorDeployment (/app/node_modules/aws-cdk/lib/index.js:451:10568)
    at async Object.deployStack2 [as deployStack] (/app/node_modules/aws-cdk/lib/index.js:454:200276)

 ❌ Deployment failed: Error: The stack named api-dev failed creation, it may need to be manually deleted from the AWS console: ROLLBACK_COMPLETE: acme-assets already exists

NOTICES         (What's this? https://github.com/aws/aws-cdk/wiki/CLI-Notices)

	Overview: An error in the CLI fails the deployment.
`,
    'Deployment failed: Error: The stack named api-dev failed creation, it may need to be manually deleted from the AWS console: '
    + 'ROLLBACK_COMPLETE: acme-assets already exists', undefined],

    ['cdk deploy: the environment is not bootstrapped', ['cdk', 'deploy', '--all'], `
 ❌  Deployment failed: Error: api-dev: SSM parameter /cdk-bootstrap/hnb659fds/version not found. Has the environment been bootstrapped? Please run 'cdk bootstrap' (see https://docs.aws.amazon.com/cdk/latest/guide/bootstrapping.html)`,
    "Deployment failed: Error: api-dev: SSM parameter /cdk-bootstrap/hnb659fds/version not found. Has the environment been bootstrapped? Please run 'cdk bootstrap' "
    + '(see https://docs.aws.amazon.com/cdk/latest/guide/bootstrapping.html)', /^bootstrap the target account and region once/],

    ['cdk synth: the CLI is older than aws-cdk-lib', ['cdk', 'synth'], `
This CDK CLI is not compatible with the CDK library used by your application. Please upgrade the CLI to the latest version.
(Cloud assembly schema version mismatch: Maximum schema version supported is 36.0.0, but found 38.0.1)`,
    '(Cloud assembly schema version mismatch: Maximum schema version supported is 36.0.0, but found 38.0.1)', /^the app's aws-cdk CLI is older than its aws-cdk-lib/],

    ['cdk deploy: the deploy role may not do it', ['cdk', 'deploy', '--all'], `
 ❌  Deployment failed: Error: User: arn:aws:sts::123456789012:assumed-role/trellis-deploy/trellis-build is not authorized to perform: cloudformation:DescribeStacks on resource: arn:aws:cloudformation:eu-west-1:123456789012:stack/api-dev/*`,
    'Deployment failed: Error: User: arn:aws:sts::123456789012:assumed-role/trellis-deploy/trellis-build is not authorized to perform: '
    + 'cloudformation:DescribeStacks on resource: arn:aws:cloudformation:eu-west-1:123456789012:stack/api-dev/*', /^the AWS role lacks a permission/],

    ['cdk synth of a Python app without python3', ['cdk', 'synth'], `
/bin/sh: 1: python3: not found
Subprocess exited with error 127`,
    '/bin/sh: 1: python3: not found', /^'python3' is not in the builder image/],

    ['cdk synth of a Python app without its dependencies', ['cdk', 'synth'], `
Traceback (most recent call last):
  File "/app/app.py", line 4, in <module>
    import aws_cdk as cdk
ModuleNotFoundError: No module named 'aws_cdk'
Subprocess exited with error 1`,
    "ModuleNotFoundError: No module named 'aws_cdk'", undefined],

    ['sst v2 build: esbuild cannot resolve an import', ['sst', 'deploy', '--stage', 'dev'], `
Building function packages/functions/src/lambda.handler
Error: There was a problem transpiling the Lambda handler: ✘ [ERROR] Could not resolve "lodash"

    packages/functions/src/lambda.ts:1:14:
      1 │ import _ from "lodash";
        ╵               ~~~~~~~~

  You can mark the path "lodash" as external to exclude it from the bundle, which will remove this
  error and leave the unresolved import to fail at runtime.`,
    'Error: There was a problem transpiling the Lambda handler: ✘ [ERROR] Could not resolve "lodash"', undefined],

    ['sst v3 deploy: a resource fails, its message follows ✕ Failed', ['sst', 'deploy', '--stage', 'dev'], `
SST 3.3.5  ready!

➜  App:        shop
   Stage:      dev

~  Deploy

|  Error       MyFunction sst:aws:Function → MyFunctionFunction aws:lambda:Function

✕  Failed
   MyFunction sst:aws:Function → MyFunctionFunction aws:lambda:Function
   operation error Lambda: CreateFunction, https response error StatusCode: 400, RequestID: 6f1c, InvalidParameterValueException: The runtime parameter of nodejs14.x is no longer supported`,
    'operation error Lambda: CreateFunction, https response error StatusCode: 400, RequestID: 6f1c, InvalidParameterValueException: '
    + 'The runtime parameter of nodejs14.x is no longer supported', undefined],

    ['sst v3: expired credentials', ['sst', 'deploy', '--stage', 'dev'], `
✕  Unexpected error occurred. Please run with --print-logs or check .sst/log/sst.log if available.
   operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: 1a2b, api error ExpiredToken: The security token included in the request is expired`,
    'operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: 1a2b, api error ExpiredToken: The security token included in the request is expired',
    /^AWS refused the credentials/],

    ['serverless v3 deploy without credentials', ['serverless', 'deploy', '--stage', 'dev'], `
Deploying api to stage dev (us-east-1)

✖ Stack api-dev failed to deploy (0s)
Environment: linux, node 20.11.0, framework 3.38.0, plugin 7.2.0, SDK 4.5.1
Credentials: Local, environment variables
Docs:        docs.serverless.com
Support:     forum.serverless.com
Bugs:        github.com/serverless/serverless/issues

Error:
AWS provider credentials not found. Learn how to set up AWS provider credentials in our docs here: <http://slss.io/aws-creds-setup>.`,
    'AWS provider credentials not found. Learn how to set up AWS provider credentials in our docs here: <http://slss.io/aws-creds-setup>.', CREDENTIALS_HINT],

    ['serverless v3 package: a variable that does not resolve (the message under Error:)', ['serverless', 'package', '--stage', 'dev'], `
Packaging api for stage dev (us-east-1)

✖ Stack api-dev failed to deploy (1s)
Environment: linux, node 20.11.0, framework 3.38.0, plugin 7.2.0, SDK 4.5.1
Docs:        docs.serverless.com

Error:
Cannot resolve serverless.yml: Variables resolution errored with:
  - Cannot resolve variable at "provider.environment.TABLE": Value not found at "env" source`,
    'Cannot resolve serverless.yml: Variables resolution errored with: - Cannot resolve variable at "provider.environment.TABLE": Value not found at "env" source', undefined],

    ['serverless v1: a refused token under its Serverless Error header', ['serverless', 'deploy', '--stage', 'dev'], `
Serverless: Packaging service...

  Serverless Error ----------------------------------------

  The security token included in the request is invalid.

  Get Support --------------------------------------------
     Docs:          docs.serverless.com`,
    'The security token included in the request is invalid.', /^AWS refused the credentials/],

    ['serverless v4: not signed in', ['serverless', 'deploy', '--stage', 'dev'], `
Serverless ϟ Framework

✖ You must sign in or use a license key with Serverless Framework V.4 and later versions. Please use "serverless login".`,
    'You must sign in or use a license key with Serverless Framework V.4 and later versions. Please use "serverless login".', undefined],

    ['sam deploy without a stack name', ['sam', 'deploy', '--config-env', 'dev'], `
Error: Missing option '--stack-name', 'sam deploy --guided' can be used to provide and save needed parameters for future deploys.`,
    "Error: Missing option '--stack-name', 'sam deploy --guided' can be used to provide and save needed parameters for future deploys.", undefined],

    ['sam build: a Python dependency that does not exist', ['sam', 'build'], `
Building codeuri: /app/hello_world runtime: python3.12 metadata: {} architecture: x86_64 functions: HelloWorldFunction
Running PythonPipBuilder:ResolveDependencies

Build Failed
Error: PythonPipBuilder:ResolveDependencies - {requests==99.0.0(wheel)}`,
    'Error: PythonPipBuilder:ResolveDependencies - {requests==99.0.0(wheel)}', undefined],

    ['sam deploy without credentials', ['sam', 'deploy'], `
Error: Unable to locate credentials. You can configure credentials by running "aws configure".`,
    'Error: Unable to locate credentials. You can configure credentials by running "aws configure".', CREDENTIALS_HINT],

    ['sam deploy: the stack rolls back', ['sam', 'deploy'], `
CloudFormation events from stack operations (refresh every 5.0 seconds)
-------------------------------------------------------------------------------------------------
ResourceStatus           ResourceType             LogicalResourceId        ResourceStatusReason
-------------------------------------------------------------------------------------------------
CREATE_FAILED            AWS::Lambda::Function    HelloWorldFunction       Resource handler returned message: "Unzipped size must be smaller than 262144000 bytes"
ROLLBACK_COMPLETE        AWS::CloudFormation::Stack  shop-dev              -
-------------------------------------------------------------------------------------------------

Error: Failed to create/update the stack: shop-dev, Waiter StackCreateComplete failed: Waiter encountered a terminal failure state: For expression "Stacks[].StackStatus" we matched expected path: "ROLLBACK_COMPLETE" at least once`,
    'Error: Failed to create/update the stack: shop-dev, Waiter StackCreateComplete failed: Waiter encountered a terminal failure state: '
    + 'For expression "Stacks[].StackStatus" we matched expected path: "ROLLBACK_COMPLETE" at least once', undefined],

    ['pip: no such version', ['pip', 'install', '-r', 'requirements.txt'], `
Collecting aws-cdk-lib==9.9.9 (from -r requirements.txt (line 1))
ERROR: Could not find a version that satisfies the requirement aws-cdk-lib==9.9.9 (from versions: 2.0.0, 2.1.0, 2.150.0)
ERROR: No matching distribution found for aws-cdk-lib==9.9.9`,
    'ERROR: No matching distribution found for aws-cdk-lib==9.9.9', undefined],

    ['pip: a wheel that does not build', ['pip', 'install', '-r', 'requirements.txt'], `
  error: subprocess-exited-with-error

  × Building wheel for psycopg2 (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [3 lines of output]
      running build_ext
      Error: pg_config executable not found.
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for psycopg2
Failed to build psycopg2
ERROR: Could not build wheels for psycopg2, which is required to install pyproject.toml-based projects`,
    'ERROR: Could not build wheels for psycopg2, which is required to install pyproject.toml-based projects', undefined],

    ['pip: the system Python is externally managed', ['pip3', 'install', '-r', 'requirements.txt'], `
error: externally-managed-environment

× This environment is externally managed
╰─> To install Python packages system-wide, try apt install
    python3-xyz, where xyz is the package you are trying to
    install.

note: If you believe this is a mistake, please contact your Python installation or OS distribution provider.
hint: See PEP 668 for the detailed specification.`,
    'error: externally-managed-environment', /^pip may not install into the system Python: install into a virtual environment/],

    ['pip: no network (the retries are warnings, the cause is their hint)', ['pip', 'install', '-r', 'requirements.txt'], `
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f3>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/requests/
ERROR: Could not find a version that satisfies the requirement requests (from versions: none)
ERROR: No matching distribution found for requests`,
    'ERROR: No matching distribution found for requests', /^the build could not reach the network/],

    ['pip: no requirements file', ['pip', 'install', '-r', 'requirements.txt'], `
ERROR: Could not open requirements file: [Errno 2] No such file or directory: 'requirements.txt'`,
    "ERROR: Could not open requirements file: [Errno 2] No such file or directory: 'requirements.txt'", undefined],
  ])('%s', (_, argv, output, line, hint) => {
    const found = cause(argv, output);
    expect(found.line).toBe(line);
    if (hint) expect(found.hint).toMatch(hint);
    else expect(found.hint).toBeUndefined();
  });
});

describe('failureCause: test runners say how many failed and which first', () => {
  test.each([
    ['vitest', `
 ❯ test/cart.test.ts (3 tests | 1 failed) 12ms
   × cart > adds an item
     → expected 2 to be 3

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  test/cart.test.ts > cart > adds an item
AssertionError: expected 2 to be 3

 Test Files  1 failed | 2 passed (3)
      Tests  1 failed | 9 passed (10)
   Start at  10:01:02
   Duration  812ms`,
    'Tests 1 failed | 9 passed (10); first: test/cart.test.ts > cart > adds an item'],
    ['pytest', `
============================= test session starts ==============================
collected 4 items

tests/test_app.py .F..                                                   [100%]

=================================== FAILURES ===================================
_________________________________ test_bucket __________________________________
E       assert 1 == 2
tests/test_app.py:12: AssertionError
=========================== short test summary info ============================
FAILED tests/test_app.py::test_bucket - assert 1 == 2
========================= 1 failed, 3 passed in 0.52s ==========================`,
    '1 failed, 3 passed in 0.52s; first: tests/test_app.py::test_bucket - assert 1 == 2'],
    ['mocha', `
  cart
    ✔ is empty at first
    1) adds an item


  1 passing (9ms)
  1 failing

  1) cart
       adds an item:
     AssertionError [ERR_ASSERTION]: 2 == 3
      at Context.<anonymous> (test/cart.test.js:9:12)`,
    '1 failing; first: adds an item'],
    ['node --test', `
✖ adds an item (1.2ms)
  AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:

  2 !== 3

ℹ tests 4
ℹ suites 0
ℹ pass 3
ℹ fail 1
ℹ cancelled 0`,
    '1 failed, 3 passed; first: adds an item'],
    ['node --test, TAP (Node 20 without a terminal)', `
not ok 7 - orders of 100.00 or more get 10% off
  ---
  duration_ms: 1.2
  failureType: 'testCodeFailure'
  error: |-
    Expected values to be strictly deep-equal:
  code: 'ERR_ASSERTION'
  ...
1..8
# tests 8
# suites 0
# pass 6
# fail 2
# cancelled 0
# skipped 0
# todo 0
# duration_ms 557.117763`,
    '2 failed, 6 passed; first: orders of 100.00 or more get 10% off'],
    ['a script that says so itself', `
> broken@1.0.0 test
> node -e "console.log('1 test failed'); process.exit(1)"

1 test failed`,
    '1 test failed'],
  ])('%s', (_, output, line) => {
    expect(cause(['npm', 'run', 'test'], output)).toEqual({ line });
  });
});

describe('failureCause: what is never the cause', () => {
  test('stack frames, blank lines, the log file line and warnings are skipped; the error above them is the cause', () => {
    expect(cause(['node', 'scripts/build.js'], `
npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory. Do not use it.
/app/scripts/build.js:12
  return items.map(toEntry);
               ^

TypeError: Cannot read properties of undefined (reading 'map')
    at build (/app/scripts/build.js:12:16)
    at Object.<anonymous> (/app/scripts/build.js:30:1)
    at new Promise (<anonymous>)
    at node:internal/main/run_main_module:28:49

Node.js v22.11.0
`)).toEqual({ line: "TypeError: Cannot read properties of undefined (reading 'map')" });
  });

  test('colour codes and what a carriage return overwrote are not part of the line', () => {
    const output = [
      '\u001b[2K\u001b[1G⠋ Building\r⠙ Building\r',
      '\u001b[31mnpm\u001b[39m \u001b[31merror\u001b[39m \u001b[35mcode\u001b[39m E404',
      '\u001b[31mnpm\u001b[39m \u001b[31merror\u001b[39m \u001b[35m404\u001b[39m Not Found - GET https://registry.npmjs.org/left-padd - Not found',
      '\u001b[31mnpm\u001b[39m \u001b[31merror\u001b[39m A complete log of this run can be found in: /root/.npm/_logs/x.log',
    ];
    expect(failureCause(['npm', 'ci'], output).line).toBe('404 Not Found - GET https://registry.npmjs.org/left-padd - Not found');
  });

  test('a warning is never the line, even when nothing else is printed', () => {
    expect(cause(['npm', 'ci'], 'npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported\n\n')).toEqual({});
    expect(cause(['npm', 'ci'], '')).toEqual({});
  });

  test('an EBADENGINE warning gives the Node hint to the error that follows it', () => {
    const found = cause(['npm', 'ci'], `
npm warn EBADENGINE Unsupported engine {
npm warn EBADENGINE   package: 'api@1.0.0',
npm warn EBADENGINE   required: { node: '18' },
npm warn EBADENGINE   current: { node: 'v22.11.0', npm: '10.9.0' }
npm warn EBADENGINE }
npm error code 1
npm error path /app/node_modules/sharp
npm error command failed
npm error command sh -c node install/check
npm error sharp: Installation error: Expected Node.js version ^18.17.0 || ^20.3.0 || >=21.0.0 but found 22.11.0-pre`);
    expect(found.line).toBe('sharp: Installation error: Expected Node.js version ^18.17.0 || ^20.3.0 || >=21.0.0 but found 22.11.0-pre');
    expect(found.hint).toBe('the app wants Node 18 and the build ran 22.11.0: choose it with .nvmrc, .node-version, engines.node or the nodeVersion setting');
  });

  test('of two errors, the later one is the cause', () => {
    const found = cause(['npm', 'run', 'build'], `
Error: an old retried error
${Array.from({ length: 10 }, (_, i) => `built chunk ${i}`).join('\n')}
Error: Build failed with 1 error: src/index.ts:3:7: ERROR: Expected ";" but found "const"`);
    expect(found.line).toBe('Error: Build failed with 1 error: src/index.ts:3:7: ERROR: Expected ";" but found "const"');
  });

  test('nothing that reads as an error: the last line printed', () => {
    expect(cause(['sh', 'deploy.sh'], 'uploading site\nDEPLOY_BUCKET is not set, giving up\n')).toEqual({ line: 'DEPLOY_BUCKET is not set, giving up' });
  });
});

describe('failureCause: a command that did not start', () => {
  test.each([
    ['pnpm', "command 'pnpm' was not found", "'pnpm' is not in the builder image: use a builder image that has it"],
    ['yarn', "command 'yarn' was not found", "'yarn' is not in the builder image: use a builder image that has it"],
    ['sam', "command 'sam' was not found", "'sam' is not in the builder image: use a builder image that has it"],
    ['sst', "command 'sst' was not found", "'sst' is not installed: add it to the app's devDependencies (node_modules/.bin) or use a builder image that has it"],
    ['/app/node_modules/.bin/cdk', "command '/app/node_modules/.bin/cdk' was not found",
      "'cdk' is not installed: add it to the app's devDependencies (node_modules/.bin) or use a builder image that has it"],
    ['./deploy.sh', "command './deploy.sh' is not executable", 'commit the file with its executable bit (git update-index --chmod=+x <file>)'],
  ])('%s: %s', (program, error, hint) => {
    expect(failureCause([program, 'install'], ['ignored'], error)).toEqual({ hint });
  });

  test('stopped: no cause, no hint', () => {
    expect(failureCause(['cdk', 'deploy'], ['Error: half way'], 'stopped')).toEqual({ hint: undefined });
  });
});

describe('failureReason: the reason a failed command gives its phase', () => {
  test('what failed, the cause, and the hint', () => {
    const reason = failureReason(['cdk', 'deploy', '--all', '-c', 'stage=dev'], failed(`
✨  Synthesis time: 4.12s
Unable to resolve AWS account to use. It must be either configured when you define your stack, or through the environment`), new Masker());
    expect(reason).toBe('cdk deploy --all -c stage=dev exited with code 1: Unable to resolve AWS account to use. It must be either configured when you define '
      + "your stack, or through the environment (hint: no AWS credentials reached the command: check the environment's deploy role (deployRoleArn; "
      + 'locally, your AWS profile or AWS_* variables))');
  });

  test('a stopped command (cancelled: SIGTERM) gets no cause: its last line is not why it ended', () => {
    expect(failureReason(['node', 'deploy.js'], { signal: 'SIGTERM', output: ['Error: uploading failed'] }, new Masker())).toBe('node deploy.js was killed by SIGTERM');
  });

  test('a command that was not found, a killed one, one that printed nothing', () => {
    const masker = new Masker();
    expect(failureReason(['pnpm', 'install', '--frozen-lockfile'], { error: "command 'pnpm' was not found", output: [] }, masker))
      .toBe("pnpm install --frozen-lockfile: command 'pnpm' was not found (hint: 'pnpm' is not in the builder image: use a builder image that has it)");
    expect(failureReason(['npm', 'run', 'build'], { signal: 'SIGKILL', output: ['<--- Last few GCs --->', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'] }, masker))
      .toBe('npm run build was killed by SIGKILL: FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory '
        + '(hint: the command ran out of memory: give the builder more memory, or Node more heap (NODE_OPTIONS=--max-old-space-size=...))');
    expect(failureReason(['npm', 'test'], failed('', 2), masker)).toBe('npm test exited with code 2');
  });

  test('the cause is cut to MAX_CAUSE_LENGTH, hint included', () => {
    const long = `Error: ${'x'.repeat(5000)}`;
    const reason = failureReason(['npm', 'ci'], failed(`npm error ${long}\nnpm error A complete log of this run can be found in: /x.log`), new Masker());
    const added = reason.slice('npm ci exited with code 1'.length);
    expect(added.length).toBeLessThanOrEqual(MAX_CAUSE_LENGTH);
    expect(added).toMatch(/^: Error: x+…$/);
    const withHint = failureReason(['cdk', 'deploy'], failed(`Unable to resolve AWS account to use. ${'y'.repeat(900)}`), new Masker());
    expect(withHint.slice('cdk deploy exited with code 1'.length).length).toBeLessThanOrEqual(MAX_CAUSE_LENGTH);
    expect(withHint).toMatch(/y… \(hint: no AWS credentials reached the command: .*\)$/);
  });

  describe('secrets never reach the reason: the build masker masks each line before it is read, and again after', () => {
    const secret = 'sk_test_PRIVATE_9f8e7d6c5b4a';
    const spaced = 'open  sesame  4242';
    const masker = new Masker();
    masker.add(secret);
    masker.add(spaced);
    const reasonFor = (...output: string[]) => failureReason(['npm', 'run', 'deploy'], { code: 1, output }, masker);
    const leaks = (reason: string) => [secret, secret.slice(0, 12), Buffer.from(secret).toString('base64'), encodeURIComponent(secret), 'sesame']
      .filter(form => reason.includes(form));

    test.each([
      ['as printed', `Error: could not publish with token ${secret}`],
      ['URL-encoded', `Error: GET https://api.example.com/x?key=${encodeURIComponent(secret)} answered 401`],
      ['base64', `Error: Authorization: Basic ${Buffer.from(secret).toString('base64')} was refused`],
      ['split by colour codes', 'Error: token sk_test_\u001b[1mPRIVATE_9f8e7d6c5b4a\u001b[22m was refused'],
      ['with runs of spaces, which the reason collapses', `Error: password ${spaced} refused`],
      ['across the cut', `Error: ${'z'.repeat(MAX_CAUSE_LENGTH - 20)} ${secret} ${'z'.repeat(100)}`],
      ['in a hint-bearing known cause', `Unable to locate credentials for key ${secret}`],
    ])('%s', (_, line) => {
      const reason = reasonFor('starting', line, 'npm error A complete log of this run can be found in: /x.log');
      expect(reason).toContain('exited with code 1: ');
      expect(leaks(reason)).toEqual([]);
    });

    test('a well-known credential shape the builder never saw is masked too (the log\'s second line of defence)', () => {
      const reason = reasonFor('Error: AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY is not valid for AKIAIOSFODNN7EXAMPLE');
      expect(reason).not.toContain('wJalrXUtnFEMI');
      expect(reason).not.toContain('AKIAIOSFODNN7EXAMPLE');
      expect(reason).toContain('***');
    });
  });
});
