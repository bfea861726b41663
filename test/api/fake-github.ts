import { NotFoundError } from '../../src/runtime/core';
import {
  GitHubApp, GitHubAppCredentials, GitHubConnection, GitHubEndpoints, InstalledRepository, WebhookDelivery,
} from '../../src/runtime/core/github';

/** What the fake App's conversion hands over: every value is recognisable in a response or a log. */
export function fakeCredentials(n = 1): GitHubAppCredentials & { webhookSecret: string } {
  return {
    appId: String(1000 + n),
    slug: `trellis-acme-${n}`,
    privateKey: `-----BEGIN RSA PRIVATE KEY-----\nSECRET-KEY-${n}\n-----END RSA PRIVATE KEY-----\n`,
    clientId: `Iv1.client${n}`,
    clientSecret: `SECRET-CLIENT-${n}`,
    webhookSecret: `SECRET-HOOK-${n}`,
    htmlUrl: `https://github.example/apps/trellis-acme-${n}`,
  };
}

/**
 * GitHub as the setup routes see it: an App that exists once `credentials` is set, conversion
 * codes that work once each, a delivery log and the redeliveries asked for.
 */
export class FakeGitHub implements GitHubConnection {
  credentials?: GitHubAppCredentials;
  repositories: InstalledRepository[] = [{ fullName: 'acme/web', private: true, defaultBranch: 'main' }];
  attempts: WebhookDelivery[] = [];
  readonly redelivered: number[] = [];
  readonly deliveriesSince: string[] = [];
  /** Code → what it converts into; a code is spent when converted. */
  readonly codes = new Map<string, GitHubAppCredentials & { webhookSecret: string }>();
  readonly converted: string[] = [];

  readonly manifest = {
    convert: async (code: string) => {
      const created = this.codes.get(code);
      if (!created) throw new NotFoundError('GitHub answered 404 to POST /app-manifests/{code}/conversions');
      this.codes.delete(code);
      this.converted.push(code);
      return created;
    },
  };

  constructor(readonly endpoints: GitHubEndpoints = { apiUrl: 'https://api.github.example', webUrl: 'https://github.example' }) {}

  async app(): Promise<GitHubApp | undefined> {
    if (!this.credentials) return undefined;
    const fake = this;
    return {
      repositoryToken: async () => { throw new Error('not used'); },
      installedRepositories: async () => fake.repositories,
      setCommitStatus: async () => undefined,
      createDeployment: async () => 1,
      setDeploymentStatus: async () => undefined,
      commentOnPullRequest: async () => 1,
      async deliveries(since: string) {
        fake.deliveriesSince.push(since);
        return fake.attempts.filter(one => Date.parse(one.deliveredAt) > Date.parse(since));
      },
      async redeliver(id: number) {
        if (!fake.attempts.some(one => one.id === id)) throw new NotFoundError(`GitHub answered 404 to POST /app/hook/deliveries/${id}/attempts`);
        fake.redelivered.push(id);
      },
    };
  }

  async userAuthorization() {
    return undefined;
  }

  async appInfo() {
    if (!this.credentials) return undefined;
    const { appId, slug, htmlUrl } = this.credentials;
    return { appId, slug, htmlUrl };
  }
}

let nextId = 1;

/** One attempt of the App's delivery log. */
export function attempt(guid: string, statusCode: number, deliveredAt: string, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return { id: nextId++, guid, event: 'push', deliveredAt, statusCode, redelivery: false, repository: 'acme/web', ...overrides };
}
