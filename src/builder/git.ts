import { Argv } from './commands';

/** GitHub (or its Enterprise Server at `webUrl`), unless local mode or a test points the builder at another source. */
export function repositoryUrl(repository: string, override?: string, webUrl = 'https://github.com'): string {
  return override ?? `${webUrl.replace(/\/+$/, '')}/${repository}.git`;
}

/** Exactly one commit, shallow: no branch name or tag is ever involved. */
export function cloneCommands(url: string, commit: string): Argv[] {
  return [
    ['git', 'init', '-q'],
    ['git', 'fetch', '--depth', '1', '--no-tags', '--', url, commit],
    ['git', 'checkout', '-q', '--detach', 'FETCH_HEAD'],
  ];
}

/**
 * The history needed to tell whether `commit` (checked out) is an ancestor of `deployed`: the
 * deployed commit and up to `depth` of its ancestors, no tags, no branch names.
 */
export function ancestryCommands(url: string, commit: string, deployed: string, depth = 200): { fetch: Argv; isAncestor: Argv } {
  return {
    fetch: ['git', 'fetch', '-q', '--depth', String(depth), '--no-tags', '--', url, deployed],
    isAncestor: ['git', 'merge-base', '--is-ancestor', commit, deployed],
  };
}

/** The value git sends to GitHub for a token (the same header actions/checkout uses). */
export function authorizationHeader(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/** The forms of a token the masker must know: itself, and as git sends it (the header's base64). */
export function gitTokenForms(token: string): string[] {
  return [token, authorizationHeader(token).split(' ').pop()!, Buffer.from(token).toString('base64')];
}

/**
 * Git's environment: the token travels as an http.extraheader set through GIT_CONFIG_*
 * variables, so it is in no argument list, URL or file. Scoped to the source's origin.
 */
export function gitEnvironment(base: Readonly<Record<string, string>>, url: string, token?: string): Record<string, string> {
  const config: Array<[string, string]> = [['advice.detachedHead', 'false']];
  if (token) config.push([headerKey(url), authorizationHeader(token)]);
  const env: Record<string, string> = {
    ...base,
    GIT_TERMINAL_PROMPT: '0',
    // Plain http only for local mode's GitHub stand-in on this machine (params.ts allows no other).
    GIT_ALLOW_PROTOCOL: url.startsWith('http://') ? 'http' : 'https:file',
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}

function headerKey(url: string): string {
  return /^https?:\/\//.test(url) ? `http.${new URL(url).origin}/.extraheader` : 'http.extraheader';
}
