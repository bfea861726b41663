'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
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
