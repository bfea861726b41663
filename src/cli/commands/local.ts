import { join } from 'path';
import { Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../../local/data-dir';
import { DEFAULT_PORT, LocalAssets, LocalMode, startLocalMode } from '../../local/local-mode';
import { commandHint } from '../../local/terminal-lines';
import { errorMessage } from '../../runtime/core/errors';
import { action, wholeNumber } from '../command-kit';
import { CliContext } from '../context';

/** `trellis local`: the whole system on this machine until Ctrl-C. */
export function registerLocalCommand(program: Command, cli: CliContext): void {
  program.command('local')
    .summary('run Trellis on this machine (DynamoDB Local, dashboard, API, builds)')
    .description('Run Trellis on this machine: DynamoDB Local, the dashboard, the control API, the webhook and live logs on 127.0.0.1, '
      + 'builds as child processes. Without --config it seeds the sample app with dev, staging and production. '
      + 'Ctrl-C stops it and everything it started.')
    .usage('[--config <file>] [--data-dir <dir>] [--port <n>] [--reset]')
    .option('--config <file>', 'the applications to serve (a JSON file); default: the sample app')
    .option('--data-dir <dir>', 'where state is kept between runs', DEFAULT_DATA_DIR)
    .option('--port <n>', `the server's port (0 picks a free one) (default: ${DEFAULT_PORT})`, wholeNumber(0, 65535))
    .option('--reset', 'start from an empty data directory', false)
    .addHelpText('after', '\nExamples:\n  trellis local\n  trellis local --config trellis.local.json --port 4200\n  trellis local --reset')
    .action(action(cli, (options: { config?: string; dataDir: string; port?: number; reset: boolean }) => runLocal(cli, options)));
}

/** The assets sit beside this bundle: assets/local/trellis.js, assets/local/builder.js, assets/dashboard. */
function bundledAssets(): LocalAssets {
  return {
    dashboard: join(__dirname, '..', 'dashboard'),
    builder: join(__dirname, 'builder.js'),
    sampleApp: join(__dirname, 'sample-app'),
  };
}

async function runLocal(cli: CliContext, options: { dataDir: string; config?: string; port?: number; reset: boolean }): Promise<number> {
  // Signals are handled from the first moment: one that arrives while local mode starts stops
  // what was started so far (DynamoDB Local before it is ready, the table, the server).
  const starting = new AbortController();
  let local: LocalMode | undefined;
  let stopping: Promise<number> | undefined;
  const stop = (signal: string): Promise<number> => {
    if (stopping) return stopping; // a second Ctrl-C while stopping: the first one finishes the job
    cli.print(`\n${signal}: stopping builds, the server and DynamoDB Local...`);
    starting.abort(new StartAborted(signal));
    stopping = (async () => {
      try {
        await local?.close();
        return 0;
      } catch (error) {
        cli.warn(`error while stopping: ${errorMessage(error)}`);
        return 1;
      }
    })();
    return stopping;
  };
  const signalled = new Promise<number>(resolve => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal).then(resolve));
  });
  cli.print('Starting Trellis locally (DynamoDB Local, builder, dashboard)...');
  try {
    local = await startLocalMode({
      dataDir: options.dataDir,
      configFile: options.config,
      port: options.port ?? DEFAULT_PORT,
      reset: options.reset,
      assets: bundledAssets(),
      command: commandHint(cli.env),
      print: line => cli.print(line),
      signal: starting.signal,
    });
  } catch (error) {
    // Stopped while starting: startLocalMode stopped what it had started before it threw.
    if (!stopping) throw error;
    const code = await stopping;
    if (!(error instanceof StartAborted)) cli.warn(`while stopping: ${errorMessage(error)}`);
    if (code === 0) cli.print('Stopped.');
    return code;
  }
  if (stopping) {
    // The signal came after startLocalMode's last check: it had nothing to close then.
    await stopping;
    await local.close();
    cli.print('Stopped.');
    return 0;
  }
  const started = local;
  const gaveUp = started.failed.then(error => {
    if (stopping) return new Promise<number>(() => undefined); // a signal's stop ends the run
    cli.warn(`trellis: ${errorMessage(error)}.\nStopping; start \`trellis local\` again: deployments left unfinished are then marked failed and their environments freed.`);
    stopping = started.close().then(() => 1, () => 1);
    return stopping;
  });
  return Promise.race([gaveUp, signalled.then(code => {
    if (code === 0) cli.print('Stopped.');
    return code;
  })]);
}

/** Why startLocalMode stopped early: a signal while it started. */
class StartAborted extends Error {
  constructor(signal: string) {
    super(`stopped by ${signal} while starting`);
  }
}
