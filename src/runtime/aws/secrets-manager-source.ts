import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NotFoundError } from '../core/errors';
import { Clock, SecretSource, systemClock } from '../core/ports';

/**
 * Secrets Manager behind core's SecretSource, with a short in-memory cache so a warm
 * Lambda does not call Secrets Manager on every request. Values are never logged.
 */
export class SecretsManagerSource implements SecretSource {
  private readonly cache = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly client = new SecretsManagerClient({}),
    private readonly ttlMs = 5 * 60_000,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(name: string): Promise<string> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(name);
    if (cached && cached.until > now) return cached.value;
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      if (result.SecretString === undefined) throw new NotFoundError(`secret ${name} has no string value`);
      this.cache.set(name, { value: result.SecretString, until: now + this.ttlMs });
      return result.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) throw new NotFoundError(`secret ${name} does not exist`);
      throw error;
    }
  }
}
