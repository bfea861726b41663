import { Authenticator, Principal } from '../core/access';
import { apiTokenExpired, apiTokenPrincipal, isApiTokenForm, parseApiToken, tokenUseWorthRecording } from '../core/api-tokens';
import { UnauthorizedError, errorMessage } from '../core/errors';
import { ApiTokenStore, Clock, systemClock } from '../core/ports';
import { matchesDigest } from '../core/secret-digest';

/** One answer for every refused API token: the caller learns nothing about which check failed. */
const REFUSED = 'the API token is unknown, revoked or expired';

/**
 * Takes `trellis_...` API tokens to the token store and every other credential to the
 * authenticator it wraps (the JWT one): one Authenticator for the control API and the live-log
 * socket, in AWS and local mode. The log names a refused token's id and why (never the secret);
 * the caller hears only that it was refused.
 */
export class ApiTokenAuthenticator implements Authenticator {
  constructor(
    private readonly tokens: ApiTokenStore,
    private readonly others: Authenticator,
    private readonly clock: Clock = systemClock,
    private readonly log: (entry: Record<string, unknown>) => void = () => undefined,
  ) {}

  async authenticate(credential: string | undefined): Promise<Principal> {
    if (credential === undefined || !isApiTokenForm(credential)) return this.others.authenticate(credential);
    const parsed = parseApiToken(credential);
    if (!parsed) return this.refuse(undefined, 'not of the form trellis_<id>_<secret>');
    const token = await this.tokens.get(parsed.id);
    if (!token) return this.refuse(parsed.id, 'unknown or revoked');
    if (!matchesDigest(parsed.secret, token.secretHash)) return this.refuse(parsed.id, 'wrong secret');
    const now = this.clock.now();
    if (apiTokenExpired(token, now)) return this.refuse(parsed.id, `expired at ${token.expiresAt}`);
    if (tokenUseWorthRecording(token, now)) {
      // Recording the use is bookkeeping: a failed write does not refuse the caller.
      await this.tokens.touch(token.id, now).catch(error => this.log({ message: 'api token use not recorded', token: token.id, error: errorMessage(error) }));
    }
    return apiTokenPrincipal(token);
  }

  /** An API token stays valid while it is known and not expired; other principals are the wrapped authenticator's. */
  async stillValid(principal: Principal): Promise<boolean> {
    if (principal.apiToken === undefined) return this.others.stillValid?.(principal) ?? true;
    const token = await this.tokens.get(principal.apiToken);
    return token !== undefined && !apiTokenExpired(token, this.clock.now());
  }

  private refuse(id: string | undefined, reason: string): never {
    this.log({ message: 'api token refused', ...(id === undefined ? {} : { token: id }), reason });
    throw new UnauthorizedError(REFUSED);
  }
}
