import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** How long CloudWatch keeps what Trellis' own resources log, unless TrellisPipelineProps.logRetention says otherwise. */
export const DEFAULT_CLOUDWATCH_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/**
 * A log group of Trellis' own (a function's, an API's access log, the VPC's flow log): every one
 * is kept `retention` long, one setting for all. The builds' own log group is not one of them.
 */
export function trellisLogGroup(scope: Construct, id: string, retention: logs.RetentionDays = DEFAULT_CLOUDWATCH_LOG_RETENTION): logs.LogGroup {
  return new logs.LogGroup(scope, id, { retention });
}
