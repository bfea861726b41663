import { Command } from 'commander';
import { ApiClient } from '../api-client';
import { passwordSignIn } from '../browser-login';
import { JsonOption, UrlOption, action, withJson, withUrl } from '../command-kit';
import { CliContext } from '../context';
import { CredentialEntry } from '../credentials';
import { usageError } from '../exit-codes';
import { oneLine } from '../log-lines';
import { chosenUrl, fetchDashboardConfig, installationNamed, stillSignedIn } from '../session';

/** `trellis login` and `trellis logout`: the sign-ins kept in the credentials file. */

export function registerLoginCommands(program: Command, cli: CliContext): void {
  withJson(withUrl(program.command('login')))
    .summary('sign in to an installation (browser, or --user with --password-stdin)')
    .description('Sign in to the installation at --url (its dashboard\'s URL) and make it the one the commands use. '
      + 'The browser signs you in as the dashboard does; local mode takes --user and the password on stdin. '
      + 'The token is kept in <config dir>/trellis/credentials.json, readable by you alone. In CI, set TRELLIS_URL and TRELLIS_TOKEN instead.')
    .option('--user <name>', 'sign in with a user and password (local mode) instead of the browser')
    .option('--password-stdin', 'read the password from stdin (never give it as an argument: ps and shell history show those)')
    .addHelpText('after', '\nExamples:\n  trellis login --url https://d1234abcd.cloudfront.net\n  cat .trellis/local/admin-password | trellis login --url http://127.0.0.1:4100 --user admin --password-stdin')
    .action(action(cli, async (options: UrlOption & JsonOption & { user?: string; passwordStdin?: boolean }) => {
      if (options.user !== undefined && !options.passwordStdin) throw usageError('--user needs --password-stdin: the password is read from stdin, never from an argument');
      if (options.passwordStdin && options.user === undefined) throw usageError('--password-stdin needs --user <name>');
      const sources = { env: cli.env, credentials: cli.credentials, now: cli.now };
      // Signing in again to the current installation needs no --url; a first sign-in does.
      if (!installationNamed(options.url, sources)) throw usageError('trellis login needs --url <dashboard url> (or TRELLIS_URL)');
      const url = chosenUrl(options.url, sources);
      const password = options.user === undefined ? undefined : (await cli.io.readStdin()).replace(/\r?\n$/, '');
      if (password === '') throw usageError('no password on stdin (--password-stdin reads it from there: `trellis login --user <name> --password-stdin < file`)');
      const config = await fetchDashboardConfig(url);
      const signedIn = options.user !== undefined
        ? await passwordSignIn(url, options.user, password!)
        : await cli.hooks.browserLogin(config, { dashboardUrl: url, print: line => cli.warn(line) });
      const entry: CredentialEntry = { url, apiUrl: config.apiUrl, webSocketUrl: config.webSocketUrl, ...signedIn };
      // Asked before it is kept: a token the API refuses is not worth storing.
      const me = await new ApiClient({ ...entry, tokenSource: 'credentials' }).me();
      cli.credentials.save({ ...entry, user: me.name });
      if (options.json) return cli.printJson({ url, user: me.name, expiresAt: entry.expiresAt });
      cli.print(`Signed in to ${url} as ${oneLine(me.name)}${entry.expiresAt ? ` until ${entry.expiresAt}` : ''}.`);
    }));

  withUrl(program.command('logout'))
    .summary('forget the sign-in to an installation')
    .description('Forget the stored sign-in to the installation (--url, TRELLIS_URL or the current one). Exits 0 also when there was none. '
      + 'Forgetting the current one leaves no default: until the next login, the other commands need --url, and say which installations are still signed in.')
    .addHelpText('after', '\nExample:\n  trellis logout --url https://d1234abcd.cloudfront.net')
    .action(action(cli, async (options: UrlOption) => {
      const others = () => Object.keys(cli.credentials.read().installations);
      if (!installationNamed(options.url, cli)) {
        const stored = others();
        return cli.print(stored.length === 0 ? 'Not signed in to any installation: nothing to forget.' : `No installation chosen: ${stillSignedIn(stored)}.`);
      }
      const url = chosenUrl(options.url, cli);
      cli.print(cli.credentials.remove(url) ? `Signed out of ${url}.` : `Not signed in to ${url}: nothing to forget.`);
      // None is the default now: the next command needs --url, so say which are left.
      const left = others();
      if (left.length > 0 && cli.credentials.read().current === undefined) cli.print(`Still ${stillSignedIn(left)}.`);
    }));
}
