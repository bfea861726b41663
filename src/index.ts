export * from './constructs/environment';
export * from './constructs/environment-table';
export * from './constructs/test-command';
export * from './constructs/trellis-pipeline';
export * from './constructs/webhook-ingest';
export * from './constructs/deploy-framework';
export * from './constructs/build-server';
export * from './constructs/log-stream';
