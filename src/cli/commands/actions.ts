import { Command, Option } from 'commander';
import { isCommitSha, printable } from '../../runtime/core/names';
import { rollbackProblem } from '../../runtime/core/rollback';
import { isTerminal } from '../../runtime/core/state-machine';
import { Deployment } from '../../runtime/core/types';
import { ApiClient } from '../api-client';
import { EXAMPLE_DEPLOYMENT_ID, checkApp, checkBranch, checkDeploymentId, checkEnv } from '../arguments';
import { JsonOption, UrlOption, action, withJson, withUrl } from '../command-kit';
import { CliContext } from '../context';
import { deploymentLabel, outcomeExitCode, outcomeLine } from '../deployment-outcome';
import { environmentOf, explainingNotFound } from '../environments';
import { CliError, EXIT, ExitCode, usageError } from '../exit-codes';
import { oneLine } from '../log-lines';
import { waitForDeployment } from '../wait';

/**
 * The actions: deploy, promote, rollback, teardown, cancel. Each prints the deployment it
 * queued (or, with --json, the API's answer); with --wait it follows it to the end and exits 0
 * only when it succeeded (cancel: when it ended cancelled).
 */

interface ActionOptions extends UrlOption, JsonOption {
  readonly wait?: boolean;
}

const WAIT = 'follow the deployment to its end: a line per phase; exit 0 when it succeeded, 1 otherwise with the reason';

function actionCommand(program: Command, name: string, wait = WAIT): Command {
  const command = program.command(name);
  withUrl(command);
  withJson(command);
  return command.option('--wait', wait);
}

export function registerActionCommands(program: Command, cli: CliContext): void {
  actionCommand(program, 'deploy')
    .summary('deploy the newest commit of an environment\'s branch (or another branch or commit)')
    .description('Deploy <env> of <app>: the newest commit of the environment\'s branch, of --branch, or the commit --commit names.')
    .argument('<app>', 'the application')
    .argument('<env>', 'the environment')
    .addOption(new Option('--branch <branch>', 'deploy the newest commit of this branch instead').conflicts('commit'))
    .option('--commit <sha>', 'deploy this commit (40 hexadecimal characters)')
    .addHelpText('after', '\nExamples:\n  trellis deploy shop dev\n  trellis deploy shop staging --branch release/1.4 --wait\n  trellis deploy shop dev --commit 1f0e9a3b7c2d4e5f60718293a4b5c6d7e8f9a0c3 --json')
    .action(action(cli, async (app: string, env: string, options: ActionOptions & { branch?: string; commit?: string }) => {
      checkApp(app);
      checkEnv(env);
      if (options.branch !== undefined) checkBranch(options.branch);
      if (options.commit !== undefined && !isCommitSha(options.commit.toLowerCase())) throw usageError(`--commit must be a commit's full sha (40 hexadecimal characters), got '${printable(options.commit)}'`);
      const client = await cli.client(options);
      const body = options.commit ? { commit: options.commit.toLowerCase() } : options.branch ? { branch: options.branch } : {};
      return finish(cli, client, await explainingNotFound(client, app, env, () => client.deploy(app, env, body)), options);
    }, { branch: '--branch', commit: '--commit' }));

  actionCommand(program, 'promote')
    .summary('deploy what runs in one environment to the next one')
    .description('Promote the version running in <from> to <to>, the next environment in the application\'s order.')
    .argument('<app>', 'the application')
    .argument('<from>', 'the environment whose version is promoted')
    .argument('<to>', 'the next environment (named again, so a script says what it changes)')
    .addHelpText('after', '\nExamples:\n  trellis promote shop dev staging --wait\n  trellis promote shop staging production')
    .action(action(cli, async (app: string, from: string, to: string, options: ActionOptions) => {
      checkApp(app);
      checkEnv(from, '<from>');
      checkEnv(to, '<to>');
      const client = await cli.client(options);
      const { environment, environments } = await environmentOf(client, app, from);
      const next = environments[environments.indexOf(environment) + 1];
      if (!next) throw usageError(`${from} is the last environment of ${app}: there is nothing to promote it to`);
      if (next.name !== to) throw usageError(`${from} promotes to the next environment, ${oneLine(next.name)}, not ${to}`);
      return finish(cli, client, await client.promote(app, from), options);
    }));

  actionCommand(program, 'rollback')
    .summary('deploy an earlier succeeded version again')
    .description('Roll <env> of <app> back to an earlier succeeded deployment\'s version: --to names it, else the newest succeeded one before the current (as the dashboard offers it).')
    .argument('<app>', 'the application')
    .argument('<env>', 'the environment')
    .option('--to <deployment>', 'the deployment whose version to deploy again (trellis history lists them)')
    .addHelpText('after', `\nExamples:\n  trellis rollback shop production --wait\n  trellis rollback shop production --to ${EXAMPLE_DEPLOYMENT_ID}`)
    .action(action(cli, async (app: string, env: string, options: ActionOptions & { to?: string }) => {
      checkApp(app);
      checkEnv(env);
      if (options.to !== undefined) checkDeploymentId(options.to, '--to');
      const client = await cli.client(options);
      const target = options.to ?? await previousVersion(client, app, env);
      return finish(cli, client, await explainingNotFound(client, app, env, () => client.rollback(app, env, { deploymentId: target })), options);
    }, { deploymentId: '--to' }));

  actionCommand(program, 'teardown')
    .summary('remove everything an environment deployed')
    .description('Tear down <env> of <app>: runs its remove command. --confirm must name the environment again.')
    .argument('<app>', 'the application')
    .argument('<env>', 'the environment')
    .requiredOption('--confirm <env>', 'the environment\'s name, typed again')
    .addHelpText('after', '\nExample:\n  trellis teardown shop preview --confirm preview --wait')
    .action(action(cli, async (app: string, env: string, options: ActionOptions & { confirm: string }) => {
      checkApp(app);
      checkEnv(env);
      if (options.confirm !== env) throw usageError(`--confirm must repeat the environment's name, ${env}; got '${printable(options.confirm)}'`);
      const client = await cli.client(options);
      return finish(cli, client, await explainingNotFound(client, app, env, () => client.teardown(app, env, { confirm: options.confirm })), options);
    }, { confirm: '--confirm' }));

  actionCommand(program, 'cancel', 'follow the deployment until it stops: exit 0 once it ended cancelled, 1 when it ended otherwise first')
    .summary('cancel a queued or running deployment')
    .description('Cancel deployment <id>. A deployment that had already ended otherwise is not cancelled: exit 1, saying how it ended.')
    .argument('<id>', 'the deployment')
    .addHelpText('after', `\nExample:\n  trellis cancel ${EXAMPLE_DEPLOYMENT_ID} --wait`)
    .action(action(cli, async (id: string, options: ActionOptions) => {
      checkDeploymentId(id);
      const client = await cli.client(options);
      const answer = await client.cancel(id);
      if (!isTerminal(answer.status)) return finish(cli, client, answer, options, 'cancelled');
      // Final already: nothing to follow (no replay of its phases).
      if (answer.status === 'cancelled') return finish(cli, client, answer, { ...options, wait: false });
      if (options.json) cli.printJson(answer);
      cli.warn(`trellis: ${id} had already ${answer.status === 'superseded' ? 'been superseded' : oneLine(answer.status)}: nothing to cancel`);
      return EXIT.failed;
    }));
}

