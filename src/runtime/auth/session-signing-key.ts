import { createPrivateKey, generateKeyPairSync } from 'crypto';
import { SigningKey, signingKey } from './jwt-signer';
import { NotFoundError } from '../core/errors';
import { SecretCreator, SecretSource } from '../core/ports';

/**
 * The RSA key Trellis signs session tokens with (sign in with GitHub), kept as PEM in one secret.
 * Made on first use: of two first sign-ins at the same moment (two Lambdas, say) one creates the
 * secret and the other reads the winner's, so every token is signed with the one key the key set
 * publishes. Held in memory once read (a key replaced by hand is seen after a restart).
 */
export class SessionSigningKey {
  private loading?: Promise<SigningKey>;

  constructor(
    private readonly secrets: SecretSource & SecretCreator,
    /** secretNames.sessionSigningKey(installation) */
    private readonly secretName: string,
    /** Never given the key. */
    private readonly log: (entry: Record<string, unknown>) => void = () => undefined,
  ) {}

  /** The key, made and stored first if there is none yet. */
  get(): Promise<SigningKey> {
    // Callers of this process share one read (and one creation); a failure is not kept.
    this.loading ??= this.load().catch(error => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /** The key set (`{ keys: [...] }`) the tokens verify against. */
  async jwks(): Promise<{ keys: Array<SigningKey['jwk']> }> {
    return { keys: [(await this.get()).jwk] };
  }

  private async load(): Promise<SigningKey> {
    const stored = await this.read();
    if (stored) return stored;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const created = await this.secrets.create(this.secretName, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    if (created) {
      this.log({ message: 'session signing key created', secret: this.secretName });
      return signingKey(privateKey);
    }
    // Someone else created it first: theirs is the key.
    const winner = await this.read();
    if (!winner) throw new Error(`the secret ${this.secretName} exists but cannot be read`);
    return winner;
  }

  private async read(): Promise<SigningKey | undefined> {
    let pem: string;
    try {
      pem = await this.secrets.get(this.secretName);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    let key: ReturnType<typeof createPrivateKey> | undefined;
    try {
      key = createPrivateKey(pem);
    } catch {
      // falls through: the parser's message could quote the key
    }
    if (key?.asymmetricKeyType !== 'rsa') {
      throw new Error(`the secret ${this.secretName} does not hold an RSA private key (PEM); delete it to have a new one made`);
    }
    return signingKey(key);
  }
}
