'use strict';

/**
 * The test files that run outside `projen test` (and so outside `projen build`), in
 * `projen test:slow`: each runs a real tool, a browser, a whole `trellis local`, real package
 * managers or a load, and takes from 10 s to over a minute on two cores. Everything else stays
 * in the default run, which must stay under a few minutes. CI runs both.
 *
 * The one list: .projenrc.ts turns it into the default run's testPathIgnorePatterns and the
 * test:slow task's arguments, so run `npx projen` after changing it. Paths from the repository root.
 */
module.exports = [
  // Real checkers on the synthesized templates: cfn-lint (Python), cdk-nag 3 and 2, the secrets scan.
  'test/security/cfn-lint.test.ts',
  'test/security/cfn-lint-codebuild-image.test.ts',
  'test/security/cdk-nag.test.ts',
  'test/security/cdk-nag-v2.test.ts',
  'test/security/secrets-scan-e2e.test.ts',
  // The hostile control-API corpus on DynamoDB Local (the default run checks it on the in-memory store).
  'test/security/hostile-api-dynamodb.test.ts',
  // The dashboard in Chromium.
  'test/dashboard/dashboard.test.ts',
  'test/dashboard/local-mode.test.ts',
  'test/dashboard/oidc.test.ts',
  'test/dashboard/local-csp.test.ts',
  'test/dashboard/setup-page.test.ts',
  'test/dashboard/github-sign-in.test.ts',
  'test/dashboard/dashboard-apps.test.ts',
  'test/dashboard/github-connect.test.ts',
  'test/dashboard/api-tokens.test.ts',
  'test/dashboard/audit-trail.test.ts',
  // `trellis local` end to end: DynamoDB Local, the dashboard server, real git and builds.
  'test/local/trellis-local.test.ts',
  'test/local/trellis-cli.test.ts',
  // `trellis logs --follow` through a proxy that cuts its WebSocket mid-build.
  'test/cli/logs-follow.test.ts',
  // The `trellis` command's sign-in, reads, actions with --wait and API tokens against `trellis local`.
  'test/cli/trellis-command.test.ts',
  // `trellis login` in Chromium: sign in with GitHub against `trellis local`, and OIDC's redirect to the loopback listener.
  'test/cli/browser-login.test.ts',
  'test/local/repository-corpus.test.ts',
  'test/local/restart-and-stop.test.ts',
  'test/local/health-rollback.test.ts',
  // Signed notifications from `trellis local` to real receivers, across a deploy, a failure and the automatic rollback.
  'test/local/notifications-local.test.ts',
  // Pull-request previews from GitHub's pull_request examples in `trellis local`, with the dashboard in Chromium.
  'test/local/previews.test.ts',
  // Reliability: faults injected into running installations, and load.
  'test/reliability/faults-dynamodb-local.test.ts',
  'test/reliability/faults-dynamodb-supervisor.test.ts',
  'test/reliability/faults-local-builds.test.ts',
  'test/reliability/faults-stranded-waiting.test.ts',
  'test/reliability/local-load.test.ts',
  'test/reliability/local-push-order.test.ts',
  // Real package managers installing real workspaces.
  'test/builder/monorepo.test.ts',
  'test/builder/python-deps.test.ts',
];