/** The newest succeeded version of app/env other than the one running now, paging back through its history. */
async function previousVersion(client: ApiClient, app: string, env: string): Promise<string> {
  const { environment } = await environmentOf(client, app, env);
  let cursor: string | undefined;
  do {
    const page = await client.deployments(app, env, { limit: 50, cursor });
    // Another version: a deployment of the commit that runs now would deploy the same again (the API refuses it).
    const found = page.items.find(item => item.commit !== environment.currentCommit && rollbackProblem(item, app, env) === undefined);
    if (found) return found.id;
    cursor = page.cursor;
  } while (cursor);
  throw new CliError(`there is no earlier succeeded deployment of ${app}/${env} to roll back to`);
}

/** Say what was queued, or follow it with --wait; the exit code. */
async function finish(cli: CliContext, client: ApiClient, deployment: Deployment, options: ActionOptions, wanted: Deployment['status'] = 'succeeded'): Promise<ExitCode> {
  if (!options.wait) {
    if (options.json) cli.printJson(deployment);
    else cli.print(`${oneLine(deployment.status)} ${deploymentLabel(deployment)}: ${client.session.url}/#/deployments/${oneLine(deployment.id)}`);
    return EXIT.ok;
  }
  // With --json, stdout holds the final deployment alone: progress goes to stderr.
  const report = (line: string) => (options.json ? cli.warn(line) : cli.print(line));
  report(`${deploymentLabel(deployment)} ${oneLine(deployment.status)}: ${client.session.url}/#/deployments/${oneLine(deployment.id)}`);
  const final = await cli.following(deployment.id, () => waitForDeployment(client, deployment, report));
  if (options.json) cli.printJson(final);
  const ok = wanted === 'succeeded' ? outcomeExitCode(final) === EXIT.ok : final.status === wanted;
  if (ok) {
    if (!options.json) cli.print(outcomeLine(final));
    return EXIT.ok;
  }
  cli.warn(`trellis: ${outcomeLine(final)}`);
  return EXIT.failed;
}
