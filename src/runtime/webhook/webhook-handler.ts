import { createHmac, timingSafeEqual } from 'crypto';
import { PayloadError, PushDetails, parsePullRequest, parsePush, summarizePullRequest } from './github-payload';
import { pushReplayKey } from './push-replay';
import { DeploymentScheduler, UnsentDeploymentError } from '../core/deployment-scheduler';
import { errorMessage } from '../core/errors';
import { HttpResponse, errorResponse, json, rejection } from '../core/http';
import { METRIC_DIMENSIONS, METRIC_NAMES, WEBHOOK_REJECTION_DIMENSION_SETS, WEBHOOK_REJECTION_REASONS, WebhookRejectionReason, metricRecord } from '../core/metrics';
import { Clock, LaunchQueue, Store, systemClock } from '../core/ports';
import { PullRequestEvent } from '../core/previews';
import { routePush } from '../core/push-routing';
import { PushPosition } from '../core/types';
import { handlePullRequest, sweepPreviews } from '../previews/pull-requests';

export interface WebhookRequest {
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body exactly as received: the signature covers these bytes. */
  readonly body: Buffer;
}

export interface WebhookDependencies {
  /**
   * The secrets a delivery may be signed with (webhook-secrets.ts: the installation's and, once
   * it exists, the GitHub App's); a signature matching any of them is accepted.
   */
  readonly secrets: () => Promise<readonly string[]>;
  readonly store: Store;
  readonly queue: LaunchQueue;
  readonly clock?: Clock;
  readonly log?: (entry: Record<string, unknown>) => void;
  /**
   * The Installation dimension of the WebhookRejections metric (the installation's name). Without
   * it (local mode) a rejection is logged without a metric.
   */
  readonly installation?: string;
}

/** GitHub caps payloads at 25 MB, a push with 20 commits is tens of KB; Lambda takes 6 MB. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Redeliveries come within hours (manual redelivery: up to 3 days back); keep ids a week. */
export const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;
/**
 * A push older than this deploys nothing: its replay record (kept DELIVERY_TTL_SECONDS from when
 * it was first received) may be gone, so a replay of a captured body could not be told apart. An
 * hour short of the TTL, for clock skew between GitHub and AWS.
 */
export const MAX_PUSH_AGE_SECONDS = DELIVERY_TTL_SECONDS - 3600;
const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

/**
 * GitHub webhook → queued deployments. Answers within GitHub's 10 s: verify, dedupe,
 * route, record, enqueue; the launcher does the slow work. Every answer is JSON with a reason.
 *
 * | answer | when |
 * |---|---|
 * | 413 | body larger than MAX_BODY_BYTES (checked before hashing) |
 * | 401 | X-Hub-Signature-256 missing or not the HMAC of the body |
 * | 415 | content type is not application/json |
 * | 400 | missing X-GitHub-Event / X-GitHub-Delivery, body not JSON, payload not shaped like GitHub's |
 * | 200 | ping; a delivery already processed, or the same push under another delivery id (`duplicate: true`) |
 * | 202 | push accepted (`deployments`, `ignored` reasons); pull request: its previews (`previews`, previews/pull-requests.ts); other events ignored |
 * | 500 | store or queue failed; the delivery is forgotten so GitHub's redelivery is processed |
 */
