'use strict';

const { quote } = require('./pricing');

const json = (statusCode, body) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** API Gateway HTTP API (payload v2) handler: POST /quote with { "items": [...] }. */
exports.handler = async event => {
  const route = `${event.requestContext?.http?.method} ${event.rawPath}`;
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
