import { generateKeyPairSync } from 'crypto';
import { StandInContext } from './context';
import { Refusal, randomText } from './credentials';
import { Level, StoredApp } from './state';
import { GitHubAppCredentials } from '../../runtime/core/github';

/** A manifest's code may be converted within an hour, as on GitHub. */
const MANIFEST_CODE_MS = 60 * 60_000;

export type NewApp = GitHubAppCredentials & { readonly webhookSecret: string; readonly code: string };

/**
 * A GitHub App made from an app manifest (GitHub's fields: name, url, hook_attributes,
 * redirect_url, callback_urls, setup_url, default_permissions, default_events). The stand-in has
 * one App at a time: making another replaces it and its installations, as deleting it would.
 * Its private key is handed over by the conversion code (once) and not kept.
 */
export function createApp(context: StandInContext, manifest: unknown, owner: string): NewApp {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new Refusal(422, 'The manifest must be a JSON object');
  const fields = manifest as Record<string, unknown>;
  if (typeof fields.name !== 'string' || fields.name.trim() === '') throw new Refusal(422, 'The manifest needs a name');
  const hook = (typeof fields.hook_attributes === 'object' && fields.hook_attributes !== null ? fields.hook_attributes : {}) as Record<string, unknown>;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const state = context.file.state;
  const id = context.file.id();
  const slug = fields.name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || `app-${id}`;
  const app: StoredApp = {
    id,
    slug,
    name: fields.name.trim(),
    owner,
    publicKey,
    clientId: `Iv1.${randomText(16).toLowerCase()}`,
    clientSecret: randomText(40),
    webhookSecret: randomText(40),
    hookUrl: text(hook.url),
    hookActive: hook.active !== false,
    redirectUrl: text(fields.redirect_url),
    setupUrl: text(fields.setup_url),
    callbackUrls: Array.isArray(fields.callback_urls) ? fields.callback_urls.filter((url): url is string => typeof url === 'string') : [],
    permissions: permissionsOf(fields.default_permissions),
    events: Array.isArray(fields.default_events) ? fields.default_events.filter((event): event is string => typeof event === 'string') : [],
    createdAt: context.now().toISOString(),
  };
  const code = randomText(20);
  state.app = app;
  state.installations = [];
  state.installationTokens = [];
  state.manifestCodes = [{ code, privateKey, expiresAt: new Date(context.now().getTime() + MANIFEST_CODE_MS).toISOString() }];
  context.file.save(context.now());
  return {
    appId: String(id),
    slug,
    privateKey,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    htmlUrl: `${context.url}/apps/${slug}`,
    webhookSecret: app.webhookSecret,
    code,
  };
}

/**
 * Install the App on repositories (full names): one installation per owner, as on GitHub, each
 * made or extended. `replace` makes the selection the owner's whole installation (the install
 * page's form). Returns the installation id of the first repository's owner.
 */
export function install(context: StandInContext, repositories: readonly string[], replace = false): number {
  const state = context.file.state;
  if (!state.app) throw new Refusal(404, 'No GitHub App exists in the stand-in yet');
  if (repositories.length === 0) throw new Refusal(422, 'Select at least one repository');
  const unknown = repositories.filter(fullName => !state.repositories[fullName]);
  if (unknown.length > 0) throw new Refusal(422, `The stand-in hosts no repository ${unknown.join(', ')}`);
  const ids: number[] = [];
  for (const owner of new Set(repositories.map(fullName => fullName.split('/')[0]))) {
    const selected = repositories.filter(fullName => fullName.split('/')[0] === owner);
    let installation = state.installations.find(candidate => candidate.account === owner);
    if (!installation) {
      installation = { id: context.file.id(), account: owner, repositories: [], createdAt: context.now().toISOString() };
      state.installations.push(installation);
    }
    installation.repositories = [...new Set([...replace ? [] : installation.repositories, ...selected])].sort();
    ids.push(installation.id);
  }
  context.file.save(context.now());
  return ids[0];
}

function permissionsOf(value: unknown): Record<string, Level> {
  const permissions: Record<string, Level> = {};
  if (typeof value !== 'object' || value === null) return permissions;
  for (const [name, level] of Object.entries(value)) {
    if (level !== 'read' && level !== 'write') throw new Refusal(422, `default_permissions.${name} must be read or write`);
    permissions[name] = level;
  }
  return permissions;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
