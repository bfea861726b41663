import { IncomingMessage, ServerResponse } from 'http';
import { Refusal } from './credentials';
import { readBody } from '../dashboard-server';

/** A request as the stand-in's routes see it. */
export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The route pattern's captures, decoded. */
  readonly params: readonly string[];
  /** A JSON or form body as an object ({} when there is none). */
  readonly body: Readonly<Record<string, unknown>>;
  readonly headers: IncomingMessage['headers'];
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export type Route = readonly [method: string, pattern: RegExp, handle: (request: StandInRequest) => Answer | Promise<Answer>];

const MAX_BODY_BYTES = 1024 * 1024;
const DOCS = 'https://docs.github.com/rest';

/** Pages: nothing runs in them, they load nothing, and no other site may frame them. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

/** GitHub's error body. */
export function refusal(status: number, message: string): Answer {
  return json(status, { message, documentation_url: DOCS, status: String(status) });
}

export function page(status: number, title: string, content: string): Answer {
  const body = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · GitHub stand-in</title></head>`
    + `<body><h1>${escapeHtml(title)}</h1>\n${content}\n<p><small>Trellis' local GitHub stand-in</small></p></body></html>\n`;
  return { status, headers: PAGE_HEADERS, body };
}

export function redirect(location: string): Answer {
  return { status: 302, headers: { location } };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, char => `&#${char.charCodeAt(0)};`);
}

/** A hidden form field. */
export function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

/** The first route matching the request answers it; a Refusal thrown becomes GitHub's error answer. */
export async function answer(routes: readonly Route[], request: IncomingMessage, path: string, query: URLSearchParams): Promise<Answer> {
  const method = request.method ?? 'GET';
  for (const [routeMethod, pattern, handle] of routes) {
    const match = routeMethod === method ? pattern.exec(path) : null;
    if (!match) continue;
    const raw = await readBody(request, MAX_BODY_BYTES);
    if (raw === undefined) return refusal(413, 'Payload too large');
    let params: string[];
    try {
      params = match.slice(1).map(value => decodeURIComponent(value ?? ''));
    } catch {
      return refusal(400, 'Problems parsing the path');
    }
    const body = parseBody(raw, request.headers['content-type']);
    if (body === undefined) return refusal(400, 'Problems parsing JSON');
    try {
      return await handle({ method, path, query, params, body, headers: request.headers });
    } catch (error) {
      if (error instanceof Refusal) return refusal(error.status, error.message);
      throw error;
    }
  }
  return refusal(404, 'Not Found');
}

function parseBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  if ((contentType ?? '').startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(text);
    const fields: Record<string, string | string[]> = {};
    for (const key of new Set(form.keys())) {
      const values = form.getAll(key);
      fields[key] = values.length === 1 ? values[0] : values;
    }
    return fields;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

export function send(response: ServerResponse, result: Answer): void {
  response.writeHead(result.status, { ...result.headers });
  response.end(result.body);
}
