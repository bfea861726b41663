import { randomBytes, randomInt } from 'crypto';
import { Principal } from './access';
import { ApiTokenView } from './api-types';
import { secretDigest } from './secret-digest';

/**
 * API tokens, for CI and scripts: `trellis_<id>_<secret>`, sent as `Authorization: Bearer ...`
 * where a JWT goes. The id is public (it names the token in lists, logs and the revoke route);
 * the secret is 32 random bytes of which only the SHA-256 is stored, so a token is shown once,
 * when it is created. A token stands for one role on one application (or `*`).
 */

export const API_TOKEN_PREFIX = 'trellis_';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 12;
const TOKEN_FORM = /^trellis_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** What the store keeps of a token: its view and the digest of its secret. */
export interface ApiTokenRecord extends ApiTokenView {
  /** Hex SHA-256 of the secret. */
  readonly secretHash: string;
}

/** A new token: the full text (shown once) and what it is made of. */
export interface NewApiToken {
  readonly id: string;
  readonly token: string;
  readonly secretHash: string;
}

export function newApiToken(): NewApiToken {
  // randomInt draws without modulo bias: every id character is uniform over the alphabet.
  const id = Array.from({ length: ID_LENGTH }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${API_TOKEN_PREFIX}${id}_${secret}`, secretHash: secretDigest(secret) };
}

/** Whether a bearer credential is meant as an API token (else it is a JWT). */
export function isApiTokenForm(credential: string): boolean {
  // Any case: a `TRELLIS_...` pasted from a variable name is refused as an API token, not as a JWT.
  return credential.slice(0, API_TOKEN_PREFIX.length).toLowerCase() === API_TOKEN_PREFIX;
}

/** The id and secret of a well-formed token; undefined for anything else. */
export function parseApiToken(token: string): { readonly id: string; readonly secret: string } | undefined {
  const match = TOKEN_FORM.exec(token);
  return match ? { id: match[1], secret: match[2] } : undefined;
}

/** Why `value` is not a token id (the public part), or undefined. */
export function apiTokenIdProblem(value: string): string | undefined {
  return new RegExp(`^[a-z0-9]{${ID_LENGTH}}$`).test(value)
    ? undefined
    : `is not a token id (${ID_LENGTH} lowercase letters and digits: trellis_<id>_...)`;
}

export function apiTokenExpired(token: Pick<ApiTokenView, 'expiresAt'>, now: Date): boolean {
  return Date.parse(token.expiresAt) <= now.getTime();
}

/** The caller a token stands for: its one grant, named `token <name>` in logs and a deployment's actor. */
export function apiTokenPrincipal(token: Pick<ApiTokenView, 'id' | 'name' | 'role' | 'application'>): Principal {
  return {
    subject: `token:${token.id}`,
    name: `token ${token.name}`,
    grants: [{ application: token.application, role: token.role }],
    apiToken: token.id,
  };
}

/** The record without its secret's digest: what lists and answers show. */
export function apiTokenView(record: ApiTokenRecord): ApiTokenView {
  const { secretHash, ...view } = record;
  return view;
}

/** lastUsedAt is written at most this often: a busy pipeline does not write on every request. */
export const TOKEN_USE_RESOLUTION_MS = 60_000;

/** Whether a use at `now` is worth recording (the last recorded one is a minute old or more). */
export function tokenUseWorthRecording(token: Pick<ApiTokenView, 'lastUsedAt'>, now: Date): boolean {
  return token.lastUsedAt === undefined || now.getTime() - Date.parse(token.lastUsedAt) >= TOKEN_USE_RESOLUTION_MS;
}

/** What a new token may be: its name's form, its lifetime. */
export const API_TOKEN_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Why `value` cannot be a token's name, or undefined. */
export function apiTokenNameProblem(value: string): string | undefined {
  return API_TOKEN_NAME.test(value) ? undefined : 'must be 1-64 letters, digits, dots, underscores or hyphens';
}
export const API_TOKEN_DAYS = { min: 1, max: 365, default: 90 } as const;
