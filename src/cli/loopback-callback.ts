import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import { CliError, EXIT } from './exit-codes';
import { printable } from '../runtime/core/names';

/** The browser has this long to come back before `trellis login` gives up. */
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** Where the sign-in sends the browser back to: path `/callback` of a listener on 127.0.0.1. */
export const CALLBACK_PATH = '/callback';

export interface LoopbackOptions {
  /** 0: any free port. */
  readonly port: number;
  /** The `state` the sign-in was started with: a callback without it is refused. */
  readonly state: string;
  readonly signal?: AbortSignal;
  /** @default 5 minutes */
  readonly timeoutMs?: number;
}

export interface LoopbackCallback {
  /** The port listened on (the one asked for, or the free one chosen). */
  readonly port: number;
  /** The callback's `code`; rejects (CliError, auth) on a refusal, a wrong state, the timeout or the signal. */
  readonly code: Promise<string>;
  close(): void;
}

/**
 * A one-shot HTTP listener on 127.0.0.1 for the browser's return from a sign-in (RFC 8252's
 * loopback redirect): the first request to `/callback` settles it, with the `code` when its
 * `state` is the one given, and the listener closes. The page it answers says what happened.
 */
export async function listenForCallback(options: LoopbackOptions): Promise<LoopbackCallback> {
  let settle!: { resolve: (code: string) => void; reject: (error: Error) => void };
  const code = new Promise<string>((resolve, reject) => settle = { resolve, reject });
  code.catch(() => undefined); // the caller awaits it; an early close must not be an unhandled rejection
  const server = createServer((request, response) => answer(request, response));
  let done = false;
  const finish = (outcome: { code: string } | { error: CliError }) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    // Closes idle connections too; the answering one ends after its page (connection: close).
    server.close();
    if ('code' in outcome) settle.resolve(outcome.code);
    else settle.reject(outcome.error);
  };
  const onAbort = () => finish({ error: new CliError('sign-in cancelled', EXIT.auth) });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(() => finish({ error: new CliError(`the browser did not come back within ${Math.round(timeoutMs / 1000)} s: run trellis login again`, EXIT.auth) }), timeoutMs);
  timer.unref();

  function answer(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method !== 'GET' || url.pathname !== CALLBACK_PATH || done) {
      page(response, 404, 'Nothing here', 'This is trellis login waiting for a sign-in to come back.');
      return;
    }
    const query = url.searchParams;
    if (query.get('state') !== options.state) {
      page(response, 400, 'Not signed in', 'This answer does not belong to the sign-in the terminal started. Run trellis login again.');
      finish({ error: new CliError('the sign-in answer did not match the sign-in started here (state): run trellis login again', EXIT.auth) });
    } else if (query.get('error')) {
      const reason = printable(query.get('error_description') ?? query.get('error')!, 300);
      page(response, 401, 'Not signed in', reason);
      finish({ error: new CliError(`the sign-in was refused: ${reason}`, EXIT.auth) });
    } else if (!query.get('code')) {
      page(response, 400, 'Not signed in', 'The sign-in sent no code back. Run trellis login again.');
      finish({ error: new CliError('the sign-in sent no code back: run trellis login again', EXIT.auth) });
    } else {
      page(response, 200, 'Signed in', 'You can close this tab and go back to the terminal.');
      finish({ code: query.get('code')! });
    }
  }

  await listen(server, options.port);
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) onAbort();
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : options.port, code, close: () => finish({ error: new CliError('sign-in cancelled', EXIT.auth) }) };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE'
      ? new CliError(`port ${port} of 127.0.0.1 is in use (another trellis login?): the sign-in comes back there; free it and try again`, EXIT.auth)
      : error));
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

/** A small page for the person in the browser: no script, nothing loaded, not kept. */
function page(response: ServerResponse, status: number, title: string, text: string): void {
  const escape = (value: string) => value.replace(/[&<>"']/g, char => `&#${char.charCodeAt(0)};`);
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'",
    'referrer-policy': 'no-referrer',
    'connection': 'close',
  });
  response.end(`<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Trellis: ${escape(title)}</title></head>\n`
    + `<body><h1>${escape(title)}</h1><p id="reason">${escape(text)}</p></body></html>\n`);
}
