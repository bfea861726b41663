import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { propName } from './prop-issues';

/** How long an overwritten (or expired) object's earlier version is kept in a versioned bucket, to be recovered. */
const NONCURRENT_VERSION_DAYS = 30;

/**
 * A private, encrypted, TLS-only bucket whose objects expire `expiration` after they were
 * written, emptied and deleted with the stack: for contents the builder can make again.
 * `prop` names the expiration in the error when it is under a day.
 */
export function disposableBucket(scope: Construct, id: string, prop: string, expiration: Duration, accessLogsReason: string,
  options: { readonly versioned?: boolean } = {}): s3.Bucket {
  if (expiration.toDays({ integral: false }) < 1) throw new Error(`${propName(prop)} must be at least 1 day, got ${expiration.toHumanString()}`);
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: options.versioned,
    lifecycleRules: [{
      expiration: Duration.days(Math.ceil(expiration.toDays({ integral: false }))),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
      noncurrentVersionExpiration: options.versioned ? Duration.days(NONCURRENT_VERSION_DAYS) : undefined,
    }],
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
  });
  acknowledge(bucket, { S1: accessLogsReason });
  return bucket;
}
