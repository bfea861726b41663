import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logJson } from './json-log';
import { CONFIG_SYNC_ENV } from '../../contract/function-environment';
import { parseApplications } from '../core/config-parse';
import { createDynamoStore } from '../store/dynamo-store';
import { tableContext } from '../store/table-context';

/**
 * Custom resource (Provider framework onEvent): writes the code-defined applications and
 * environments into the table on every deploy, so runtime code reads configuration from
 * the store. Deleting the resource leaves the table alone (history is kept).
 */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string }> {
  const tableName = process.env[CONFIG_SYNC_ENV.tableName]!;
  const physicalResourceId = `trellis-configuration-${tableName}`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const apps = parseApplications(JSON.parse(String(event.ResourceProperties.Applications)));
  const store = createDynamoStore(tableContext(tableName));
  // An application of the name of one made on the dashboard fails the deploy, naming it: nothing is replaced.
  await store.config.syncApplications(apps);
  logJson({ message: 'configuration synced', applications: apps.map(app => app.name) });
  return { PhysicalResourceId: physicalResourceId };
}
