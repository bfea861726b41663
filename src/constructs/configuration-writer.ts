import { CustomResource, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { LAMBDA_BASIC_EXECUTION, acknowledge, functionReasons } from './private/acknowledge';
import { trellisLogGroup } from './private/log-groups';
import { StateTable } from './state-table';
import { CONFIG_SYNC_ENV } from '../contract/function-environment';
import { ApplicationConfig } from '../runtime/core/types';
import { ConfigSyncFunction } from '../runtime/handlers/config-sync-function';

interface ConfigurationWriterProps {
  readonly table: StateTable;
  /** Read when the template is synthesized, so applications added later are included. */
  readonly applications: () => readonly ApplicationConfig[];
  readonly logRetention?: logs.RetentionDays;
}

/** Writes the code-defined applications into the table on every deploy (custom resource). */
export class ConfigurationWriter extends Construct {
  constructor(scope: Construct, id: string, props: ConfigurationWriterProps) {
    super(scope, id);
    const onEvent = new ConfigSyncFunction(this, 'Handler', {
      description: 'Trellis: writes applications and environments from code into the table',
      environment: { [CONFIG_SYNC_ENV.tableName]: props.table.tableName },
      timeout: Duration.minutes(2),
      memorySize: 256,
      logGroup: trellisLogGroup(this, 'HandlerLogs', props.logRetention),
    });
    props.table.grantReadWriteData(onEvent);
    acknowledge(onEvent, functionReasons(props.table.table));
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      logGroup: trellisLogGroup(this, 'ProviderLogs', props.logRetention),
    });
    acknowledge(provider, {
      IAM4: [LAMBDA_BASIC_EXECUTION],
      IAM5: [{ reason: 'the Provider framework may invoke any version of its own onEvent handler (<handler ARN>:*)', resources: [`${onEvent.functionArn}:*`] }],
      L1: 'the Provider framework function\'s runtime is chosen by aws-cdk-lib',
    });
    new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::TrellisConfiguration',
      properties: {
        Applications: Lazy.string({ produce: () => Stack.of(this).toJsonString(props.applications()) }),
      },
    });
  }
}
