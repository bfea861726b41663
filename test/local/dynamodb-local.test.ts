import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'fs';
import { Server, createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDbLocal, answersOn, checkLoopbackOnly, createLocalTable, externalAddresses, localClientConfig, startDynamoDbLocal,
} from '../../src/local/dynamodb-local';

/**
 * DynamoDB Local as local mode starts it: on 127.0.0.1 only (the jar alone listens on every
 * interface, without authentication: anyone on the network could change the table), and one
 * database per access key id, so a client that finds the port but not the key sees no table.
 */

const tables = async (endpoint: string, accessKeyId: string) => {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint, accessKeyId), maxAttempts: 1 });
  try {
    return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
  } finally {
    client.destroy();
  }
};

const EXTERNAL = externalAddresses();
/** This machine may have no address but loopback (a sandbox): then only loopback can be checked. */
const withExternalAddress = EXTERNAL.length > 0 ? test : test.skip;
if (EXTERNAL.length === 0) {
  // eslint-disable-next-line no-console
  console.warn('dynamodb-local.test: this machine has no non-loopback address, so "not reachable on one" cannot be tried here');
}

describe('DynamoDB Local for local mode', () => {
  let root: string;
  const started: DynamoDbLocal[] = [];
  const start = async (...args: Parameters<typeof startDynamoDbLocal>) => {
    const local = await startDynamoDbLocal(...args);
    started.push(local);
    return local;
  };

  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'trellis-dynamodb-')));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map(local => local.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  test('answers on 127.0.0.1', async () => {
    const local = await start({ accessKeyId: 'KeyOne' });
    expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await tables(local.endpoint, 'KeyOne')).toEqual([]);
    expect(local.refusedOn).toEqual(EXTERNAL);
  });

  withExternalAddress(`accepts no connection on this machine's other addresses (${EXTERNAL.join(', ') || 'none'})`, async () => {
    const local = await start({ accessKeyId: 'KeyOne' });
    const port = Number(new URL(local.endpoint).port);
    expect(await answersOn('127.0.0.1', port)).toBe(true);
    for (const address of EXTERNAL) expect({ address, answered: await answersOn(address, port) }).toEqual({ address, answered: false });
  });

  withExternalAddress('the start-up check refuses a port that answers on a non-loopback address', async () => {
    // What the jar alone does: listen on every interface.
    const everywhere: Server = createServer(socket => socket.destroy());
    await new Promise<void>(resolve => everywhere.listen(0, resolve));
    const port = (everywhere.address() as { port: number }).port;
    try {
      await expect(checkLoopbackOnly(port)).rejects.toThrow(new RegExp(`DynamoDB Local answers on .*${EXTERNAL[0].replace(/[.%]/g, '\\$&')}.* port ${port}, not only on 127\\.0\\.0\\.1: refusing to start`));
    } finally {
      await new Promise(resolve => everywhere.close(resolve));
    }
  });

  test('a free port taken before Java binds it (another process was quicker): started on another one; a given port is not changed', async () => {
    const taken: Server = createServer(socket => socket.destroy());
    await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as { port: number }).port;
    try {
      const handedOut: number[] = [];
      const freePort = async () => {
        // First the taken one, as if it was free when asked; then one that is free.
        if (handedOut.length === 0) return handedOut[handedOut.push(takenPort) - 1];
        const probe: Server = createServer();
        await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
        const port = (probe.address() as { port: number }).port;
        await new Promise(resolve => probe.close(resolve));
        handedOut.push(port);
        return port;
      };
      const local = await start({ accessKeyId: 'KeyOne', freePort });
      expect(handedOut).toHaveLength(2);
      expect(local.endpoint).toBe(`http://127.0.0.1:${handedOut[1]}`);
      expect(await tables(local.endpoint, 'KeyOne')).toEqual([]);
      await expect(startDynamoDbLocal({ accessKeyId: 'KeyOne', port: takenPort })).rejects.toThrow(/DynamoDB Local exited with code \d+ before it was ready/);
    } finally {
      await new Promise(resolve => taken.close(resolve));
    }
  });

  test('one database per access key id: a client with another key (or the old shared one) sees no table', async () => {
    const local = await start({ dbPath: root, accessKeyId: 'InstallationKey1' });
    await createLocalTable(local.clientConfig, 'trellis-local');
    expect(await tables(local.endpoint, 'InstallationKey1')).toEqual(['trellis-local']);
    expect(await tables(local.endpoint, 'local')).toEqual([]);
    expect(await tables(local.endpoint, 'GuessedKey')).toEqual([]);
  });

  test('a data directory written with the shared database keeps its tables under its new key', async () => {
    const old = await start({ dbPath: root, sharedDb: true });
    await createLocalTable(old.clientConfig, 'trellis-local');
    await old.stop();
    expect(readdirSync(root)).toEqual(['shared-local-instance.db']);

    const local = await start({ dbPath: root, accessKeyId: 'InstallationKey2' });
    expect(await tables(local.endpoint, 'InstallationKey2')).toEqual(['trellis-local']);
    expect(await tables(local.endpoint, 'local')).toEqual([]);
    expect(readdirSync(root)).toContain('InstallationKey2_local.db');
    expect(readdirSync(root)).not.toContain('shared-local-instance.db');
  });

  test('an access key id DynamoDB Local would refuse is refused before starting, naming the field', async () => {
    await expect(startDynamoDbLocal({ accessKeyId: 'not-alnum' })).rejects.toThrow(/accessKeyId: .*letters and digits/);
  });
});
