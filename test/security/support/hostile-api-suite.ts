import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Canary, HostileValue, hostileCorpus, titled } from './hostile-corpus';
import { AuditEntryView } from '../../../src/runtime/core/api-types';
import { TableContext } from '../../../src/runtime/store/table-context';
import { Harness, admin, apiHarness, sha } from '../../api/harness';
import { freshStore } from '../../support/test-table';

/**
 * The hostile corpus in every path parameter, query parameter and body field of the control
 * API: 400 (naming the parameter), 404 or 413 with `{ error, reason }`, and the stores exactly
 * as they were. Variable and secret values are data: stored exactly, or refused whole.
 *
 * One suite, two stores: hostile-api.test.ts runs it on the in-memory store (which passes the
 * same store tests as the DynamoDB one), hostile-api-dynamodb.test.ts on DynamoDB Local (test:slow).
 */
export function describeHostileApi(storeName: string, makeStore: typeof freshStore): void {
  const canary = new Canary();
  const CORPUS = titled(hostileCorpus(canary.path));
  const MAX_VARIABLE_VALUE = 4096;

  /** Percent-encoded as a client would send it; a lone surrogate (which has no UTF-8 form) as U+FFFD. */
  function encoded(value: string): string {
    return encodeURIComponent(Buffer.from(value).toString());
  }

  /** A POSIX environment variable name, except those JavaScript objects treat specially. */
  function isVariableName(value: string): boolean {
    return /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(value) && value !== '__proto__' && value !== 'constructor';
  }

  const ROUTES: ReadonlyArray<[string, string, string]> = [
    ['GET', '/api/apps/{app}', ''],
    ['GET', '/api/apps/{app}/environments/{env}/deployments', ''],
    ['POST', '/api/apps/{app}/environments/{env}/deploy', '{}'],
    ['POST', '/api/apps/{app}/environments/{env}/promote', '{}'],
    ['POST', '/api/apps/{app}/environments/{env}/rollback', JSON.stringify({ deploymentId: '20260101T000000000Z-00000001' })],
    ['POST', '/api/apps/{app}/environments/{env}/teardown', JSON.stringify({ confirm: 'dev' })],
    ['PUT', '/api/apps/{app}/environments/{env}/settings', JSON.stringify({ variables: { LOG_LEVEL: 'info' } })],
    ['GET', '/api/deployments/{id}', ''],
    ['GET', '/api/deployments/{id}/logs', ''],
    ['POST', '/api/deployments/{id}/cancel', '{}'],
    ['POST', '/api/apps/{app}/environments', JSON.stringify({ name: 'qa', kind: 'custom' })],
    ['DELETE', '/api/apps/{app}', JSON.stringify({ confirm: 'web' })],
    ['DELETE', '/api/apps/{app}/environments/{env}', JSON.stringify({ confirm: 'dev' })],
    ['GET', '/api/apps/{app}/audit', ''],
    ['GET', '/api/apps/{app}/notifications/failures', ''],
  ];
  const VALID: Record<string, string> = { app: 'web', env: 'dev' };

  describe(`control API: hostile input (${storeName})`, () => {
    let h: Harness;
    let deploymentId: string;
    let secretName: string;
    const audited: AuditEntryView[] = [];

    beforeAll(async () => {
      h = await apiHarness(undefined, makeStore);
      // Refusals are audited too: their entries are kept apart (checked below), so "the stores exactly as they were" holds.
      h.store.audit.record = async entry => {
        audited.push(entry);
      };
      h.commits.push('acme/web', 'main', { sha: sha(1), message: 'Ship it', author: 'octocat' });
      deploymentId = (await h.finished('web', 'dev', 'succeeded')).id;
      secretName = h.secretName('web', 'dev');
      await h.secrets.update(secretName, { API_KEY: 'k-123' });
    });
    afterAll(() => canary.remove());

    /** Everything a request could change: every item of the table (one scan), secrets, the queue, the runner. */
    async function state(): Promise<unknown> {
      return { items: await tableItems(h.ctx), secrets: h.secrets.value(secretName), sent: [...h.queue.sent], runs: [...h.runner.runs] };
    }

    /** A client error with `{ error, reason }` that does not echo the value raw or whole; nothing changed. */
    async function expectRefused(
      call: () => Promise<{ status: number; json: any; text: string }>,
      statuses: readonly number[],
      reasonStarts?: string,
    ): Promise<{ status: number; json: any }> {
      const before = await state();
      const response = await call();
      expect(statuses).toContain(response.status);
      expect(response.json).toEqual({ error: expect.any(String), reason: expect.any(String) });
      expect(response.json.reason).not.toMatch(/[\x00-\x1f\x7f]/);
      expect(response.text.length).toBeLessThan(2048);
      if (reasonStarts && response.status === 400) expect(response.json.reason.startsWith(reasonStarts)).toBe(true);
      expect(await state()).toEqual(before);
      return response;
    }

    describe.each(ROUTES)('%s %s', (method, template, body) => {
      const params = [...template.matchAll(/\{(\w+)\}/g)].map(match => match[1]);
      describe.each(params)('{%s}', param => {
        const pathWith = (value: string) => template.replace(/\{(\w+)\}/g, (_, name: string) => name === param ? value : name === 'id' ? deploymentId : VALID[name]);

        test.each(CORPUS)('%s', async (_name, { value, kinds }: HostileValue) => {
        // A '/' makes another path (no route: 404); an empty segment matches no route either.
          const otherPath = value === '' || value.includes('/');
          const unknownName = kinds.includes('well-formed') && param !== 'id';
          // An unknown well-formed name: 404, or 400 when the body is checked first (teardown's confirm names 'dev').
          const expected = otherPath ? [404] : unknownName ? [404, 400] : [400];
          for (const path of [pathWith(value), pathWith(encoded(value))]) {
            if (path !== pathWith(value) && otherPath && value !== '') {
            // Encoded, the '/' stays inside the segment: the name rule refuses it.
              await expectRefused(() => h.call(method, path, { principal: admin, body }), [400], `${param}: `);
              continue;
            }
            await expectRefused(() => h.call(method, path, { principal: admin, body }), expected, unknownName ? undefined : `${param}: `);
          }
        });
      });
    });

    describe.each([
      ['GET', '/api/apps/web/environments/dev/deployments', 'limit'],
      ['GET', '/api/apps/web/environments/dev/deployments', 'cursor'],
      ['GET', '/api/deployments/{id}/logs', 'from'],
      ['GET', '/api/deployments/{id}/logs', 'limit'],
    ])('%s %s ?%s=', (method, template, name) => {
      test.each(CORPUS)('%s', async (_name, { value }: HostileValue) => {
        const path = template.replace('{id}', deploymentId);
        if (value === '') {
        // An empty parameter is an absent one.
          expect((await h.call(method, path, { principal: admin, query: { [name]: value } })).status).toBe(200);
          return;
        }
        await expectRefused(() => h.call(method, path, { principal: admin, query: { [name]: value } }), [400], `${name}: `);
      });
    });

    describe('action bodies', () => {
      const actions = ['deploy', 'promote', 'rollback', 'teardown'];

      test.each(CORPUS)('%s as a field name of every action: 400 naming it', async (_name, { value }: HostileValue) => {
        for (const action of actions) {
          const body = JSON.stringify({ [value]: 'x' }); // JSON text: a "__proto__" key stays a key
          await expectRefused(() => h.call('POST', `/api/apps/web/environments/dev/${action}`, { principal: admin, body }), [400, 413]);
        }
        await expectRefused(() => h.call('POST', `/api/deployments/${deploymentId}/cancel`, { principal: admin, body: JSON.stringify({ [value]: 'x' }) }), [400, 413]);
      });

      test.each(CORPUS)('%s as the raw body: 400 or 413', async (_name, { value }: HostileValue) => {
        if (value.trim() === '') return; // an empty body is {}: covered by the actions' own tests
        for (const action of actions) {
        // Not JSON: 'body: ...'; JSON of another shape names its field ('$ne: is not a known field').
          await expectRefused(() => h.call('POST', `/api/apps/web/environments/dev/${action}`, { principal: admin, body: value }), [400, 413]);
        }
      });

      test.each(CORPUS)('%s as rollback deploymentId and teardown confirm: 400 naming the field', async (_name, { value }: HostileValue) => {
        await expectRefused(() => h.call('POST', '/api/apps/web/environments/dev/rollback', { principal: admin, body: { deploymentId: value } }), [400, 413], 'deploymentId: ');
        await expectRefused(() => h.call('POST', '/api/apps/web/environments/dev/teardown', { principal: admin, body: { confirm: value } }), [400, 413], 'confirm: ');
      });
    });

    describe('settings', () => {
      const put = (body: unknown) => h.call('PUT', '/api/apps/web/environments/dev/settings', { principal: admin, body: JSON.stringify(body) });

      test.each(CORPUS)('%s as a variable or secret name: 400 naming it, unless it is a variable name', async (_name, { value }: HostileValue) => {
        if (isVariableName(value)) {
          expect((await put({ variables: { [value]: 'x' } })).status).toBe(200);
          expect((await h.store.config.getEnvironment('web', 'dev'))?.variables[value]).toBe('x');
          expect(Object.getPrototypeOf((await h.store.config.getEnvironment('web', 'dev'))?.variables)).toBe(Object.prototype);
          expect((await put({ variables: { [value]: null } })).status).toBe(200);
          return;
        }
        await expectRefused(() => put({ variables: { [value]: 'x' } }), [400, 413], 'variables');
        await expectRefused(() => put({ secrets: { [value]: 'x' } }), [400, 413], 'secrets');
      });

      // Variable and secret values are whatever the app needs (URLs, JSON, shell snippets it
      // runs itself): data, stored exactly. Only NUL and values over 4096 characters are refused.
      test.each(CORPUS)('%s as a variable and a secret value: stored exactly, or refused whole', async (_name, { value }: HostileValue) => {
        const refused = value.includes('\0') || value.length > MAX_VARIABLE_VALUE || Buffer.from(value).toString() !== value;
        if (refused) {
          await expectRefused(() => put({ variables: { HOSTILE: value } }), [400, 413], 'variables.HOSTILE: ');
          await expectRefused(() => put({ secrets: { HOSTILE_SECRET: value } }), [400, 413], 'secrets.HOSTILE_SECRET: ');
          return;
        }
        const secrets = await put({ secrets: { HOSTILE_SECRET: value } });
        const variables = await put({ variables: { HOSTILE: value } });

        expect([secrets.status, variables.status]).toEqual([200, 200]);
        expect((await h.store.config.getEnvironment('web', 'dev'))?.variables.HOSTILE).toBe(value);
        expect(h.secrets.value(secretName).HOSTILE_SECRET).toBe(value);
        // The answer lists secret names only (short values could appear by chance in other fields).
        if (value.length >= 6) expect(secrets.text).not.toContain(JSON.stringify(value).slice(1, -1));
        await put({ variables: { HOSTILE: null }, secrets: { HOSTILE_SECRET: null } });
      });

      test.each(CORPUS)('%s as the branch: refused naming it, or a git branch name stored exactly', async (_name, { value }: HostileValue) => {
        const before = await state();
        const response = await put({ branch: value });
        if (response.status === 200) {
          expect((await h.store.config.getEnvironment('web', 'dev'))?.branch).toBe(value);
          expect(value).not.toMatch(/[\x00-\x20\x7f]|\.\.|^$/);
          await put({ branch: null });
          expect(await state()).toEqual(before);
        } else {
          expect([400, 413]).toContain(response.status);
          if (response.status === 400) expect(response.json.reason).toMatch(/^branch: /);
          expect(await state()).toEqual(before);
        }
      });
    });

    test('the audit entries of the refusals hold bounded, printable values and a valid application or `*`', () => {
      expect(audited.length).toBeGreaterThan(0);
      for (const entry of audited) {
        expect(JSON.stringify(entry).length).toBeLessThan(20_000);
        expect(entry.application).toMatch(/^(\*|[a-z][a-z0-9-]*)$/);
        for (const value of [entry.environment, entry.target, entry.result.reason, ...entry.details ?? []]) {
          if (value !== undefined) expect(value).not.toMatch(/[\x00-\x1f\x7f]/);
        }
      }
    });

    test('no value in the corpus ever ran a command', () => {
      expect(canary.fired()).toBe(false);
    });
  });
}

/** The table's items, all of them: a handful in these tests, so one page. */
async function tableItems(ctx: TableContext): Promise<unknown[]> {
  const page = await ctx.doc.send(new ScanCommand({ TableName: ctx.tableName, ConsistentRead: true }));
  if (page.LastEvaluatedKey) throw new Error('the table has more items than one scan page: compare them page by page');
  return page.Items ?? [];
}
