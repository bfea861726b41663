import { join } from 'path';
import { parseArgs } from 'util';
import { DEFAULT_DATA_DIR, DataDir } from './data-dir';
import { DEFAULT_PORT, LocalAssets, LocalMode, startLocalMode } from './local-mode';
import { pushCommit } from './push';
import { commandHint } from './terminal-lines';
import { errorMessage } from '../runtime/core/errors';

/**
 * The `trellis` command (bundled to assets/local/trellis.js, the package's bin).
 *
 *   trellis local [--config <file>] [--data-dir <dir>] [--port <n>] [--reset]
 *   trellis push <app | owner/repo> <branch> [--message <text>] [--data-dir <dir>]
 */
const USAGE = `Usage:
  trellis local [--config <file>] [--data-dir <dir>] [--port <n>] [--reset]
      Run Trellis on this machine: DynamoDB Local, the dashboard, the control API, the
      webhook and live logs on 127.0.0.1, builds as child processes. Without --config it
      seeds the sample app with dev, staging and production.
      --data-dir  where state is kept between runs (default ${DEFAULT_DATA_DIR})
      --port      the server's port (default ${DEFAULT_PORT}; 0 picks a free one)
      --reset     start from an empty data directory

  trellis push <app | owner/repo> <branch> [--message <text>] [--data-dir <dir>]
      Commit everything in the app's local repository (or in a repository the local
      GitHub stand-in hosts) on <branch> and let the running server know, as GitHub would:
      through the stand-in to the GitHub App's webhook once the App is installed on the
      repository, else as a webhook signed with the installation's own secret.
`;

/** The assets sit beside this bundle: assets/local/trellis.js, assets/local/builder.js, assets/dashboard. */
function bundledAssets(): LocalAssets {
  return {
    dashboard: join(__dirname, '..', 'dashboard'),
    builder: join(__dirname, 'builder.js'),
    sampleApp: join(__dirname, 'sample-app'),
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'config': { type: 'string' },
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      'port': { type: 'string' },
      'reset': { type: 'boolean', default: false },
      'message': { type: 'string', short: 'm' },
      'help': { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const dataDir = values['data-dir']!;
  switch (command) {
    case 'local':
      return runLocal({ dataDir, config: values.config, port: values.port, reset: values.reset === true });
    case 'push': {
      const [application, branch] = rest;
      if (!application || !branch || rest.length > 2) throw new UsageError('trellis push needs <app | owner/repo> <branch>');
      const result = await pushCommit({ data: new DataDir(dataDir), application, branch, message: values.message });
      const info = new DataDir(dataDir).readServerInfo();
      process.stdout.write(`pushed ${result.commit.slice(0, 7)} to ${application} ${branch}\n`);
      for (const deployment of result.answer.deployments ?? []) {
        process.stdout.write(`  queued ${deployment.application}/${deployment.environment}  ${info.url}/#/deployments/${deployment.id}\n`);
      }
      for (const reason of result.answer.ignored ?? []) process.stdout.write(`  ignored: ${reason}\n`);
      if (result.statusCode >= 300) {
        process.stderr.write(`the webhook answered ${result.statusCode}: ${result.answer.reason ?? JSON.stringify(result.answer)}\n`);
        return 1;
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

async function runLocal(options: { dataDir: string; config?: string; port?: string; reset: boolean }): Promise<number> {
  const port = options.port === undefined ? DEFAULT_PORT : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got '${options.port}'`);
  // Signals are handled from the first moment: one that arrives while local mode starts stops
  // what was started so far (DynamoDB Local before it is ready, the table, the server).
  const starting = new AbortController();
  let local: LocalMode | undefined;
  let stopping: Promise<number> | undefined;
  const stop = (signal: string): Promise<number> => {
    if (stopping) return stopping; // a second Ctrl-C while stopping: the first one finishes the job
    process.stdout.write(`\n${signal}: stopping builds, the server and DynamoDB Local...\n`);
    starting.abort(new StartAborted(signal));
    stopping = (async () => {
      try {
        await local?.close();
        return 0;
      } catch (error) {
        process.stderr.write(`error while stopping: ${errorMessage(error)}\n`);
        return 1;
      }
    })();
    return stopping;
  };
  const signalled = new Promise<number>(resolve => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal).then(resolve));
  });
  process.stdout.write('Starting Trellis locally (DynamoDB Local, builder, dashboard)...\n');
  try {
    local = await startLocalMode({
      dataDir: options.dataDir,
      configFile: options.config,
      port,
      reset: options.reset,
      assets: bundledAssets(),
      command: commandHint(process.env),
      print: line => process.stdout.write(`${line}\n`),
      signal: starting.signal,
    });
  } catch (error) {
    // Stopped while starting: startLocalMode stopped what it had started before it threw.
    if (!stopping) throw error;
    const code = await stopping;
    if (!(error instanceof StartAborted)) process.stderr.write(`while stopping: ${errorMessage(error)}\n`);
    if (code === 0) process.stdout.write('Stopped.\n');
    return code;
  }
  if (stopping) {
    // The signal came after startLocalMode's last check: it had nothing to close then.
    await stopping;
    await local.close();
    process.stdout.write('Stopped.\n');
    return 0;
  }
  const started = local;
  const gaveUp = started.failed.then(error => {
    if (stopping) return new Promise<number>(() => undefined); // a signal's stop ends the run
    process.stderr.write(`trellis: ${errorMessage(error)}.\nStopping; start \`trellis local\` again: deployments left unfinished are then marked failed and their environments freed.\n`);
    stopping = started.close().then(() => 1, () => 1);
    return stopping;
  });
  return Promise.race([gaveUp, signalled.then(code => {
    if (code === 0) process.stdout.write('Stopped.\n');
    return code;
  })]);
}

/** Why startLocalMode stopped early: a signal while it started. */
class StartAborted extends Error {
  constructor(signal: string) {
    super(`stopped by ${signal} while starting`);
  }
}

class UsageError extends Error {}

// Local mode runs on the Node a developer has; the SDK's notice about future versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `npx projen local -- --reset` hands the `--` on: it separates nothing here.
main(process.argv.slice(2).filter((arg, index, all) => arg !== '--' || all.indexOf('--') !== index)).then(
  code => {
    process.exitCode = code;
    // Everything is closed by now; a handle some library keeps must not keep the terminal.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  error => {
    process.stderr.write(`trellis: ${errorMessage(error)}\n`);
    if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') process.stderr.write(`\n${USAGE}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