export async function handleWebhook(request: WebhookRequest, deps: WebhookDependencies): Promise<HttpResponse> {
  const log = deps.log ?? (() => undefined);
  const clock = deps.clock ?? systemClock;
  const { headers, body } = request;
  /** Every refused request is logged and counted once, by a reason from a fixed set. */
  const refuse = (reason: WebhookRejectionReason, response: HttpResponse, details: Record<string, unknown> = {}): HttpResponse => {
    log(webhookRejectedRecord(reason, deps.installation, clock.now(), { status: response.statusCode, ...details }));
    return response;
  };

  if (body.length > MAX_BODY_BYTES) {
    return refuse(WEBHOOK_REJECTION_REASONS.payloadTooLarge, rejection(413, 'payload_too_large', `body is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`));
  }
  const signature = headers['x-hub-signature-256'];
  if (!signature) {
    return refuse(WEBHOOK_REJECTION_REASONS.signatureMissing,
      rejection(401, 'unauthorized', 'X-Hub-Signature-256 header is missing; set a secret on the GitHub webhook'));
  }
  let secrets: readonly string[];
  try {
    secrets = await deps.secrets();
  } catch (error) {
    log({ message: 'webhook secret unavailable', error: errorMessage(error) });
    return errorResponse(error);
  }
  if (!signatureMatchesAny(secrets, body, signature)) {
    return refuse(WEBHOOK_REJECTION_REASONS.signatureMismatch,
      rejection(401, 'unauthorized', 'X-Hub-Signature-256 does not match the body; check the webhook secret'));
  }
  const contentType = headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    return refuse(WEBHOOK_REJECTION_REASONS.unsupportedContentType,
      rejection(415, 'unsupported_media_type', "content type must be application/json (set 'Content type: application/json' on the GitHub webhook)"));
  }
  const event = headers['x-github-event'] ?? '';
  if (!EVENT_NAME.test(event)) {
    return refuse(WEBHOOK_REJECTION_REASONS.malformedHeaders, rejection(400, 'invalid_input', 'X-GitHub-Event header is missing or malformed'));
  }
  const deliveryId = headers['x-github-delivery'] ?? '';
  if (!DELIVERY_ID.test(deliveryId)) {
    return refuse(WEBHOOK_REJECTION_REASONS.malformedHeaders, rejection(400, 'invalid_input', 'X-GitHub-Delivery header is missing or malformed'));
  }

  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return refuse(WEBHOOK_REJECTION_REASONS.malformedPayload, rejection(400, 'invalid_input', 'body is not valid JSON'), { delivery: deliveryId });
  }

  if (event === 'ping') return json(200, { ok: true, event });
  if (event !== 'push' && event !== 'pull_request') {
    return json(202, { accepted: false, event, ignored: [`event '${event}' starts nothing; subscribe the webhook to push (and pull_request)`] });
  }

  let push: ReturnType<typeof parsePush> | undefined;
  let pullRequest: PullRequestEvent | undefined;
  let summary;
  try {
    if (event === 'push') {
      push = parsePush(payload);
      summary = { event, repository: push.push.repository, ref: push.push.ref, commit: push.push.headCommit };
    } else {
      pullRequest = parsePullRequest(payload);
      summary = summarizePullRequest(pullRequest);
    }
  } catch (error) {
    if (error instanceof PayloadError) {
      return refuse(WEBHOOK_REJECTION_REASONS.malformedPayload,
        rejection(400, 'invalid_input', `not a GitHub ${event} payload: ${error.message}`), { delivery: deliveryId, event });
    }
    throw error;
  }

  const age = push?.pushedAt ? (clock.now().getTime() - push.pushedAt.getTime()) / 1000 : 0;
  if (age > MAX_PUSH_AGE_SECONDS) {
    return refuse(WEBHOOK_REJECTION_REASONS.pushTooOld, json(200, {
      accepted: false,
      event,
      ignored: [`this push was made at ${push!.pushedAt!.toISOString()}, more than ${MAX_PUSH_AGE_SECONDS / 3600} hours ago; `
        + 'a redelivered or replayed old push deploys nothing: deploy from the dashboard instead'],
    }), { delivery: deliveryId, pushedAt: push!.pushedAt!.toISOString(), ...summary });
  }

  const expiresAt = Math.floor(clock.now().getTime() / 1000) + DELIVERY_TTL_SECONDS;
  let first: boolean;
  try {
    first = await deps.store.deliveries.recordFirst(deliveryId, expiresAt, summary);
  } catch (error) {
    log({ message: 'webhook delivery could not be recorded', delivery: deliveryId, error: errorMessage(error) });
    return errorResponse(error);
  }
  if (!first) return json(200, { accepted: false, duplicate: true, delivery: deliveryId });

  const replayKey = push ? pushReplayKey(push) : undefined;
  const forget = async () => {
    await deps.store.deliveries.forget(deliveryId).catch(() => undefined);
    if (replayKey) await deps.store.deliveries.forget(replayKey).catch(() => undefined);
  };
  try {
    if (replayKey && !await deps.store.deliveries.recordFirst(replayKey, expiresAt, summary)) {
      log({ message: 'push already received under another delivery id', delivery: deliveryId, ...summary });
      return json(200, {
        accepted: false,
        duplicate: true,
        delivery: deliveryId,
        ignored: ['this push (same repository, ref, before and after) was already received under another delivery id; deploy from the dashboard to run it again'],
      });
    }
  } catch (error) {
    await forget();
    log({ message: 'webhook delivery could not be recorded', delivery: deliveryId, error: errorMessage(error) });
    return errorResponse(error);
  }

  const previewDeps = { store: deps.store, queue: deps.queue, clock, log };
  // Closed previews still there get their teardown asked for again (a failed one retried); never fails the delivery.
  await sweepPreviews(previewDeps);
  try {
    if (!push) {
      const outcome = await handlePullRequest(pullRequest!, deliveryId, previewDeps);
      log({ message: 'pull request handled', delivery: deliveryId, ...summary, previews: outcome.previews, ignored: outcome.ignored });
      return json(202, { accepted: outcome.previews.some(preview => preview.status !== 'refused'), event, recorded: summary, ...outcome });
    }
    const routing = routePush(await deps.store.config.listApplications(), push.push);
    if (routing.unknownRepository) {
      return refuse(WEBHOOK_REJECTION_REASONS.unknownRepository,
        json(202, { accepted: false, event, deployments: [], ignored: routing.ignored }), { delivery: deliveryId, repository: push.push.repository });
    }
    const scheduler = new DeploymentScheduler(deps.store, clock);
    const deployments = [];
    for (const target of routing.targets) {
      const deployment = await scheduler.submit({
        application: target.application,
        environment: target.environment,
        action: 'deploy',
        commit: target.commit,
        branch: target.branch,
        repository: push.push.repository,
        commitMessage: push.commitMessage,
        author: push.author,
        trigger: { kind: 'push', actor: push.author, deliveryId },
        push: pushPosition(push),
      }, deps.queue, 'could not be handed to the launcher; redeliver the webhook to retry');
      deployments.push({ id: deployment.id, application: target.application, environment: target.environment, commit: target.commit });
    }
    log({ message: 'push routed', delivery: deliveryId, deployments: deployments.map(d => d.id), ignored: routing.ignored });
    return json(202, { accepted: deployments.length > 0, event, deployments, ignored: routing.ignored });
  } catch (error) {
    // Let GitHub's redelivery try again rather than drop the push.
    await forget();
    // submit() has ended a deployment the queue refused as failed, so none is left queued forever.
    const unsent = error instanceof UnsentDeploymentError ? error : undefined;
    log({ message: 'webhook processing failed', delivery: deliveryId, deployment: unsent?.deploymentId, error: errorMessage(unsent?.cause ?? error) });
    return errorResponse(unsent?.cause ?? error);
  }
}

