import { createHmac, randomUUID } from 'crypto';
import { StandInContext, installationOf, repositoryJson } from './context';
import { CommitInfo, NO_COMMIT, commitOf, isForced, pushedCommits } from './git-commits';
import { StoredDelivery } from './state';

/** GitHub gives a webhook 10 seconds to answer. */
const DELIVERY_TIMEOUT_MS = 10_000;
const SHA = /^[0-9a-f]{40}$/;

export interface PushUpdate {
  readonly ref: string;
  readonly before: string;
  readonly after: string;
}

/**
 * A push delivered as GitHub's App webhook delivers it: the payload GitHub builds (from the
 * repository's real commits), signed with the App's webhook secret, POSTed to the App's hook URL,
 * and recorded in the delivery log. Returns the status code answered (0: no answer).
 */
/** How much of a webhook's answer the delivery log keeps. */
const MAX_RESPONSE_CHARS = 64 * 1024;

export async function deliverPush(context: StandInContext, fullName: string, push: PushUpdate): Promise<number> {
  const { app, repositories } = context.file.state;
  const repository = repositories[fullName];
  if (!repository) throw new Error(`the stand-in hosts no repository ${fullName}`);
  if (!app?.hookUrl || !app.hookActive) throw new Error('no GitHub App with an active webhook exists in the stand-in');
  const installation = installationOf(context, fullName);
  if (!installation) throw new Error(`the GitHub App is not installed on ${fullName}`);
  if (!SHA.test(push.before) || !SHA.test(push.after)) throw new Error('before and after must be 40-character commit SHAs');
  const commits = (await pushedCommits(repository.path, push.before, push.after)).map(commit => commitJson(context, fullName, commit));
  const head = push.after === NO_COMMIT ? undefined : await commitOf(repository.path, push.after);
  const [owner] = fullName.split('/');
  const payload = {
    ref: push.ref,
    before: push.before,
    after: push.after,
    created: push.before === NO_COMMIT,
    deleted: push.after === NO_COMMIT,
    forced: await isForced(repository.path, push.before, push.after),
    base_ref: null,
    compare: `${context.url}/${fullName}/compare/${push.before.slice(0, 12)}...${push.after.slice(0, 12)}`,
    commits,
    head_commit: head ? commitJson(context, fullName, head) : null,
    repository: {
      ...repositoryJson(context, repository),
      pushed_at: Math.floor(context.now().getTime() / 1000),
      master_branch: repository.defaultBranch,
    },
    pusher: { name: owner, email: head?.authorEmail ?? null },
    sender: { login: owner, type: 'User' },
    installation: { id: installation.id, node_id: `I_${installation.id}` },
  };
  return send(context, {
    guid: randomUUID(),
    event: 'push',
    action: null,
    installationId: installation.id,
    repositoryId: repository.id,
    body: JSON.stringify(payload),
    redelivery: false,
  });
}

/** A recorded delivery sent again: the same body and GUID, signed with the App's current secret, recorded as a redelivery. */
export async function redeliver(context: StandInContext, deliveryId: number): Promise<number> {
  const original = context.file.state.deliveries.find(delivery => delivery.id === deliveryId);
  if (!original) throw new Error(`no delivery ${deliveryId}`);
  return send(context, {
    guid: original.guid,
    event: original.event,
    action: original.action,
    installationId: original.installation_id,
    repositoryId: original.repository_id,
    body: original.body,
    redelivery: true,
  });
}

interface Outgoing {
  readonly guid: string;
  readonly event: string;
  readonly action: string | null;
  readonly installationId: number | null;
  readonly repositoryId: number | null;
  readonly body: string;
  readonly redelivery: boolean;
}

async function send(context: StandInContext, outgoing: Outgoing): Promise<number> {
  const app = context.file.state.app;
  if (!app?.hookUrl) throw new Error('the GitHub App has no webhook URL');
  const started = Date.now();
  let statusCode = 0;
  let responseBody = '';
  try {
    const response = await fetch(app.hookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/stand-in',
        'x-github-event': outgoing.event,
        'x-github-delivery': outgoing.guid,
        'x-github-hook-id': String(app.id),
        'x-github-hook-installation-target-id': String(app.id),
        'x-github-hook-installation-target-type': 'integration',
        'x-hub-signature': `sha1=${createHmac('sha1', app.webhookSecret).update(outgoing.body).digest('hex')}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', app.webhookSecret).update(outgoing.body).digest('hex')}`,
      },
      body: outgoing.body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    statusCode = response.status;
    responseBody = (await response.text()).slice(0, MAX_RESPONSE_CHARS);
  } catch (error) {
    context.log({ event: 'github-stand-in-delivery-failed', guid: outgoing.guid, error: String(error) });
  }
  const delivery: StoredDelivery = {
    id: context.file.id(),
    guid: outgoing.guid,
    event: outgoing.event,
    action: outgoing.action,
    delivered_at: context.now().toISOString(),
    redelivery: outgoing.redelivery,
    status_code: statusCode,
    duration: (Date.now() - started) / 1000,
    installation_id: outgoing.installationId,
    repository_id: outgoing.repositoryId,
    body: outgoing.body,
    response_body: responseBody,
  };
  context.file.state.deliveries.push(delivery);
  context.file.save(context.now());
  return statusCode;
}

function commitJson(context: StandInContext, fullName: string, commit: CommitInfo): Record<string, unknown> {
  const person = { name: commit.authorName, email: commit.authorEmail, username: commit.authorName };
  return {
    id: commit.sha,
    tree_id: commit.sha,
    distinct: true,
    message: commit.message,
    timestamp: commit.timestamp,
    url: `${context.url}/${fullName}/commit/${commit.sha}`,
    author: person,
    committer: person,
    added: [],
    removed: [],
    modified: [],
  };
}
