import { createHmac, randomUUID } from 'crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import examples from '@octokit/webhooks-examples';
import { Canary, HostileValue, hostileCorpus, titled } from './support/hostile-corpus';
import { keys } from '../../src/contract/table-schema';
import { Deployment, LaunchMessage, LaunchQueue, Store } from '../../src/runtime/core';
import { TableContext } from '../../src/runtime/store/table-context';
import { WebhookRequest, handleWebhook } from '../../src/runtime/webhook/webhook-handler';
import { T0, appConfig, envConfig, steppingClock } from '../store/fixtures';
import { freshStore } from '../support/test-table';

/**
 * The hostile corpus in every field of a signed GitHub push the handler reads, and in its
 * headers: a clear 4xx or a clean ignore, never a deployment for a name that is not one.
 * Commit message and author are data: stored as sent (first line, bounded).
 */

const SECRET = 'hostile-webhook-secret-91ab';
const canary = new Canary();
const CORPUS = titled(hostileCorpus(canary.path));

/** Codertocat/Hello-World as in GitHub's examples; `kelvin` catches case-folding look-alikes. */
const APPS = [
  appConfig('hello-world', [
    envConfig('dev', { kind: 'development', branch: 'master', autoDeploy: true }),
    envConfig('preview', { kind: 'custom', branch: 'feature', autoDeploy: true }),
  ], 'Codertocat/Hello-World'),
  appConfig('kelvin', [envConfig('dev', { kind: 'development', branch: 'master', autoDeploy: true })], 'acme/kelvin'),
];
const ENVIRONMENTS: ReadonlyArray<[string, string]> = [['hello-world', 'dev'], ['hello-world', 'preview'], ['kelvin', 'dev']];

type Json = Record<string, any>;

/** GitHub's push example 4: refs/heads/master of Codertocat/Hello-World, pushed when the test clock starts. */
function push(pushedAt = T0): Json {
  const found = examples.find(d => d.name === 'push');
  const payload = structuredClone(found!.examples[4]) as Json;
  payload.repository.pushed_at = Math.floor(pushedAt / 1000); // Unix seconds, as in push events
  return payload;
}

const DAY = 24 * 3600 * 1000;

let nextSha = 0;
/** A commit no other test used: each accepted push is a new push, not a replay. */
function freshSha(): string {
  return createHmac('sha1', 'hostile').update(String(nextSha++)).digest('hex');
}

function sign(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function request(payload: unknown, headers: Record<string, string | null> = {}): WebhookRequest {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const all: Record<string, string | null> = {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': randomUUID(),
    'x-hub-signature-256': sign(SECRET, body),
    ...headers,
  };
  return { headers: Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== null)), body };
}

/** What a message field keeps: independent of the handler's code, from its documented rule. */
function keptText(value: string, max: number): string {
  const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8'); // UTF-8 round trip: lone surrogates → U+FFFD
  if (value.length <= max) return wellFormed(value);
  return `${wellFormed(value.slice(0, max))}...`;
}

class RecordingQueue implements LaunchQueue {
  readonly messages: LaunchMessage[] = [];
  async send(message: LaunchMessage): Promise<void> {
    this.messages.push(message);
  }
}

