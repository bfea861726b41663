import { GitHubRest, GitHubRestOptions } from './github-rest';
import { GitHubAppCredentials, GitHubAppManifestConversion } from '../core/github';

interface ConversionAnswer {
  readonly id?: unknown;
  readonly slug?: unknown;
  readonly pem?: unknown;
  readonly client_id?: unknown;
  readonly client_secret?: unknown;
  readonly webhook_secret?: unknown;
  readonly html_url?: unknown;
}

/**
 * The end of GitHub's app-manifest flow: the code GitHub put on the redirect is exchanged, once
 * and without any credential, for the new App's id, key and secrets.
 */
export class ManifestConversionClient implements GitHubAppManifestConversion {
  private readonly rest: GitHubRest;

  constructor(apiUrl: string, options: GitHubRestOptions = {}) {
    this.rest = new GitHubRest(apiUrl, options);
  }

  async convert(code: string): Promise<GitHubAppCredentials & { readonly webhookSecret: string }> {
    const answer = await this.rest.json<ConversionAnswer>({
      method: 'POST',
      path: `/app-manifests/${encodeURIComponent(code)}/conversions`,
      // The code is a one-time credential: errors name the route, not it.
      name: 'POST /app-manifests/{code}/conversions',
      secrets: [code],
    });
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
    const appId = typeof answer?.id === 'number' ? String(answer.id) : undefined;
    const [slug, privateKey, clientId, clientSecret, webhookSecret] = [
      answer?.slug, answer?.pem, answer?.client_id, answer?.client_secret, answer?.webhook_secret,
    ].map(text);
    if (!appId || !slug || !privateKey || !clientId || !clientSecret || !webhookSecret) {
      throw new Error('GitHub answered the manifest conversion without the App\'s id, slug, key, client id and secrets');
    }
    return { appId, slug, privateKey, clientId, clientSecret, webhookSecret, ...text(answer.html_url) && { htmlUrl: text(answer.html_url) } };
  }
}
