import { Command, InvalidArgumentError, Option } from 'commander';
import { ROLES, Role } from '../../runtime/core/access';
import { API_TOKEN_DAYS, API_TOKEN_PREFIX, apiTokenIdProblem, parseApiToken } from '../../runtime/core/api-tokens';
import { ApiTokenView } from '../../runtime/core/api-types';
import { JsonOption, UrlOption, action, withJson, withUrl } from '../command-kit';
import { CliContext } from '../context';
import { usageError } from '../exit-codes';
import { table } from '../table';

/** `trellis tokens create|list|revoke`: API tokens for CI and scripts (admins; never with an API token). */

type Options = UrlOption & JsonOption;

export function registerTokensCommand(program: Command, cli: CliContext): void {
  const tokens = program.command('tokens')
    .summary('API tokens for CI and scripts: create, list, revoke')
    .description('API tokens for CI and scripts (TRELLIS_TOKEN): one role on one application or all of them, shown once, revocable. '
      + 'Managing them needs the admin role on their application, and a signed-in person: an API token cannot create or revoke tokens.')
    .addHelpText('after', '\nExamples:\n  trellis tokens create --role deployer --app shop --expires 30d\n  trellis tokens list\n  trellis tokens revoke k3v9x2m4p7q1');

  withJson(withUrl(tokens.command('create')))
    .description('Create a token; it is printed once (alone on stdout, so `$(trellis tokens create ...)` takes it): store it as a secret now.')
    .addOption(new Option('--role <role>', 'what it may do').choices(ROLES).makeOptionMandatory())
    .option('--app <app>', 'the one application it works on (default: all, which needs the admin role on all)')
    .option('--expires <days>', `how long it lasts, in days: 90d (${API_TOKEN_DAYS.min}d-${API_TOKEN_DAYS.max}d; default ${API_TOKEN_DAYS.default}d)`, days)
    .option('--name <name>', 'what it is for, shown in lists and as the actor of its deployments: letters, digits, ., _, - (1-64; default <role>-<app>, e.g. deployer-shop)')
    .addHelpText('after', '\nExample:\n  trellis tokens create --name github-actions --role deployer --app shop --expires 30d')
    .action(action(cli, async (options: Options & { name?: string; role: Role; app?: string; expires?: number }) => {
      const created = await (await cli.client(options)).createToken({
        name: options.name ?? `${options.role}-${options.app ?? 'all'}`,
        role: options.role,
        ...options.app === undefined ? {} : { application: options.app },
        ...options.expires === undefined ? {} : { expiresInDays: options.expires },
      });
      if (options.json) return cli.printJson(created);
      cli.print(created.token);
      cli.warn(`Created ${describe(created)}. It is shown this once: store it now (as the CI secret TRELLIS_TOKEN, say).`);
    }));

  withJson(withUrl(tokens.command('list')))
    .description('The tokens of the applications you administer (never their secrets).')
    .action(action(cli, async (options: Options) => {
      const answer = await (await cli.client(options)).tokens();
      if (options.json) return cli.printJson(answer);
      if (answer.items.length === 0) return cli.print('No tokens.');
      const rows = answer.items.map(token => [token.id, token.name, token.role, token.application, token.expiresAt, token.lastUsedAt ?? 'never', token.createdBy]);
      for (const line of table(['ID', 'NAME', 'ROLE', 'APP', 'EXPIRES', 'LAST USED', 'CREATED BY'], rows)) cli.print(line);
    }));

  withJson(withUrl(tokens.command('revoke')))
    .description('Revoke a token at once: the API refuses it from then on.')
    .argument('<id>', 'the token\'s id (trellis tokens list), or the token itself')
    .action(action(cli, async (id: string, options: Options) => {
      const revoked = await (await cli.client(options)).revokeToken(tokenId(id));
      if (options.json) return cli.printJson(revoked);
      cli.print(`Revoked ${describe(revoked)}.`);
    }));
}

/** `--expires 90d` (a bare `90` means days too). */
function days(value: string): number {
  const count = Number(/^(\d{1,3})d?$/.exec(value)?.[1]);
  if (!Number.isInteger(count) || count < API_TOKEN_DAYS.min || count > API_TOKEN_DAYS.max) {
    throw new InvalidArgumentError(`It must be a number of days from ${API_TOKEN_DAYS.min}d to ${API_TOKEN_DAYS.max}d, e.g. 90d.`);
  }
  return count;
}

function describe(token: ApiTokenView): string {
  return `token ${token.name} (${token.id}): ${token.role} on ${token.application === '*' ? 'every application' : token.application}, expires ${token.expiresAt}`;
}

/** The id part when the whole token is given: the secret never goes into a URL (and so no access log), nor into an error. */
function tokenId(given: string): string {
  const id = parseApiToken(given)?.id ?? given.replace(new RegExp(`^${API_TOKEN_PREFIX}`), '');
  const problem = apiTokenIdProblem(id);
  if (problem) throw usageError(`the token to revoke ${problem}`);
  return id;
}