describe('webhook: hostile input', () => {
  let store: Store;
  let ctx: TableContext;
  let queue: RecordingQueue;

  beforeAll(async () => {
    ({ store, ctx } = await freshStore(steppingClock()));
    await store.config.syncApplications(APPS);
  });
  beforeEach(() => {
    queue = new RecordingQueue();
  });
  afterAll(() => canary.remove());

  async function send(req: WebhookRequest): Promise<{ status: number; body: Json; raw: string }> {
    const response = await handleWebhook(req, { secrets: async () => [SECRET], store, queue, clock: steppingClock() });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    return { status: response.statusCode, body: JSON.parse(response.body) as Json, raw: response.body };
  }

  /** Every page: hundreds of deployments are made here, a first page would hide new ones. */
  async function allDeployments(): Promise<Deployment[]> {
    const all: Deployment[] = [];
    for (const [app, env] of ENVIRONMENTS) {
      let cursor: string | undefined;
      do {
        const page = await store.deployments.listByEnvironment(app, env, { limit: 100, cursor });
        all.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
    }
    return all;
  }

  async function storedDelivery(id: string): Promise<Json | undefined> {
    return (await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: keys.delivery(id) }))).Item;
  }

  /** A 4xx with `{ error, reason }`, or a 2xx that starts nothing and says why; the answer never echoes a huge or raw value. */
  function expectRefusedOrIgnored(response: { status: number; body: Json; raw: string }): void {
    expect(response.raw.length).toBeLessThan(2048);
    if (response.status >= 400) {
      expect(response.status).toBeLessThan(500);
      expect(response.body).toEqual({ error: expect.any(String), reason: expect.any(String) });
      expect(response.body.reason).not.toMatch(/[\x00-\x1f\x7f]/);
    } else {
      expect([200, 202]).toContain(response.status);
      expect(response.body.accepted).toBe(false);
      expect(response.body.ignored?.length ?? response.body.duplicate).toBeTruthy();
    }
  }

  /** Nothing deployed, nothing queued; a refused delivery left no record, an ignored one recorded `summary` exactly. */
  async function expectNothingStarted(
    before: number,
    req: WebhookRequest,
    response: { status: number },
    summary?: Json,
  ): Promise<void> {
    expect(queue.messages).toEqual([]);
    expect(await allDeployments()).toHaveLength(before);
    const delivery = req.headers['x-github-delivery'];
    if (delivery && /^[A-Za-z0-9-]{1,100}$/.test(delivery)) {
      const stored = await storedDelivery(delivery);
      if (response.status >= 400) expect(stored).toBeUndefined();
      else if (summary) expect(stored?.summary).toEqual(summary);
    }
  }

  describe.each([
    ['ref refs/heads/<value>', (value: string) => `refs/heads/${value}`],
    ['ref <value>', (value: string) => value],
    ['ref refs/tags/<value>', (value: string) => `refs/tags/${value}`],
  ])('%s', (_place, refOf) => {
    test.each(CORPUS)('%s', async (_name, { value }: HostileValue) => {
      const before = (await allDeployments()).length;
      const payload = { ...push(), ref: refOf(value), after: freshSha() };
      const req = request(payload);

      const response = await send(req);

      expectRefusedOrIgnored(response);
      await expectNothingStarted(before, req, response, { event: 'push', repository: 'Codertocat/Hello-World', ref: payload.ref, commit: payload.after });
    });
  });

  describe.each([
    ['repository.full_name <value>', (value: string) => value],
    ['repository.full_name Codertocat/<value>', (value: string) => `Codertocat/${value}`],
    ['repository.full_name acme/<value>', (value: string) => `acme/${value}`],
  ])('%s', (_place, nameOf) => {
    test.each(CORPUS)('%s', async (_name, { value }: HostileValue) => {
      const before = (await allDeployments()).length;
      const payload = push();
      payload.repository.full_name = nameOf(value);
      payload.after = freshSha();
      const req = request(payload);

      const response = await send(req);

      expectRefusedOrIgnored(response);
      await expectNothingStarted(before, req, response, { event: 'push', repository: payload.repository.full_name, ref: payload.ref, commit: payload.after });
    });
  });

  describe.each([
    ['after', (payload: Json, value: string) => ({ ...payload, after: value })],
    ['after, with a valid prefix', (payload: Json, value: string) => ({ ...payload, after: `${freshSha().slice(0, 39)}${value}` })],
  ])('%s', (_place, withValue) => {
    test.each(CORPUS)('%s: 400', async (_name, { value }: HostileValue) => {
      const before = (await allDeployments()).length;
      const req = request(withValue(push(), value));

      const response = await send(req);

      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'invalid_input', reason: expect.stringContaining("'after'") });
      await expectNothingStarted(before, req, response);
    });
  });

  describe('head_commit.id (not used: the push is deployed by `after`)', () => {
    test.each(CORPUS)('%s', async (_name, { value }: HostileValue) => {
      const payload: Json = { ...push(), after: freshSha() };
      payload.head_commit.id = value;

      const response = await send(request(payload));

      expect(response.status).toBe(202);
      expect(response.body.deployments).toEqual([expect.objectContaining({ environment: 'dev', commit: payload.after })]);
    });
  });

  // Commit messages and author names are free text people write: data for display, never
  // parsed or run. They are stored as sent; only bounded (first line, 500 / 100 characters).
  describe.each([
    ['head_commit.message', 'commitMessage', 500, (payload: Json, value: string) => { payload.head_commit.message = value; }],
    ['head_commit.author.username', 'author', 100, (payload: Json, value: string) => { payload.head_commit.author.username = value; }],
  ])('%s is data', (_place, field, max, put) => {
    test.each(CORPUS)('%s: deployed, stored exactly', async (_name, { value }: HostileValue) => {
      const payload: Json = { ...push(), after: freshSha() };
      put(payload, value);

      const response = await send(request(payload));

      expect(response.status).toBe(202);
      const [created] = response.body.deployments;
      const stored = await store.deployments.get(created.id);
      const expected = keptText(field === 'commitMessage' ? value.split('\n', 1)[0] : value, max);
      expect((stored as unknown as Json)[field]).toBe(expected);
      expect(queue.messages).toEqual([{ deploymentId: created.id }]);
    });
  });

  describe('X-GitHub-Event header', () => {
    test.each(CORPUS)('%s', async (_name, { value }: HostileValue) => {
      const before = (await allDeployments()).length;
      const req = request({ ...push(), after: freshSha() }, { 'x-github-event': value });

      const response = await send(req);

      expectRefusedOrIgnored(response);
      await expectNothingStarted(before, req, response);
    });
  });

  describe('X-GitHub-Delivery header', () => {
    test.each(CORPUS)('%s', async (_name, { value, kinds }: HostileValue) => {
      const before = (await allDeployments()).length;
      const req = request({ ...push(), after: freshSha() }, { 'x-github-delivery': value });

      const response = await send(req);

      if (kinds.includes('well-formed') || value === 'toString') {
        // Letters only: a GUID-like id like any other, stored as a plain key.
        expect(response.status).toBe(202);
        expect((await storedDelivery(value))?.deliveryId).toBe(value);
      } else {
        expect(response.status).toBe(400);
        expect(response.body.reason).toMatch(/X-GitHub-Delivery/);
        await expectNothingStarted(before, req, response);
      }
    });
  });

  describe('signatures: a hostile body is never looked at without the right one', () => {
    test.each(CORPUS)('%s as the signature header: 401', async (_name, { value }: HostileValue) => {
      const before = (await allDeployments()).length;
      const req = request({ ...push(), after: freshSha() }, { 'x-hub-signature-256': value });
      const response = await send(req);
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('unauthorized');
      await expectNothingStarted(before, req, response);
    });

    test.each(CORPUS)('%s in the ref, unsigned or signed with another secret: 401', async (_name, { value }: HostileValue) => {
      const before = (await allDeployments()).length;
      const payload = { ...push(), ref: `refs/heads/${value}`, after: freshSha() };
      const body = Buffer.from(JSON.stringify(payload));
      for (const signature of [null, sign('another-secret', body), sign(SECRET, Buffer.concat([body, Buffer.from(' ')]))]) {
        const req = request(payload, { 'x-hub-signature-256': signature });
        const response = await send(req);
        expect(response.status).toBe(401);
        await expectNothingStarted(before, req, response);
      }
    });
  });

  // The signature covers the body, not X-GitHub-Delivery: a captured body resent under a new id is the same push.
  describe('replay under a new delivery id', () => {
    async function deploymentsOf(commit: string): Promise<Deployment[]> {
      return (await allDeployments()).filter(d => d.commit === commit);
    }

    test('the same signed body twice: one deployment per environment; the second answer says why', async () => {
      const payload = { ...push(), after: freshSha() };

      // request() gives each call a new delivery id and the same body bytes, signed.
      const first = await send(request(payload));
      const replayed = await send(request(payload));

      expect(first.status).toBe(202);
      expect(replayed.status).toBe(200);
      expect(replayed.body).toMatchObject({ accepted: false, duplicate: true, ignored: [expect.stringMatching(/already received/)] });
      expect((await deploymentsOf(payload.after)).map(d => `${d.application}/${d.environment}`)).toEqual(['hello-world/dev']);
      expect(queue.messages).toHaveLength(1);
    });

    test('ten replays at once: exactly one deployment (the record is a conditional write)', async () => {
      const payload = { ...push(), after: freshSha() };

      const responses = await Promise.all(Array.from({ length: 10 }, () => send(request(payload))));

      expect(responses.filter(r => r.status === 202)).toHaveLength(1);
      expect(responses.filter(r => r.body.duplicate === true)).toHaveLength(9);
      expect(await deploymentsOf(payload.after)).toHaveLength(1);
      expect(queue.messages).toHaveLength(1);
    });

    test('a different after still deploys, and so does a later force-push back to an earlier commit', async () => {
      const a = freshSha();
      const b = freshSha();
      const pushes = [
        { ...push(), before: freshSha(), after: a },
        { ...push(), before: a, after: b },
        { ...push(), before: b, after: a }, // git push --force back to a
      ];

      const statuses = [];
      for (const payload of pushes) statuses.push((await send(request(payload))).status);

      expect(statuses).toEqual([202, 202, 202]);
      expect(await deploymentsOf(a)).toHaveLength(2);
      expect(await deploymentsOf(b)).toHaveLength(1);
      expect(queue.messages).toHaveLength(3);
    });

    test('a push older than its replay record lives (7 days) deploys nothing, whatever its delivery id', async () => {
      // A body captured 8 days ago: its replay record may have expired, its signed pushed_at has not changed.
      const old = { ...push(T0 - 8 * DAY), after: freshSha() };
      const recent = { ...push(T0 - 6 * DAY), after: freshSha() };

      const refused = await send(request(old));
      const accepted = await send(request(recent));

      expect(refused.status).toBe(200);
      expect(refused.body).toMatchObject({ accepted: false, ignored: [expect.stringMatching(/^this push was made at 2026-02-21T.*more than 167 hours ago/)] });
      expect(await deploymentsOf(old.after)).toEqual([]);
      expect(accepted.status).toBe(202);
      expect(await deploymentsOf(recent.after)).toHaveLength(1);
      expect(queue.messages).toHaveLength(1);
    });

    test('a pushed_at that is not a time is refused with the field named', async () => {
      for (const value of ['yesterday', -1, 1.5, { $gt: 0 }, '2026-03-01T12:00:00Z'.repeat(3)]) {
        const payload: Json = { ...push(), after: freshSha() };
        payload.repository = { ...payload.repository, pushed_at: value };
        const response = await send(request(payload));
        expect(response.status).toBe(400);
        expect(response.body.reason).toContain("'repository.pushed_at' is not a time");
      }
      expect(queue.messages).toEqual([]);
    });

    test('a push whose processing failed can be delivered again (its replay record is forgotten)', async () => {
      const payload = { ...push(), after: freshSha() };
      const broken: LaunchQueue = { send: async () => { throw new Error('SQS is down'); } };

      const failed = await handleWebhook(request(payload), { secrets: async () => [SECRET], store, queue: broken, clock: steppingClock() });
      const retried = await send(request(payload));

      expect(failed.statusCode).toBe(500);
      expect(retried.status).toBe(202);
      expect((await deploymentsOf(payload.after)).map(d => d.status).sort()).toEqual(['failed', 'queued']);
    });
  });

  test('no value in the corpus ever ran a command', () => {
    expect(canary.fired()).toBe(false);
  });
});