/** Where the push stands in its branch's history, as GitHub signed it: what the lock rule orders pushes by. */
function pushPosition(details: PushDetails): PushPosition | undefined {
  if (details.before === undefined) return undefined;
  return {
    before: details.before,
    ...details.pushedAt && { pushedAt: details.pushedAt.toISOString() },
    ...details.committedAt && { committedAt: details.committedAt.toISOString() },
    ...details.forced && { forced: true },
  };
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * Whether the signature is the body's HMAC with any of `secrets`: each one is compared (in
 * constant time), whichever matches. An empty secret is never one: anybody could sign with it.
 */
export function signatureMatchesAny(secrets: readonly string[], body: Buffer, signature: string): boolean {
  return secrets.filter(secret => secret !== '').map(secret => signatureMatches(secret, body, signature)).includes(true);
}

/**
 * HMAC-SHA256 over the body's bytes exactly as received (never a decoded text: two byte sequences
 * that decode to the same text must not share a signature), compared in constant time with the
 * hex digest of `X-Hub-Signature-256`. A header of any other shape is a mismatch.
 */
export function signatureMatches(secret: string, body: Buffer, signature: string): boolean {
  const given = SIGNATURE.exec(signature.trim().toLowerCase())?.[1];
  if (!given) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const received = Buffer.from(given, 'hex');
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/**
 * The log line of a refused webhook request: counted as WebhookRejections by Reason when the
 * installation is known. `details` never override the reason or the installation.
 */
export function webhookRejectedRecord(
  reason: WebhookRejectionReason, installation: string | undefined, at: Date, details: Record<string, unknown> = {},
): Record<string, unknown> {
  const properties = { message: 'webhook request rejected', ...details };
  if (installation === undefined) return { ...properties, [METRIC_DIMENSIONS.reason]: reason };
  return metricRecord({
    timestamp: at.getTime(),
    metrics: [{ name: METRIC_NAMES.webhookRejections, unit: 'Count', value: 1 }],
    dimensions: { [METRIC_DIMENSIONS.installation]: installation, [METRIC_DIMENSIONS.reason]: reason },
    dimensionSets: WEBHOOK_REJECTION_DIMENSION_SETS,
    properties,
  });
}
