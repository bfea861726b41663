import { ApiDeps, ApiRequest } from './api-call';
import { recordAudit } from './audit-recording';
import { MAX_BODY_BYTES, bodyBytes, parseJsonBody } from './request-body';
import { Route, checkParams, matchRoute } from './router';
import { ROUTES } from './routes';
import { TrellisError, errorMessage } from '../core/errors';
import { HttpResponse, errorResponse, rejection } from '../core/http';

export type { ApiCall, ApiDeps, ApiRequest } from './api-call';
export { principalFromClaims } from '../core/access';

/**
 * The control API (routes and shapes: core/api-types.ts). Parse → authorize → core → JSON.
 *
 * | answer | when |
 * |---|---|
 * | 401 | no principal, on every path but GET /api/health (unknown paths too: nothing is revealed) |
 * | 404 | unknown path; application, environment or deployment not found |
 * | 405 | known path, other method (`allow` header lists the methods) |
 * | 413 | body over MAX_BODY_BYTES |
 * | 400 | invalid path parameter, query, JSON or body field (the reason names it) |
 * | 403 | the caller's role does not allow it (the reason says which role is needed) |
 * | 409 | nothing to promote, no next environment, or the state moved on |
 *
 * Every call of a route with an `audit` description made with a principal is recorded in the
 * audit trail once it is answered, whatever the answer (audit-recording.ts).
 */
export async function handleApiRequest(request: ApiRequest, deps: ApiDeps): Promise<HttpResponse> {
  const match = matchRoute(ROUTES, request.method.toUpperCase(), request.path);
  const isPublic = match.kind === 'found' && match.route.public === true;
  if (!request.principal && !isPublic) {
    return rejection(401, 'unauthorized', request.refusal === undefined ? 'sign in: this API needs a bearer token' : `the token was refused: ${request.refusal}`);
  }
  if (match.kind === 'not-found') return rejection(404, 'not_found', `no route ${request.method.toUpperCase()} ${printablePath(request.path)}`);
  if (match.kind === 'wrong-method') {
    const response = rejection(405, 'method_not_allowed', `${printablePath(request.path)} answers ${match.allowed.join(', ')}`);
    return { ...response, headers: { ...response.headers, allow: match.allowed.join(', ') } };
  }
  const { route, params } = match;
  const response = await answer(route, params, request, deps);
  if (route.audit && request.principal) await recordAudit(route.audit, request.principal, { params, body: bodyBytes(request.body) > MAX_BODY_BYTES ? '' : request.body }, response, deps);
  return response;
}

async function answer(route: Route, params: Readonly<Record<string, string>>, request: ApiRequest, deps: ApiDeps): Promise<HttpResponse> {
  const takesBody = route.method !== 'GET';
  if (takesBody && bodyBytes(request.body) > MAX_BODY_BYTES) {
    return rejection(413, 'payload_too_large', `the body is ${bodyBytes(request.body)} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
  try {
    checkParams(params);
    return await route.handle({
      principal: request.principal!, // only the public route runs without one, and it reads none
      params,
      query: request.query,
      body: takesBody ? parseJsonBody(request.body) : undefined,
      deps,
    });
  } catch (error) {
    if (!(error instanceof TrellisError)) {
      deps.log({ message: 'api request failed', method: request.method, route: route.path, subject: request.principal?.subject, error: errorMessage(error) });
    }
    return errorResponse(error);
  }
}

function printablePath(path: string): string {
  return path.replace(/[^\x21-\x7e]/g, '?').slice(0, 200);
}
