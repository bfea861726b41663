/**
 * aws-cdk-lib checks every synthesized template against CloudFormation's rules with a WASM
 * engine: about 5 s to start in every test file (jest gives each file its own modules) and up to
 * a second per template, and in a test it only ever warns, so no test could fail on it. The
 * templates are linted by cfn-lint (test/security, in test:slow) instead. A jest setup file:
 * runs in each worker before a test file loads aws-cdk-lib. CDK_VALIDATION=true turns it back on.
 */
process.env.CDK_VALIDATION ??= 'false';
