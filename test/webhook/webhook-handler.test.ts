import { createHmac, randomUUID } from 'crypto';
import examples, { WebhookDefinition } from '@octokit/webhooks-examples';
import { fromHttpApiEvent } from '../../src/runtime/aws/api-gateway';
import { Clock, Deployment, DeploymentScheduler, LaunchMessage, LaunchQueue, Store } from '../../src/runtime/core';
import { MAX_BODY_BYTES, WebhookDependencies, WebhookRequest, handleWebhook, signatureMatches } from '../../src/runtime/webhook/webhook-handler';
import { T0, appConfig, envConfig, steppingClock } from '../store/fixtures';
import { githubSignature } from '../support/github-webhook';
import { httpApiEvent } from '../support/http-api-event';
import { freshStore } from '../support/test-table';

/**
 * The GitHub webhook end to end through handleWebhook: GitHub's own example payloads,
 * signed like GitHub signs them, against the DynamoDB store on DynamoDB Local.
 *
 * Signatures are computed here from GitHub's documented scheme (node crypto), independently of
 * the handler's own check.
 */

const SECRET = 'test-webhook-secret-3f9c';
const REPOSITORY = 'Codertocat/Hello-World';
const ENVIRONMENTS = ['dev', 'staging', 'production', 'preview'];

const HELLO_WORLD = appConfig('hello-world', [
  envConfig('dev', { kind: 'development', branch: 'master', autoDeploy: true }),
  envConfig('staging', { kind: 'staging' }),
  envConfig('production', { kind: 'production', branch: 'master', autoDeploy: false, protected: true }),
  envConfig('preview', { kind: 'custom', branch: 'feature/a/b', autoDeploy: true }),
], REPOSITORY);

type PushPayload = WebhookDefinition<'push'>['examples'][number];
type Json = Record<string, any>;

function definition(name: string): WebhookDefinition {
  const found = examples.find(d => d.name === name);
  if (!found) throw new Error(`@octokit/webhooks-examples has no '${name}' examples`);
  return found;
}

/** A deep copy of one of GitHub's example payloads, free to modify. */
function example(name: string, index = 0): Json {
  return structuredClone(definition(name).examples[index]) as Json;
}

/**
 * examples[4] and [5] are pushes to refs/heads/master of Codertocat/Hello-World, made in 2019:
 * received now (the test clock's start), as GitHub would send them today.
 */
function realPush(index = 4): PushPayload {
  const payload = example('push', index) as PushPayload;
  payload.repository.pushed_at = Math.floor(T0 / 1000);
  return payload;
}

function sha(seed: string): string {
  return createHmac('sha1', 'commit').update(seed).digest('hex');
}

interface RequestOptions {
  readonly event?: string | null;
  readonly delivery?: string | null;
  readonly contentType?: string;
  /** Default: the correct signature of the body; null: no header. */
  readonly signature?: string | null;
}

/** A request as GitHub sends it: `payload` is JSON-encoded unless it is already text or bytes. */
async function request(payload: unknown, options: RequestOptions = {}): Promise<WebhookRequest> {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : JSON.stringify(payload);
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(text, 'utf8');
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    'user-agent': 'GitHub-Hookshot/044aadd',
  };
  const event = options.event === undefined ? 'push' : options.event;
  const delivery = options.delivery === undefined ? randomUUID() : options.delivery;
  const signature = options.signature === undefined ? githubSignature(SECRET, body) : options.signature;
  if (event !== null) headers['x-github-event'] = event;
  if (delivery !== null) headers['x-github-delivery'] = delivery;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return { headers, body };
}

/** Records each message and the stored deployment it names, read at the moment of sending. */
class RecordingQueue implements LaunchQueue {
  readonly messages: LaunchMessage[] = [];
  readonly storedAtSend: (Deployment | undefined)[] = [];
  constructor(private readonly store: Store) {}
  async send(message: LaunchMessage): Promise<void> {
    this.storedAtSend.push(await this.store.deployments.get(message.deploymentId));
    this.messages.push(message);
  }
}

