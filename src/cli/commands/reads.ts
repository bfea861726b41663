import { Command } from 'commander';
import { ApplicationView, EnvironmentView } from '../../runtime/core/api-types';
import { Deployment } from '../../runtime/core/types';
import { checkApp, checkEnv } from '../arguments';
import { JsonOption, UrlOption, action, wholeNumber, withJson, withUrl } from '../command-kit';
import { CliContext } from '../context';
import { appView, explainingNotFound } from '../environments';
import { usageError } from '../exit-codes';
import { oneLine } from '../log-lines';
import { shortCommit, table } from '../table';

/** The read commands: apps, status, history. --json prints the API's answer as it came. */

type ReadOptions = UrlOption & JsonOption;

function readCommand(program: Command, name: string): Command {
  return withJson(withUrl(program.command(name)));
}

export function registerReadCommands(program: Command, cli: CliContext): void {
  readCommand(program, 'apps')
    .summary('list the applications you can see')
    .description('List the applications you can see, with their repository and environments.')
    .addHelpText('after', '\nExamples:\n  trellis apps\n  trellis apps --json | jq -r \'.items[].name\'')
    .action(action(cli, async (options: ReadOptions) => {
      const answer = await (await cli.client(options)).apps();
      if (options.json) return cli.printJson(answer);
      if (answer.items.length === 0) return cli.print('No applications.');
      for (const line of table(['APP', 'REPOSITORY', 'ENVIRONMENTS'], answer.items.map(app => [app.name, app.repository, app.environments.map(env => env.name).join(', ')]))) {
        cli.print(line);
      }
    }));

  readCommand(program, 'status')
    .summary('what runs in each environment, its newest deployment and what is under way')
    .description('What runs in each environment of [app] (of every application without it): the deployed commit, the newest deployment, and the deployment under way (with one waiting, if any).')
    .argument('[app]', 'one application')
    .addHelpText('after', '\nExamples:\n  trellis status\n  trellis status shop --json')
    .action(action(cli, async (app: string | undefined, options: ReadOptions) => {
      if (app !== undefined) checkApp(app);
      const client = await cli.client(options);
      const answer = app === undefined ? await client.apps() : await appView(client, app);
      if (options.json) return cli.printJson(answer);
      const apps = 'items' in answer ? answer.items : [answer];
      if (apps.length === 0) return cli.print('No applications.');
      for (const line of table(['ENVIRONMENT', 'DEPLOYED', 'BRANCH', 'LAST DEPLOYMENT', 'WHEN', 'UNDER WAY'], apps.flatMap(statusRows))) cli.print(line);
    }));

  readCommand(program, 'history')
    .summary('an environment\'s deployments, newest first')
    .description('The deployments of <env> of <app>, newest first.')
    .argument('<app>', 'the application')
    .argument('<env>', 'the environment')
    .option('--limit <n>', 'how many, 1 to 100', wholeNumber(1, 100), 20)
    .option('--cursor <cursor>', 'the next page: the `cursor` of the previous page\'s --json answer (there is none on the last page)')
    .addHelpText('after', `
Without --json, the next page's command is printed on stderr when there is one.

Examples:
  trellis history shop production
  trellis history shop dev --limit 5 --json
  trellis history shop dev --json --cursor "$(trellis history shop dev --json | jq -r .cursor)"`)
    .action(action(cli, async (app: string, env: string, options: ReadOptions & { limit: number; cursor?: string }) => {
      checkApp(app);
      checkEnv(env);
      // An empty one would silently ask for the first page again.
      if (options.cursor === '') throw usageError('--cursor must be the `cursor` of the previous page\'s --json answer, got \'\'');
      const client = await cli.client(options);
      const page = await explainingNotFound(client, app, env, () => client.deployments(app, env, { limit: options.limit, cursor: options.cursor }));
      if (options.json) return cli.printJson(page);
      if (page.items.length === 0) return cli.print(options.cursor === undefined ? `No deployments of ${app}/${env} yet.` : 'No more deployments.');
      const rows = page.items.map(item => [item.id, item.action, item.status, shortCommit(item.commit), when(item), item.trigger.actor ?? item.trigger.kind, item.commitMessage ?? '']);
      for (const line of table(['ID', 'ACTION', 'STATUS', 'COMMIT', 'WHEN', 'BY', 'MESSAGE'], rows)) cli.print(line);
      if (page.cursor) cli.warn(`More: trellis history ${app} ${env} --limit ${options.limit} --cursor ${oneLine(page.cursor)}`);
    }, { cursor: '--cursor' }));
}

function statusRows(app: ApplicationView): string[][] {
  return app.environments.map(env => {
    const last = env.lastDeployment;
    return [
      `${app.name}/${env.name}`,
      shortCommit(env.currentCommit),
      env.branch ?? '-',
      last ? `${last.action} ${shortCommit(last.commit)} ${last.status}` : '-',
      last ? when(last) : '-',
      underWay(env),
    ];
  });
}

/** The deployment holding the environment (`trellis logs <id> --follow` follows it), and whether another waits. */
function underWay(env: EnvironmentView): string {
  if (env.activeDeploymentId === undefined) return env.waitingDeploymentId === undefined ? '-' : `${env.waitingDeploymentId} waiting`;
  return env.waitingDeploymentId === undefined ? env.activeDeploymentId : `${env.activeDeploymentId} (+1 waiting)`;
}

function when(deployment: Deployment): string {
  return (deployment.finishedAt ?? deployment.startedAt ?? deployment.createdAt).replace(/\.\d+Z$/, 'Z');
}
