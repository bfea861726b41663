import { Command } from 'commander';
import { isDeploymentId } from '../../runtime/core/deployment-ids';
import { printable } from '../../runtime/core/names';
import { LogRecord } from '../../runtime/core/types';
import { ApiClient } from '../api-client';
import { EXAMPLE_DEPLOYMENT_ID, checkApp, checkEnv } from '../arguments';
import { JsonOption, UrlOption, action, withJson, withUrl } from '../command-kit';
import { CliContext } from '../context';
import { followingLost, outcomeExitCode, outcomeLine } from '../deployment-outcome';
import { environmentOf } from '../environments';
import { CliError, EXIT, usageError } from '../exit-codes';
import { LiveLogRefused, followLog } from '../live-log';
import { oneLine, recordLine } from '../log-lines';

interface LogsOptions extends UrlOption, JsonOption {
  readonly follow?: boolean;
}

/** Lines per page of the stored log (the API's largest). */
const PAGE_LINES = 5000;

/** `trellis logs`: a deployment's build log, stored or live. */
export function registerLogsCommand(program: Command, cli: CliContext): void {
  const command = program.command('logs')
    .summary('print a deployment\'s build log; with --follow, live until the deployment ends')
    .description('Print a deployment\'s build log: the lines stored so far, or with --follow every line as the build writes it, '
      + 'in order and each once (also when the connection drops: it reconnects and carries on from the first line not printed), '
      + 'until the deployment is final. Phases show as they start and end (==> test, ==> test succeeded in 3.2 s). '
      + 'With --follow it exits 0 when the deployment succeeded and 1 otherwise, with the reason on stderr.')
    .argument('<deployment>', 'a deployment id, or <app>/<env> for that environment\'s newest deployment')
    .option('-f, --follow', 'follow the live log until the deployment is final; the exit code is its outcome');
  withJson(withUrl(command))
    .addHelpText('after', `
With --json, each line of the log is printed as the API's JSON record, one per line: { seq, at, stream, text }.

Examples:
  trellis logs shop/production
  trellis logs shop/staging --follow
  trellis logs ${EXAMPLE_DEPLOYMENT_ID} --json > build-log.ndjson`)
    .action(action(cli, async (target: string, options: LogsOptions) => {
      const wanted = parseTarget(target);
      const client = await cli.client(options);
      const id = await deploymentOf(client, wanted);
      const colour = !options.json && process.stdout.isTTY === true && cli.env.NO_COLOR === undefined;
      const print = (records: readonly LogRecord[]) => {
        for (const record of records) cli.io.out(`${options.json ? JSON.stringify(record) : recordLine(record, { colour })}\n`);
      };
      if (!options.follow) {
        await printStored(client, id, print);
        return EXIT.ok;
      }
      const final = await cli.following(id, () => followLog({
        webSocketUrl: client.session.webSocketUrl,
        token: client.session.token,
        deploymentId: id,
        onRecords: print,
        onNotice: text => cli.warn(oneLine(text)),
        deployment: () => client.deployment(id),
        readLog: from => client.logs(id, from, PAGE_LINES),
      }).catch(async error => {
        // The socket says only "401": the API says whose sign-in it refused and what to do.
        if (error instanceof LiveLogRefused && error.status === 401) await client.me();
        throw followingLost(error, id, 'app' in wanted ? { application: wanted.app, environment: wanted.env } : undefined);
      }));
      if (outcomeExitCode(final) === EXIT.ok) {
        if (!options.json) cli.print(`==> ${outcomeLine(final)}`);
      } else {
        cli.warn(`trellis: ${outcomeLine(final)}`);
      }
      return outcomeExitCode(final);
    }));
}

type Target = { readonly id: string } | { readonly app: string; readonly env: string };

/** A `logs` argument: a deployment id, or `app/env`; anything else is a usage error (before any sign-in is needed). */
function parseTarget(target: string): Target {
  if (isDeploymentId(target)) return { id: target };
  const slash = target.indexOf('/');
  if (slash <= 0 || slash === target.length - 1) {
    throw usageError(`'${printable(target)}' is neither a deployment id (like ${EXAMPLE_DEPLOYMENT_ID}) nor <app>/<env>`);
  }
  return { app: checkApp(target.slice(0, slash)), env: checkEnv(target.slice(slash + 1)) };
}

/** The deployment's id: as given, or the environment's newest deployment. */
async function deploymentOf(client: ApiClient, target: Target): Promise<string> {
  if ('id' in target) return target.id;
  const { app, env } = target;
  const { environment } = await environmentOf(client, app, env);
  if (!environment.lastDeployment) throw new CliError(`${app}/${env} has no deployment yet`);
  return environment.lastDeployment.id;
}

/** The stored log, page by page, as far as it is stored now. */
async function printStored(client: ApiClient, id: string, print: (records: readonly LogRecord[]) => void): Promise<void> {
  for (let from = 0; ;) {
    const page = await client.logs(id, from, PAGE_LINES);
    print(page.records);
    if (page.end || page.next <= from) return;
    from = page.next;
  }
}
