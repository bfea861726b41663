'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { quote } = require('./pricing');

const json = (statusCode, body) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** The deployed commit, from the version.json the deploy script writes beside src/; null when there is none. */
function deployedCommit() {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'version.json'), 'utf8')).commit ?? null;
  } catch {
    return null;
  }
}

/** API Gateway HTTP API (payload v2) handler: POST /quote with { "items": [...] }; GET /health. */
exports.handler = async event => {
  const route = `${event.requestContext?.http?.method} ${event.rawPath}`;
  if (route === 'GET /health') return json(200, { status: 'ok', commit: deployedCommit() });
  if (route !== 'POST /quote') return json(404, { message: `no route ${route}` });

  let request;
  try {
    const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString() : event.body;
    request = JSON.parse(raw ?? '');
  } catch {
    return json(400, { message: 'body must be JSON' });
  }

  try {
    return json(200, { currency: 'EUR', ...quote(request.items) });
  } catch (error) {
    return json(400, { message: error.message });
  }
};