describe('handleWebhook', () => {
  let store: Store;
  let clock: Clock;
  let queue: RecordingQueue;
  let logs: Record<string, unknown>[];

  beforeEach(async () => {
    clock = steppingClock();
    ({ store } = await freshStore(clock));
    await store.config.syncApplications([HELLO_WORLD]);
    queue = new RecordingQueue(store);
    logs = [];
  });

  function deps(overrides: Partial<WebhookDependencies> = {}): WebhookDependencies {
    return { secrets: async () => [SECRET], store, queue, clock, log: entry => logs.push(entry), ...overrides };
  }

  /** Every answer must be JSON: parse it (a non-JSON body fails the test). */
  async function send(req: WebhookRequest, overrides: Partial<WebhookDependencies> = {}): Promise<{ status: number; body: Json; raw: string }> {
    const response = await handleWebhook(req, deps(overrides));
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    return { status: response.statusCode, body: JSON.parse(response.body) as Json, raw: response.body };
  }

  async function deploymentsIn(environment: string): Promise<readonly Deployment[]> {
    return (await store.deployments.listByEnvironment('hello-world', environment)).items;
  }

  async function allDeployments(): Promise<Deployment[]> {
    return (await Promise.all(ENVIRONMENTS.map(deploymentsIn))).flat();
  }

  /** A push that is accepted as a delivery but starts nothing, with `reason` among the ignored. */
  async function expectIgnoredPush(payload: unknown, reason: RegExp): Promise<void> {
    const response = await send(await request(payload));
    expect(response.status).toBe(202);
    expect(response.body.accepted).toBe(false);
    expect(response.body.ignored.join(' ')).toMatch(reason);
    expect(await allDeployments()).toEqual([]);
    expect(queue.messages).toEqual([]);
  }

  test('the example payloads are what these tests assume', () => {
    const pushes = definition('push').examples as PushPayload[];
    for (const index of [4, 5]) {
      expect(pushes[index]).toMatchObject({ ref: 'refs/heads/master', deleted: false, repository: { full_name: REPOSITORY } });
      expect(pushes[index].after).toMatch(/^[0-9a-f]{40}$/);
    }
    expect(pushes[0].ref).toMatch(/^refs\/tags\//);
    expect(definition('ping').examples.length).toBeGreaterThan(0);
    expect(definition('pull_request').examples.length).toBeGreaterThan(0);
  });

  describe('pushes', () => {
    test.each([4, 5])('a real push to master (example %i) queues exactly one deployment, in dev', async index => {
      const payload = realPush(index);
      const delivery = randomUUID();

      const response = await send(await request(payload, { delivery }));

      expect(response.status).toBe(202);
      expect(response.body.accepted).toBe(true);
      const dev = await deploymentsIn('dev');
      expect(dev).toHaveLength(1);
      const [deployment] = dev;
      expect(deployment).toMatchObject({
        application: 'hello-world',
        environment: 'dev',
        action: 'deploy',
        status: 'queued',
        commit: payload.after,
        repository: REPOSITORY,
        branch: 'master',
        commitMessage: payload.head_commit!.message.split('\n')[0],
        author: payload.head_commit!.author.username,
        trigger: { kind: 'push', actor: 'Codertocat', deliveryId: delivery },
      });
      expect(deployment.commitMessage).toBe('Initial commit');
      expect(response.body.deployments).toEqual([{ id: deployment.id, application: 'hello-world', environment: 'dev', commit: payload.after }]);

      // One message, naming a deployment that was already stored when it was sent.
      expect(queue.messages).toEqual([{ deploymentId: deployment.id }]);
      expect(queue.storedAtSend).toEqual([deployment]);
      expect(await store.deployments.get(deployment.id)).toEqual(deployment);

      // Nothing for the other environments; production says why.
      expect(await allDeployments()).toHaveLength(1);
      expect(await deploymentsIn('staging')).toEqual([]);
      expect(await deploymentsIn('production')).toEqual([]);
      expect(response.body.ignored).toEqual(expect.arrayContaining([expect.stringMatching(/production/)]));
    });

    test('only the first line of the commit message is kept', async () => {
      const payload = realPush();
      payload.head_commit!.message = 'Fix the login redirect\n\nThe callback lost the state parameter.\nCloses #12';
      await send(await request(payload));
      const [deployment] = await deploymentsIn('dev');
      expect(deployment.commitMessage).toBe('Fix the login redirect');
    });

    test('branch names with slashes survive', async () => {
      const payload = { ...realPush(), ref: 'refs/heads/feature/a/b', after: sha('feature') };

      const response = await send(await request(payload));

      expect(response.status).toBe(202);
      const preview = await deploymentsIn('preview');
      expect(preview).toHaveLength(1);
      expect(preview[0].branch).toBe('feature/a/b');
      expect(preview[0].commit).toBe(payload.after);
      expect(await deploymentsIn('dev')).toEqual([]);
      expect(queue.messages).toEqual([{ deploymentId: preview[0].id }]);
    });

    test('a tag push starts nothing and says it was a tag', async () => {
      const payload = example('push', 0);
      expect(payload.ref).toBe('refs/tags/simple-tag');
      payload.repository.pushed_at = Math.floor(T0 / 1000);

      await expectIgnoredPush(payload, /tag/);
    });

    test('a branch delete starts nothing and says the branch was deleted', async () => {
      const payload = { ...realPush(), ref: 'refs/heads/feature/x', deleted: true, after: '0'.repeat(40), head_commit: null };

      await expectIgnoredPush(payload, /deleted/);
    });

    test('deleting a tracked branch starts nothing either', async () => {
      const payload = { ...realPush(), deleted: true, after: '0'.repeat(40), head_commit: null };
      const response = await send(await request(payload));
      expect(response.status).toBe(202);
      expect(response.body.ignored.join(' ')).toMatch(/deleted/);
      expect(await allDeployments()).toEqual([]);
      expect(queue.messages).toEqual([]);
    });

    test('a push to a branch no environment tracks starts nothing', async () => {
      const payload = { ...realPush(), ref: 'refs/heads/experiment', after: sha('experiment') };

      await expectIgnoredPush(payload, /no environment tracks branch 'experiment'/);
    });

    test('a push to a repository no application uses is accepted with a reason and starts nothing', async () => {
      const payload = realPush();
      payload.repository.full_name = 'someone-else/Hello-World';

      await expectIgnoredPush(payload, /no application uses repository 'someone-else\/Hello-World'/);
    });
  });

  describe('other events', () => {
    test('ping answers 200', async () => {
      const response = await send(await request(example('ping'), { event: 'ping' }));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ ok: true, event: 'ping' });
      expect(await allDeployments()).toEqual([]);
      expect(queue.messages).toEqual([]);
    });

    test('a pull request is recorded (once) and deploys nothing', async () => {
      const payload = example('pull_request');
      const delivery = randomUUID();

      const response = await send(await request(payload, { event: 'pull_request', delivery }));

      expect(response.status).toBe(202);
      expect(response.body.recorded).toEqual({
        event: 'pull_request',
        action: payload.action,
        repository: REPOSITORY,
        ref: payload.pull_request.head.ref,
        commit: payload.pull_request.head.sha,
        pullRequest: payload.number,
      });
      expect(await allDeployments()).toEqual([]);
      expect(queue.messages).toEqual([]);
      // Recorded: the same delivery again is a duplicate.
      const again = await send(await request(payload, { event: 'pull_request', delivery }));
      expect(again.status).toBe(200);
      expect(again.body.duplicate).toBe(true);
    });
  });

  describe('bad input', () => {
    const DELIVERY = 'c0ffee00-1111-4222-8333-444455556666';
    const PUSH_TEXT = JSON.stringify(realPush());
    const TEN_MB = 10 * 1024 * 1024;

    interface BadCase {
      readonly name: string;
      readonly build: () => Promise<WebhookRequest>;
      readonly status: number;
      /** `error` code in the body; undefined for an accepted-but-ignored answer. */
      readonly error?: string;
    }

    const cases: BadCase[] = [
      { name: 'no signature', status: 401, error: 'unauthorized', build: () => request(PUSH_TEXT, { delivery: DELIVERY, signature: null }) },
      {
        name: 'signature made with another secret',
        status: 401,
        error: 'unauthorized',
        build: () => request(PUSH_TEXT, { delivery: DELIVERY, signature: githubSignature('not-the-secret', PUSH_TEXT) }),
      },
      {
        name: 'signature over a different body',
        status: 401,
        error: 'unauthorized',
        build: () => request(PUSH_TEXT, { delivery: DELIVERY, signature: githubSignature(SECRET, PUSH_TEXT.replace('Initial commit', 'Evil commit')) }),
      },
      { name: "malformed signature header 'sha1=abc'", status: 401, error: 'unauthorized', build: () => request(PUSH_TEXT, { delivery: DELIVERY, signature: 'sha1=abc' }) },
      {
        name: 'the right HMAC in the wrong scheme (sha1=<sha256 hex>)',
        status: 401,
        error: 'unauthorized',
        build: () => request(PUSH_TEXT, { delivery: DELIVERY, signature: githubSignature(SECRET, PUSH_TEXT).replace('sha256=', 'sha1=') }),
      },
      { name: 'truncated JSON, signed correctly', status: 400, error: 'invalid_input', build: () => request(PUSH_TEXT.slice(0, PUSH_TEXT.length / 2), { delivery: DELIVERY }) },
      { name: '10 MB body without a signature', status: 413, error: 'payload_too_large', build: () => request(Buffer.alloc(TEN_MB, 'a'), { delivery: DELIVERY, signature: null }) },
      { name: '10 MB body, signed correctly', status: 413, error: 'payload_too_large', build: () => request(Buffer.alloc(TEN_MB, 'a'), { delivery: DELIVERY }) },
      {
        name: 'form-encoded content type, signed correctly',
        status: 415,
        error: 'unsupported_media_type',
        build: () => request(PUSH_TEXT, { delivery: DELIVERY, contentType: 'application/x-www-form-urlencoded' }),
      },
      { name: "unknown event 'issues'", status: 202, build: () => request(example('issues'), { delivery: DELIVERY, event: 'issues' }) },
      { name: 'missing X-GitHub-Delivery', status: 400, error: 'invalid_input', build: () => request(PUSH_TEXT, { delivery: null }) },
      { name: 'missing X-GitHub-Event', status: 400, error: 'invalid_input', build: () => request(PUSH_TEXT, { delivery: DELIVERY, event: null }) },
      { name: 'signed JSON not shaped like a push', status: 400, error: 'invalid_input', build: () => request({ hello: 'world', zen: 'Keep it logically awesome.' }, { delivery: DELIVERY }) },
      {
        name: "a push whose 'after' is not a SHA",
        status: 400,
        error: 'invalid_input',
        build: () => request({ ...realPush(), after: 'HEAD' }, { delivery: DELIVERY }),
      },
      { name: 'a JSON array as a push', status: 400, error: 'invalid_input', build: () => request('[]', { delivery: DELIVERY }) },
      {
        name: 'a push payload sent as pull_request',
        status: 400,
        error: 'invalid_input',
        build: () => request(PUSH_TEXT, { delivery: DELIVERY, event: 'pull_request' }),
      },
    ];

    test.each(cases)('$name → $status', async ({ build, status, error }) => {
      const response = await send(await build());

      expect(response.status).toBe(status);
      if (error) {
        expect(response.body).toEqual({ error, reason: expect.any(String) });
        expect(response.body.reason.length).toBeGreaterThan(10);
      } else {
        expect(response.body.accepted).toBe(false);
        expect(response.body.ignored).toEqual([expect.stringMatching(/issues/)]);
      }
      expect(await allDeployments()).toEqual([]);
      expect(queue.messages).toEqual([]);

      // The rejected request did not use up the delivery id: GitHub's real delivery with it still works.
      if (status >= 400) {
        const real = await send(await request(PUSH_TEXT, { delivery: DELIVERY }));
        expect(real.status).toBe(202);
        expect(await deploymentsIn('dev')).toHaveLength(1);
      }
    });

    test('an oversized body is refused before the secret is even fetched', async () => {
      const secrets = jest.fn(async () => [SECRET]);
      const response = await send(await request(Buffer.alloc(MAX_BODY_BYTES + 1, 'a'), { signature: null }), { secrets });
      expect(response.status).toBe(413);
      expect(secrets).not.toHaveBeenCalled();
    });

    test('a body exactly at the limit gets past the size check', async () => {
      const response = await send(await request(Buffer.alloc(MAX_BODY_BYTES, ' '), { signature: 'sha256=00' }));
      expect(response.status).toBe(401);
    });
  });

  describe('redelivery', () => {
    test('the same delivery twice: the second is a duplicate and nothing more is queued', async () => {
      const req = await request(realPush());

      const first = await send(req);
      const second = await send(req);

      expect(first.status).toBe(202);
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ duplicate: true, delivery: req.headers['x-github-delivery'] });
      expect(await allDeployments()).toHaveLength(1);
      expect(queue.messages).toHaveLength(1);
    });

    test('the same delivery 10 times at once: exactly one deployment and one message', async () => {
      const req = await request(realPush());

      const responses = await Promise.all(Array.from({ length: 10 }, () => send(req)));

      expect(responses.map(r => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
      expect(responses.filter(r => r.body.duplicate === true)).toHaveLength(9);
      const deployments = await allDeployments();
      expect(deployments).toHaveLength(1);
      expect(deployments[0].status).toBe('queued');
      expect(queue.messages).toEqual([{ deploymentId: deployments[0].id }]);
    });

    test('distinct deliveries of distinct commits each queue a deployment', async () => {
      await send(await request({ ...realPush(), after: sha('one') }));
      await send(await request({ ...realPush(), after: sha('two') }));
      const dev = await deploymentsIn('dev');
      expect(dev.map(d => d.commit)).toEqual([sha('two'), sha('one')]); // newest first
      expect(queue.messages).toHaveLength(2);
    });
  });

  describe('failures', () => {
    const INTERNAL = 'AccessDenied: https://sqs.eu-west-1.amazonaws.com/111122223333/trellis-launch';

    test('a queue that throws: 500 without internals, the delivery is forgotten, and a redelivery succeeds', async () => {
      const broken: LaunchQueue = { send: async () => { throw new Error(INTERNAL); } };
      const req = await request(realPush());

      const failed = await send(req, { queue: broken });

      expect(failed.status).toBe(500);
      expect(failed.body).toEqual({ error: 'internal_error', reason: expect.any(String) });
      expect(failed.raw).not.toMatch(/AccessDenied|sqs|111122223333/);
      expect(logs).toEqual(expect.arrayContaining([expect.objectContaining({ message: 'webhook processing failed', error: INTERNAL })]));
      // The deployment no launcher will ever hear of does not stay queued forever.
      const [orphan] = await deploymentsIn('dev');
      expect(orphan.status).toBe('failed');
      expect(orphan.reason).toMatch(/launcher/);

      const retried = await send(req);

      expect(retried.status).toBe(202);
      expect(queue.messages).toHaveLength(1);
      const queued = (await deploymentsIn('dev')).filter(d => d.status === 'queued');
      expect(queued).toHaveLength(1);
      expect(queue.messages).toEqual([{ deploymentId: queued[0].id }]);
    });

    test('a store that fails while routing: 500, and the delivery is forgotten', async () => {
      const failingStore: Store = {
        ...store,
        config: { ...store.config, listApplications: async () => { throw new Error('ProvisionedThroughputExceededException'); } },
      };
      const req = await request(realPush());

      const failed = await send(req, { store: failingStore });
      expect(failed.status).toBe(500);
      expect(failed.body.error).toBe('internal_error');
      expect(failed.raw).not.toMatch(/Provisioned/);

      expect((await send(req)).status).toBe(202);
      expect(await deploymentsIn('dev')).toHaveLength(1);
    });

    test('a store that cannot record the delivery: 500 JSON, not a throw', async () => {
      const failingStore: Store = {
        ...store,
        deliveries: { ...store.deliveries, recordFirst: async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:8000'); } },
      };
      const failed = await send(await request(realPush()), { store: failingStore });
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual({ error: 'internal_error', reason: expect.any(String) });
      expect(failed.raw).not.toMatch(/ECONNREFUSED/);
      expect(await allDeployments()).toEqual([]);
      expect(queue.messages).toEqual([]);
    });

    test('a secret that cannot be read: 500 JSON, not a throw', async () => {
      const failed = await send(await request(realPush()), { secrets: async () => { throw new Error('ResourceNotFoundException: trellis/webhook'); } });
      expect(failed.status).toBe(500);
      expect(failed.body.error).toBe('internal_error');
      expect(failed.raw).not.toMatch(/trellis\/webhook/);
      expect(await allDeployments()).toEqual([]);
    });
  });

  describe('the signature covers the raw bytes', () => {
    /** A real push whose commit message holds `bytes` (not valid UTF-8) where `MARK` stands. */
    function pushWithBytes(bytes: Buffer): Buffer {
      const payload = realPush();
      payload.head_commit!.message = 'fix MARK here';
      const [before, after] = JSON.stringify(payload).split('MARK');
      return Buffer.concat([Buffer.from(before), bytes, Buffer.from(after)]);
    }

    test('a body with invalid UTF-8, signed over its bytes, verifies and deploys', async () => {
      const body = pushWithBytes(Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]));
      expect(Buffer.from(body.toString('utf8'), 'utf8').equals(body)).toBe(false); // decoding loses bytes
      const response = await send(await request(body));
      expect(response.status).toBe(202);
      expect((await deploymentsIn('dev')).map(d => d.commitMessage)).toEqual([expect.stringMatching(/^fix .+ here$/)]);
    });

    test('the same text signed over its decoded-then-re-encoded form does not verify', async () => {
      const body = pushWithBytes(Buffer.from([0xff, 0xfe]));
      const lossy = Buffer.from(body.toString('utf8'), 'utf8');
      const response = await send(await request(body, { signature: githubSignature(SECRET, lossy) }));
      expect(response.status).toBe(401);
      expect(await allDeployments()).toEqual([]);
    });

    test('two byte sequences that decode to the same text do not share a signature', async () => {
      const first = pushWithBytes(Buffer.from([0xff]));
      const second = pushWithBytes(Buffer.from([0xfe]));
      expect(first.toString('utf8')).toBe(second.toString('utf8'));
      expect((await send(await request(second, { signature: githubSignature(SECRET, first) }))).status).toBe(401);
      expect(signatureMatches(SECRET, first, githubSignature(SECRET, first))).toBe(true);
      expect(signatureMatches(SECRET, second, githubSignature(SECRET, first))).toBe(false);
    });

    test("every one of GitHub's example payloads verifies against its bytes, and not with another secret", () => {
      let count = 0;
      for (const { examples: payloads } of examples) {
        for (const payload of payloads) {
          const body = Buffer.from(JSON.stringify(payload, null, 2));
          expect(signatureMatches(SECRET, body, githubSignature(SECRET, body))).toBe(true);
          expect(signatureMatches('another-secret', body, githubSignature(SECRET, body))).toBe(false);
          count++;
        }
      }
      expect(count).toBeGreaterThan(100);
    });

    test.each([
      ['no prefix', (hex: string) => hex],
      ['sha1 prefix', (hex: string) => `sha1=${hex}`],
      ['a digest one byte short', (hex: string) => `sha256=${hex.slice(0, -2)}`],
      ['a digest one byte long', (hex: string) => `sha256=${hex}00`],
      ['non-hex characters', (hex: string) => `sha256=${hex.slice(0, -1)}g`],
      ['the digest in base64', (hex: string) => `sha256=${Buffer.from(hex, 'hex').toString('base64')}`],
      ['two signatures', (hex: string) => `sha256=${hex},sha256=${hex}`],
    ])('a malformed header (%s) is a mismatch, never a throw', (_label, header) => {
      const body = Buffer.from('{"zen":"Keep it logically awesome."}');
      const hex = createHmac('sha256', SECRET).update(body).digest('hex');
      expect(signatureMatches(SECRET, body, `sha256=${hex}`)).toBe(true);
      expect(signatureMatches(SECRET, body, header(hex))).toBe(false);
    });
  });

  describe('fromHttpApiEvent', () => {
    /** A push as the HTTP API hands it to the webhook function. */
    const webhookEvent = (headers: Record<string, string | undefined>, body: string | undefined, isBase64Encoded: boolean) =>
      httpApiEvent('POST', '/webhook', { headers, body, isBase64Encoded });

    test('a base64 body is decoded to the exact bytes', () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i)); // every byte value, not valid UTF-8
      const { body } = fromHttpApiEvent(webhookEvent({}, bytes.toString('base64'), true));
      expect(body.equals(bytes)).toBe(true);
    });

    test('a plain body is taken as UTF-8 and a missing body as empty', () => {
      expect(fromHttpApiEvent(webhookEvent({}, '{"a":"é✓"}', false)).body.equals(Buffer.from('{"a":"é✓"}', 'utf8'))).toBe(true);
      expect(fromHttpApiEvent(webhookEvent({}, undefined, false)).body.length).toBe(0);
    });

    test('header names are lower-cased and absent values dropped', () => {
      const { headers } = fromHttpApiEvent(webhookEvent({
        'X-Hub-Signature-256': 'sha256=ab',
        'X-GitHub-Event': 'push',
        'Content-Type': 'application/json',
        'x-github-delivery': 'd-1',
        'X-Empty': undefined,
      }, '', false));
      expect(headers).toEqual({
        'x-hub-signature-256': 'sha256=ab',
        'x-github-event': 'push',
        'content-type': 'application/json',
        'x-github-delivery': 'd-1',
      });
    });

    test('a base64-encoded, non-ASCII push through the HTTP API shape verifies and deploys', async () => {
      const payload = realPush();
      payload.head_commit!.message = 'Überarbeitung: café ✓ 🚀\n\nmore';
      const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
      const event = webhookEvent({
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        'X-GitHub-Delivery': randomUUID(),
        'X-Hub-Signature-256': githubSignature(SECRET, bytes),
      }, bytes.toString('base64'), true);

      const response = await send(fromHttpApiEvent(event));

      expect(response.status).toBe(202);
      const [deployment] = await deploymentsIn('dev');
      expect(deployment.commitMessage).toBe('Überarbeitung: café ✓ 🚀');
    });
  });

  describe('push order', () => {
    /** Example [4] as the push of `after` on top of `before`, its head commit made at `committedAt`. */
    function pushOf(before: string, after: string, committedAt: string, forced = false): PushPayload {
      const payload = realPush();
      payload.before = before;
      payload.after = after;
      payload.forced = forced;
      payload.head_commit = { ...payload.head_commit!, id: after, tree_id: after, timestamp: committedAt };
      payload.commits = [payload.head_commit as any];
      return payload;
    }

    test('a push deployment keeps where GitHub says the push stands: before, pushed_at, head_commit.timestamp', async () => {
      expect((await send(await request(realPush()))).status).toBe(202);
      const [deployment] = await deploymentsIn('dev');
      expect(deployment.push).toEqual({
        before: '0'.repeat(40),
        pushedAt: new Date(Math.floor(T0 / 1000) * 1000).toISOString(),
        committedAt: '2019-05-15T15:19:25.000Z',
      });
      const forced = pushOf(sha('a'), sha('b'), '2019-05-15T15:19:25-04:00', true);
      expect((await send(await request(forced))).status).toBe(202);
      expect((await deploymentsIn('dev')).find(d => d.commit === sha('b'))?.push).toEqual({
        before: sha('a'), pushedAt: expect.any(String), committedAt: '2019-05-15T19:19:25.000Z', forced: true,
      });
    });

    test('two pushes delivered in the opposite order: the later push is what waits, the earlier one is superseded by it', async () => {
      const scheduler = new DeploymentScheduler(store, clock);
      const claimNewest = async () => scheduler.claim((await deploymentsIn('dev'))[0]);
      expect((await send(await request(pushOf(sha('0'), sha('1'), '2019-05-15T15:19:01Z')))).status).toBe(202);
      expect((await claimNewest()).launch).toBe(true);
      // Push 2 (1 → 2) and push 3 (2 → 3) were made in that order, but 3 is delivered first.
      expect((await send(await request(pushOf(sha('2'), sha('3'), '2019-05-15T15:19:03Z')))).status).toBe(202);
      expect((await claimNewest()).launch).toBe(false);
      expect((await send(await request(pushOf(sha('1'), sha('2'), '2019-05-15T15:19:02Z')))).status).toBe(202);
      const late = await claimNewest();
      const three = (await deploymentsIn('dev')).find(d => d.commit === sha('3'))!;
      expect(late.deployment).toMatchObject({
        commit: sha('2'),
        status: 'superseded',
        reason: `superseded by ${three.id}: its push moved the branch on from ${sha('2').slice(0, 12)} to ${sha('3').slice(0, 12)}`,
      });
      expect((await store.config.getEnvironment('hello-world', 'dev'))?.pending).toBe(three.id);
    });

    test.each([
      ['head_commit.timestamp', (p: Json) => { p.head_commit.timestamp = 'yesterday'; }],
      ['head_commit.timestamp', (p: Json) => { p.head_commit.timestamp = 1557933565; }],
      ['before', (p: Json) => { p.before = 'HEAD~1'; }],
    ])("a push whose '%s' is not GitHub's shape is refused, naming the field", async (field, spoil) => {
      const payload = realPush() as Json;
      spoil(payload);
      const response = await send(await request(payload));
      expect(response.status).toBe(400);
      expect(response.body.reason).toContain(`'${field}'`);
      expect(await allDeployments()).toEqual([]);
    });
  });

  describe('rejections are counted (WebhookRejections, by Reason)', () => {
    const INSTALLATION = 'acme-trellis';
    const rejections = () => logs.filter(line => line.message === 'webhook request rejected') as Json[];

    const cases: ReadonlyArray<readonly [string, string, number, () => Promise<WebhookRequest>]> = [
      ['a body over the limit', 'PayloadTooLarge', 413, () => request(Buffer.alloc(MAX_BODY_BYTES + 1, 'a'))],
      ['no signature', 'SignatureMissing', 401, () => request(realPush(), { signature: null })],
      ['a signature with another secret', 'SignatureMismatch', 401, async () => request(realPush(), { signature: githubSignature('not-the-secret', JSON.stringify(realPush())) })],
      ['a signature of another shape', 'SignatureMismatch', 401, () => request(realPush(), { signature: 'sha1=abc' })],
      ['a form-encoded body', 'UnsupportedContentType', 415, () => request(realPush(), { contentType: 'application/x-www-form-urlencoded' })],
      ['no event header', 'MalformedHeaders', 400, () => request(realPush(), { event: null })],
      ['a delivery id with a slash', 'MalformedHeaders', 400, () => request(realPush(), { delivery: 'a/b' })],
      ['a body that is not JSON', 'MalformedPayload', 400, () => request('{"ref": ')],
      ['a push without a repository', 'MalformedPayload', 400, () => request({ ...realPush(), repository: undefined })],
      ['a push made eight days ago', 'PushTooOld', 200, async () => {
        const payload = realPush();
        payload.repository.pushed_at = Math.floor(T0 / 1000) - 8 * 24 * 3600;
        return request(payload);
      }],
      ['a push of a repository no application uses', 'UnknownRepository', 202, async () => {
        const payload = realPush();
        payload.repository.full_name = 'someone-else/Hello-World';
        return request(payload);
      }],
    ];

    test.each(cases)('%s: one EMF line, Reason %s (HTTP %i)', async (_what, reason, status, make) => {
      const response = await send(await make(), { installation: INSTALLATION });
      expect(response.status).toBe(status);
      const [line, ...rest] = rejections();
      expect(rest).toEqual([]);
      expect(line).toMatchObject({ Installation: INSTALLATION, Reason: reason, WebhookRejections: 1, status });
      expect(line._aws).toEqual({
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [{
          Namespace: 'Trellis',
          Dimensions: [['Installation'], ['Installation', 'Reason']],
          Metrics: [{ Name: 'WebhookRejections', Unit: 'Count' }],
        }],
      });
      expect(await allDeployments()).toEqual([]);
    });

    test('without an installation (local mode) a rejection is logged without a metric', async () => {
      const response = await send(await request(realPush(), { signature: null }));
      expect(response.status).toBe(401);
      expect(rejections()).toEqual([expect.objectContaining({ Reason: 'SignatureMissing', status: 401 })]);
      expect(rejections()[0]).not.toHaveProperty('_aws');
    });

    test.each([
      ['a push that deploys', () => request(realPush())],
      ['a ping', () => request(example('ping'), { event: 'ping' })],
      ['a repeated delivery', () => request(realPush(), { delivery: 'same-delivery' })],
      ['a tag push', () => request({ ...realPush(), ref: 'refs/tags/v1', after: sha('tag') })],
    ] as const)('%s is not a rejection', async (_what, make) => {
      await send(await make(), { installation: INSTALLATION });
      await send(await make(), { installation: INSTALLATION });
      expect(rejections()).toEqual([]);
    });
  });
});
