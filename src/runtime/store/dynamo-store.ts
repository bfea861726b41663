import { DynamoApiTokenStore } from './dynamo-api-token-store';
import { DynamoAuditStore } from './dynamo-audit-store';
import { DynamoConfigStore } from './dynamo-config-store';
import { DynamoConnectionStore } from './dynamo-connection-store';
import { DynamoDeliveryStore } from './dynamo-delivery-store';
import { DynamoDeploymentStore } from './dynamo-deployment-store';
import { DynamoLogStore } from './dynamo-log-store';
import { DynamoNotificationStore } from './dynamo-notification-store';
import { DynamoOneUseStore } from './dynamo-one-use-store';
import { DynamoPreviewStore } from './dynamo-preview-store';
import { TableContext } from './table-context';
import { Clock, Store, systemClock } from '../core/ports';

/** The DynamoDB implementation of core's Store, over one table. */
export function createDynamoStore(ctx: TableContext, clock: Clock = systemClock): Store {
  return {
    config: new DynamoConfigStore(ctx),
    deployments: new DynamoDeploymentStore(ctx, clock),
    logs: new DynamoLogStore(ctx),
    deliveries: new DynamoDeliveryStore(ctx, clock),
    connections: new DynamoConnectionStore(ctx),
    oneUse: new DynamoOneUseStore(ctx, clock),
    apiTokens: new DynamoApiTokenStore(ctx),
    audit: new DynamoAuditStore(ctx),
    notifications: new DynamoNotificationStore(ctx),
    previews: new DynamoPreviewStore(ctx),
  };
}
