'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { handler } = require('../src/handler');

const request = (body, method = 'POST', rawPath = '/quote') => ({
  rawPath,
  requestContext: { http: { method } },
  body: typeof body === 'string' ? body : JSON.stringify(body),
  isBase64Encoded: false,
});

test('POST /quote returns the discounted quote', async () => {
  const response = await handler(request({ items: [{ sku: 'mug', unitPrice: 1200, quantity: 10 }] }));
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(response.body), { currency: 'EUR', subtotal: 12000, discount: 1200, total: 10800 });
});

test('bad input is a 400 with a message', async () => {
  assert.equal((await handler(request('not json'))).statusCode, 400);
  const response = await handler(request({ items: [{ unitPrice: -1, quantity: 1 }] }));
  assert.equal(response.statusCode, 400);
  assert.match(JSON.parse(response.body).message, /unitPrice/);
});

test('unknown routes are a 404', async () => {
  assert.equal((await handler(request({}, 'GET', '/'))).statusCode, 404);
});

test('GET /health answers 200 ok with the deployed commit', async t => {
  // As deployed: src/ beside the version.json the deploy script writes.
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'sample-stage-'));
  t.after(() => fs.rmSync(stage, { recursive: true, force: true }));
  fs.cpSync(path.join(__dirname, '..', 'src'), path.join(stage, 'src'), { recursive: true });
  fs.writeFileSync(path.join(stage, 'version.json'), JSON.stringify({ commit: 'c0ffee', stage: 'dev' }));
  const deployed = require(path.join(stage, 'src', 'handler.js'));

  const response = await deployed.handler(request(undefined, 'GET', '/health'));
  assert.equal(response.statusCode, 200);
  assert.deepEqual(JSON.parse(response.body), { status: 'ok', commit: 'c0ffee' });
  // Not deployed (this checkout): still healthy, no commit.
  assert.deepEqual(JSON.parse((await handler(request(undefined, 'GET', '/health'))).body), { status: 'ok', commit: null });
  assert.equal((await handler(request(undefined, 'POST', '/health'))).statusCode, 404);
});
