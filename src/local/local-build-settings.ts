/**
 * What the local runner tells the local builder entry beyond core's BUILD_PARAMETERS and
 * BUILD_SETTINGS. `TRELLIS_*` on purpose: the builder strips those from every app command,
 * so the table's endpoint and the secrets file never reach the app (and the app's deploy sees
 * the user's own AWS variables, not DynamoDB Local's).
 */
export const LOCAL_BUILD_SETTINGS = {
  /** DynamoDB Local's endpoint (http://127.0.0.1:<port>), where the table lives. */
  dynamodbEndpoint: 'TRELLIS_LOCAL_DYNAMODB_ENDPOINT',
  /** The JSON file of FileSecretSource. */
  secretsFile: 'TRELLIS_LOCAL_SECRETS_FILE',
  /** The dependency cache's folder (AWS keeps it in S3); absent = no cache. */
  cacheDir: 'TRELLIS_LOCAL_CACHE_DIR',
  /** The deploy artifacts' folder (AWS keeps them in S3); absent = every rollback rebuilds. */
  artifactDir: 'TRELLIS_LOCAL_ARTIFACT_DIR',
} as const;
