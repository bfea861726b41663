import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createLocalTable, DynamoDbLocal } from '../../src/local/dynamodb-local';
import { superviseDynamoDbLocal } from '../../src/local/dynamodb-supervisor';
import { createDynamoStore } from '../../src/runtime/store/dynamo-store';
import { tableContext } from '../../src/runtime/store/table-context';
import { processAlive } from '../local/local-fixtures';
import { appConfig, envConfig } from '../store/fixtures';
import { eventually } from '../support/eventually';

/**
 * DynamoDB Local dying under local mode, in-process: the supervisor brings it back
 * on the same port with the same files (data written before the kill is still there), and
 * gives up, saying so, when it keeps dying (local mode then stops; the next start recovers).
 */
describe('faults: the DynamoDB Local supervisor', () => {
  let dir: string;
  let dynamo: DynamoDbLocal | undefined;
  const printed: string[] = [];
  const restartedPids: Array<number | undefined> = [];
  let gaveUp: Error | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-supervisor-'));
    dynamo = await superviseDynamoDbLocal({
      dbPath: dir,
      accessKeyId: 'SupervisorTest',
      print: line => printed.push(line),
      log: () => undefined,
      onRestarted: pid => restartedPids.push(pid),
      onGiveUp: error => { gaveUp = error; },
    });
  }, 90_000);

  afterAll(async () => {
    await dynamo?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function killAndWaitForRestart(): Promise<number> {
    const before = dynamo!.pid!;
    const restarts = restartedPids.length;
    process.kill(before, 'SIGKILL');
    await eventually('the replacement', async () => restartedPids.length > restarts, 60_000);
    expect(processAlive(before)).toBe(false);
    return dynamo!.pid!;
  }

  test('killed: restarted on the same endpoint, and what was written before is still there', async () => {
    const store = createDynamoStore(tableContext('trellis-local', dynamo!.clientConfig));
    await createLocalTable(dynamo!.clientConfig, 'trellis-local');
    await store.config.syncApplications([appConfig('shop', [envConfig('dev')])]);
    const endpoint = dynamo!.endpoint;

    const pid = await killAndWaitForRestart();
    expect(pid).not.toBeUndefined();
    expect(restartedPids).toEqual([pid]);
    expect(dynamo!.endpoint).toBe(endpoint);
    expect(printed).toEqual([
      expect.stringMatching(/^DynamoDB Local stopped \(killed by SIGKILL\); restarting it on port \d+ with the same data\.\.\.$/),
      `DynamoDB Local is running again (pid ${pid}); unfinished writes are retried.`,
    ]);
    // The same client (same endpoint) reads the data written before the kill.
    expect((await store.config.listApplications()).map(app => app.name)).toEqual(['shop']);
    expect(gaveUp).toBeUndefined();
  }, 120_000);

  test('killed again and again: after three restarts it gives up with a clear error instead of looping', async () => {
    await killAndWaitForRestart();
    await killAndWaitForRestart();
    expect(gaveUp).toBeUndefined();
    const last = dynamo!.pid!;
    process.kill(last, 'SIGKILL');
    await eventually('the supervisor to give up', async () => gaveUp, 30_000);
    expect(gaveUp!.message).toMatch(/^DynamoDB Local stopped 4 times within 5 minutes \(last: killed by SIGKILL\)$/);
    expect(restartedPids).toHaveLength(3);
  }, 180_000);
});
