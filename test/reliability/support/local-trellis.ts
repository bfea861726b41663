import { readFileSync } from 'fs';
import { join } from 'path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DataDir } from '../../../src/local/data-dir';
import { localClientConfig } from '../../../src/local/dynamodb-local';
import { Deployment, LogRecord, Store, isTerminal } from '../../../src/runtime/core';
import { createDynamoStore } from '../../../src/runtime/store/dynamo-store';
import { tableContext } from '../../../src/runtime/store/table-context';
import { cmdline } from '../../local/support/process-cleanup';
import { TrellisProcess } from '../../local/support/trellis-process';
import { eventually } from '../../support/eventually';

/** The control API of one trellis process, as the dashboard calls it. */
export class LocalApi {
  constructor(private readonly trellis: () => TrellisProcess) {}

  async call(method: string, path: string, body?: unknown, expected = 200): Promise<any> {
    const response = await this.trellis().api(method, path, body);
    if (response.status !== expected) throw new Error(`${method} ${path} answered ${response.status}, not ${expected}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  deployment(id: string): Promise<Deployment> {
    return this.call('GET', `/api/deployments/${encodeURIComponent(id)}`);
  }

  async history(app: string, env: string): Promise<Deployment[]> {
    return (await this.call('GET', `/api/apps/${app}/environments/${env}/deployments?limit=100`)).items;
  }

  async log(id: string): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    let from = 0;
    for (let page = 0; page < 100; page++) {
      const body = await this.call('GET', `/api/deployments/${encodeURIComponent(id)}/logs?from=${from}&limit=5000`);
      records.push(...body.records);
      if (body.end) return records;
      from = body.next;
    }
    throw new Error(`the log of ${id} did not end`);
  }

  /** Wait until the deployment is terminal (any terminal status) and return it. */
  async terminal(id: string, timeoutMs = 90_000): Promise<Deployment> {
    return eventually(() => `deployment ${id} to end (output:\n${this.trellis().output})`, async () => {
      const { child } = this.trellis();
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`trellis local ended (${child.exitCode ?? child.signalCode}) while deployment ${id} ran:\n${this.trellis().output}`);
      }
      const current = await this.deployment(id).catch(() => undefined);
      return current && isTerminal(current.status) && current;
    }, timeoutMs, 200);
  }

  async logLine(id: string, pattern: RegExp, timeoutMs = 60_000): Promise<LogRecord> {
    return eventually(`a log line ${pattern} of ${id}`, async () => (await this.log(id)).find(record => pattern.test(record.text)), timeoutMs, 150);
  }
}

/** `trellis push <app> main`: the id of the deployment it queued for `env`. */
export async function pushed(trellis: TrellisProcess, app: string, message: string, env = 'dev'): Promise<string> {
  const output = await trellis.push(app, 'main', message);
  const match = [...output.matchAll(/queued (\S+)\s+\S+#\/deployments\/(\S+)/g)].find(m => m[1] === `${app}/${env}`);
  if (!match) throw new Error(`the push queued no ${app}/${env} deployment:\n${output}`);
  return decodeURIComponent(match[2]);
}

/** The process's DynamoDB Local (its pid from server.json, its port from its command line). */
export function dynamoOf(trellis: TrellisProcess): { pid: number; endpoint: string } {
  const info = JSON.parse(readFileSync(join(trellis.dataDir, 'server.json'), 'utf8')) as { dynamodbPid: number };
  const port = /-port (\d+)/.exec(cmdline(info.dynamodbPid) ?? '')?.[1];
  if (!port) throw new Error(`pid ${info.dynamodbPid} is not a DynamoDB Local: ${cmdline(info.dynamodbPid)}`);
  return { pid: info.dynamodbPid, endpoint: `http://127.0.0.1:${port}` };
}

/** The installation's DynamoDB Local key id (its database), kept in the data directory. */
function accessKeyIdOf(trellis: TrellisProcess): string {
  return new DataDir(trellis.dataDir).dynamodbAccessKeyId();
}

/** The store local mode writes, read directly (the lock is not part of the API). */
export function storeOf(trellis: TrellisProcess): Store {
  return createDynamoStore(tableContext('trellis-local', localClientConfig(dynamoOf(trellis).endpoint, accessKeyIdOf(trellis))));
}

/** Every WebSocket connection item local mode's table holds (a test may scan; the code never does). */
export async function storedConnections(trellis: TrellisProcess): Promise<string[]> {
  const ctx = tableContext('trellis-local', localClientConfig(dynamoOf(trellis).endpoint, accessKeyIdOf(trellis)));
  const result = await ctx.doc.send(new ScanCommand({
    TableName: ctx.tableName,
    FilterExpression: 'begins_with(PK, :conn)',
    ExpressionAttributeValues: { ':conn': 'CONN#' },
    ConsistentRead: true,
  }));
  return (result.Items ?? []).map(item => String(item.PK));
}


