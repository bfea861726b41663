import { mkdtempSync } from 'fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { CliContext } from '../../../src/cli/context';
import { runCli } from '../../../src/cli/program';

/**
 * A stand-in installation for the `trellis` command's fast tests: a real HTTP server on
 * 127.0.0.1 that serves config.json and answers each API call as the test says (unanswered
 * routes: 404 as the API words it), recording every request. The command runs in-process
 * (runCli) with TRELLIS_URL/TRELLIS_TOKEN pointing at it.
 */

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
}

export interface Recorded {
  readonly method: string;
  /** The path as it reached the server (still URL-encoded), with its query. */
  readonly path: string;
  readonly body?: unknown;
}

type Responder = Answer | ((request: Recorded) => Answer);

export class FakeInstallation {
  static async start(): Promise<FakeInstallation> {
    const fake = new FakeInstallation();
    await new Promise<void>(resolve => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  readonly requests: Recorded[] = [];
  private readonly answers = new Map<string, Responder>();
  private readonly server: Server = createServer((request, response) => void this.handle(request, response));

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answer `method path` (path as sent, query included) with `answer` from now on. */
  on(method: string, path: string, answer: Responder): this {
    this.answers.set(`${method} ${path}`, answer);
    return this;
  }

  /** The API calls made (config.json left out). */
  get apiCalls(): string[] {
    return this.requests.filter(request => request.path !== '/config.json').map(request => `${request.method} ${request.path}`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise(resolve => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += chunk;
    const recorded: Recorded = { method: request.method!, path: request.url!, body: text ? JSON.parse(text) : undefined };
    this.requests.push(recorded);
    const responder = recorded.path === '/config.json'
      ? { status: 200, body: { apiUrl: this.url, webSocketUrl: this.url.replace('http', 'ws'), auth: { kind: 'local' } } }
      : this.answers.get(`${recorded.method} ${recorded.path}`) ?? { status: 404, body: { error: 'not_found', reason: `no route ${recorded.method} ${recorded.path}` } };
    const answer = typeof responder === 'function' ? responder(recorded) : responder;
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: string;
  /** Called once the command asks to hear of Ctrl-C, with what it says then. */
  readonly onInterrupt?: (say: () => void) => void;
}

/** `trellis <args>` in-process, with its own empty config directory; stdout and stderr as written. */
export async function runTrellis(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const cli = new CliContext({
    out: text => { stdout += text; },
    err: text => { stderr += text; },
    readStdin: async () => options.stdin ?? '',
    onInterrupt: options.onInterrupt && (say => { options.onInterrupt!(say); return () => undefined; }),
  }, { TRELLIS_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'trellis-config-')), ...options.env });
  const code = await runCli(args, cli);
  return { code, stdout, stderr };
}
