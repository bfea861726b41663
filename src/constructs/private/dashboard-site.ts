import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { LAMBDA_BASIC_EXECUTION, acknowledge } from './acknowledge';
import { DashboardConfig } from '../../runtime/core/api-types';
import { contentSecurityPolicy } from '../../runtime/core/content-security-policy';

/** The private bucket the built dashboard is served from. */
export function siteBucket(scope: Construct): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'Site', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  });
  acknowledge(bucket, {
    S1: 'the bucket holds only the built dashboard and is read only by CloudFront (origin access control); '
      + 'viewer requests are logged by CloudFront when accessLogBucket is set',
  });
  return bucket;
}

/** What the distribution serves and may connect to. */
export interface SiteDistributionOptions {
  readonly bucket: s3.IBucket;
  readonly installationName: string;
  /** The exact origins the app may connect to: this installation's control API, live log socket and token endpoint. */
  readonly connect: string[];
  /** Origins the pages' forms may post to besides their own: the GitHub web origin (the setup page's manifest form). @default none */
  readonly formAction?: string[];
  readonly accessLogBucket?: s3.IBucket;
}

/**
 * The CloudFront distribution of the single-page app: origin access control, HTTPS, security
 * headers (a content security policy naming `connect` only) and deep links answered by the app.
 */
export function siteDistribution(scope: Construct, options: SiteDistributionOptions): cloudfront.Distribution {
  const headers = new cloudfront.ResponseHeadersPolicy(scope, 'SecurityHeaders', {
    comment: 'Trellis dashboard: security headers',
    securityHeadersBehavior: {
      contentSecurityPolicy: {
        contentSecurityPolicy: contentSecurityPolicy({ connect: options.connect, formAction: options.formAction }),
        override: true,
      },
      strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      // The sign-in callback carries the authorization code in the query string.
      referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
    },
    customHeadersBehavior: {
      customHeaders: [
        { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()', override: true },
        { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
      ],
    },
  });

  const distribution = new cloudfront.Distribution(scope, 'Distribution', {
    comment: `Trellis dashboard (${options.installationName})`,
    defaultRootObject: 'index.html',
    defaultBehavior: {
      origin: S3BucketOrigin.withOriginAccessControl(options.bucket),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: headers,
      compress: true,
    },
    // Deep links of the single-page app: a path that is not a file answers the app.
    errorResponses: [403, 404].map(httpStatus => ({
      httpStatus,
      responseHttpStatus: 200,
      responsePagePath: '/index.html',
      ttl: Duration.seconds(0),
    })),
    httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    enableLogging: options.accessLogBucket !== undefined,
    logBucket: options.accessLogBucket,
    logFilePrefix: options.accessLogBucket ? 'trellis-dashboard/' : undefined,
  });
  acknowledge(distribution, {
    CFR1: 'the dashboard serves a team wherever it works; every API call needs a token of the identity provider',
    CFR2: 'AWS WAF costs a monthly fee per web ACL and rule, against the design goal of no idle cost; the static app '
      + 'needs no WAF, and the control API is throttled and authenticated',
    CFR4: 'the default *.cloudfront.net certificate cannot set a minimum TLS version; viewers are redirected to HTTPS',
    ...(options.accessLogBucket ? {} : {
      CFR3: 'CloudFront access logs need a bucket with ACLs: pass accessLogBucket to turn them on; control API calls are logged by API Gateway',
    }),
  });
  return distribution;
}

/**
 * The built dashboard copied into `bucket`, then this installation's `config.json` (never
 * pruned, never cached), each invalidating what the distribution cached of it.
 */
export function deploySite(scope: Construct, bucket: s3.IBucket, distribution: cloudfront.IDistribution, config: DashboardConfig): void {
  const site = new s3deploy.BucketDeployment(scope, 'DeploySite', {
    sources: [s3deploy.Source.asset(path.join(__dirname, '../../../assets/dashboard'))],
    destinationBucket: bucket,
    // config.json is this installation's, written below: never pruned, never taken from the build.
    exclude: ['config.json'],
    // Revalidate on every load (304 when unchanged): a new version shows without a hard reload.
    cacheControl: [s3deploy.CacheControl.noCache()],
    distribution,
    distributionPaths: ['/*'],
  });
  const configDeployment = new s3deploy.BucketDeployment(scope, 'DeployConfig', {
    sources: [s3deploy.Source.jsonData('config.json', config)],
    destinationBucket: bucket,
    prune: false,
    cacheControl: [s3deploy.CacheControl.noStore()],
    distribution,
    distributionPaths: ['/config.json'],
  });
  configDeployment.node.addDependency(site);
  // Both deployments run aws-cdk-lib's one handler function, which lives at the stack's root.
  const deployHandler = site.handlerRole.node.scope;
  if (deployHandler) {
    acknowledge(deployHandler, {
      L1: 'aws-cdk-lib\'s BucketDeployment handler (Python with the AWS CLI layer): aws-cdk-lib chooses and updates its runtime',
      IAM4: [LAMBDA_BASIC_EXECUTION],
      IAM5: [
        {
          reason: 'aws-cdk-lib\'s grants: objects of the dashboard bucket and of the CDK asset bucket it copies from',
          resources: [`${bucket.bucketArn}/*`],
          resourcePatterns: [/^arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-[^/]+\/\*$/],
          actions: ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'],
        },
        { reason: 'aws-cdk-lib grants CloudFront CreateInvalidation and GetInvalidation on * (not configurable); they only clear cached copies', resources: ['*'] },
      ],
    });
  }
}
