import { Command, InvalidArgumentError, Option } from 'commander';
import { ALL_APPLICATIONS, ROLES, Role } from '../../runtime/core/access';
import { API_TOKEN_DAYS, API_TOKEN_PREFIX, apiTokenIdProblem, apiTokenNameProblem, parseApiToken } from '../../runtime/core/api-tokens';
import { ApiTokenView } from '../../runtime/core/api-types';
import { printable } from '../../runtime/core/names';
import { checkApp } from '../arguments';
import { JsonOption, UrlOption, action, withJson, withUrl } from '../command-kit';
import { CliContext } from '../context';
import { usageError } from '../exit-codes';
import { oneLine } from '../log-lines';
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
    .summary('create a token, printed once')
    .description('Create a token; it is printed once (alone on stdout, so `$(trellis tokens create ...)` takes it): store it as a secret now.')
    .addOption(new Option('--role <role>', 'what it may do').choices(ROLES).makeOptionMandatory())
    .addOption(new Option('--app <app>', 'the one application it works on, or \'*\', quoted, for every application, which needs the admin role on all').makeOptionMandatory())
    .option('--expires <days>', `how long it lasts, in days: 90d, or 90 (${API_TOKEN_DAYS.min}-${API_TOKEN_DAYS.max}; default ${API_TOKEN_DAYS.default})`, days)
    .option('--name <name>', 'what it is for, shown in lists and as the actor of its deployments: letters, digits, ., _, - (1-64; default <role>-<app>, e.g. deployer-shop)')
    .addHelpText('after', '\nExamples:\n  trellis tokens create --name github-actions --role deployer --app shop --expires 30d\n  trellis tokens create --name nightly-audit --role viewer --app \'*\'')
    .action(action(cli, async (options: Options & { name?: string; role: Role; app: string; expires?: number }) => {
      // The app first: the default name is made from it. Every application is asked for by name ('*'), never by leaving --app out.
      if (options.app !== ALL_APPLICATIONS) checkApp(options.app, '--app');
      const name = options.name ?? `${options.role}-${options.app === ALL_APPLICATIONS ? 'all' : options.app}`;
      const nameProblem = apiTokenNameProblem(name);
      if (nameProblem) throw usageError(`--name '${printable(name)}' ${nameProblem}`);
      const created = await (await cli.client(options)).createToken({
        name,
        role: options.role,
        application: options.app,
        ...options.expires === undefined ? {} : { expiresInDays: options.expires },
      });
      if (options.json) return cli.printJson(created);
      cli.print(created.token);
      cli.warn(`Created ${describe(created)}. It is shown this once: store it now (as the CI secret TRELLIS_TOKEN, say).`);
    }, { name: '--name', role: '--role', application: '--app', expiresInDays: '--expires' }));

  withJson(withUrl(tokens.command('list')))
    .summary('the tokens of the applications you administer')
    .description('The tokens of the applications you administer (never their secrets).')
    .addHelpText('after', '\nExamples:\n  trellis tokens list\n  trellis tokens list --json | jq -r \'.items[] | select(.lastUsedAt == null) | .id\'')
    .action(action(cli, async (options: Options) => {
      const answer = await (await cli.client(options)).tokens();
      if (options.json) return cli.printJson(answer);
      if (answer.items.length === 0) return cli.print('No tokens.');
      const rows = answer.items.map(token => [token.id, token.name, token.role, token.application, token.expiresAt, token.lastUsedAt ?? 'never', token.createdBy]);
      for (const line of table(['ID', 'NAME', 'ROLE', 'APP', 'EXPIRES', 'LAST USED', 'CREATED BY'], rows)) cli.print(line);
    }));

  withJson(withUrl(tokens.command('revoke')))
    .summary('revoke a token at once')
    .description('Revoke a token at once: the API refuses it from then on.')
    .argument('<id>', 'the token\'s id (trellis tokens list), or the token itself')
    .addHelpText('after', '\nExamples:\n  trellis tokens revoke k3v9x2m4p7q1\n  trellis tokens revoke "$OLD_TRELLIS_TOKEN"')
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
  return oneLine(`token ${token.name} (${token.id}): ${token.role} on ${token.application === ALL_APPLICATIONS ? 'every application' : token.application}, expires ${token.expiresAt}`);
}

/** The id part when the whole token is given: the secret never goes into a URL (and so no access log), nor into an error. */
function tokenId(given: string): string {
  const id = parseApiToken(given)?.id ?? given.replace(new RegExp(`^${API_TOKEN_PREFIX}`), '');
  const problem = apiTokenIdProblem(id);
  // Something shaped like a token may be one (mistyped): its text is never echoed.
  if (problem) throw usageError(`the token to revoke ${given.startsWith(API_TOKEN_PREFIX) ? '' : `'${printable(given)}' `}${problem}`);
  return id;
}
