import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { pipelineTemplate, shop } from './stack-fixtures';
import { BuilderImage } from '../../src';

/**
 * One setting for how long CloudWatch keeps what Trellis' own resources log: every log group of
 * the stack (functions, the APIs' access logs, the VPC's flow log) follows it, and with none
 * given each keeps one month as before. The builds' own log group keeps three months either way.
 */
function retentions(template: Template): number[] {
  return Object.entries(template.findResources('AWS::Logs::LogGroup'))
    .filter(([id]) => !/BuildLogs/.test(id))
    .map(([, group]: [string, any]) => group.Properties.RetentionInDays);
}

function buildLogs(template: Template): number[] {
  return Object.entries(template.findResources('AWS::Logs::LogGroup'))
    .filter(([id]) => /BuildLogs/.test(id))
    .map(([, group]: [string, any]) => group.Properties.RetentionInDays);
}

test('every log group keeps 30 days by default', () => {
  const { template } = pipelineTemplate({ applications: [shop] });
  const kept = retentions(template);
  expect(kept.length).toBeGreaterThanOrEqual(12);
  expect(new Set(kept)).toEqual(new Set([30]));
  expect(buildLogs(template)).toEqual([90]);
});

test('logRetention applies to every log group of the stack', () => {
  const { template } = pipelineTemplate({ applications: [shop], logRetention: logs.RetentionDays.ONE_WEEK });
  const kept = retentions(template);
  expect(kept.length).toBeGreaterThanOrEqual(12);
  expect(new Set(kept)).toEqual(new Set([7]));
  expect(buildLogs(template)).toEqual([90]);
});

test('logRetention reaches the log groups of a builder image built in the account; the image\'s own option wins', () => {
  const withPipelineRetention = pipelineTemplate({
    applications: [shop], logRetention: logs.RetentionDays.ONE_WEEK, buildServer: { image: BuilderImage.fromCodeBuild() },
  }).template;
  const imageBuild = (template: Template) => Object.entries(template.findResources('AWS::Logs::LogGroup'))
    .filter(([id]) => /ImageBuild/.test(id)).map(([, group]: [string, any]) => group.Properties.RetentionInDays);
  expect(imageBuild(withPipelineRetention).length).toBeGreaterThanOrEqual(3);
  expect(new Set(imageBuild(withPipelineRetention))).toEqual(new Set([7]));
  expect(new Set(retentions(withPipelineRetention))).toEqual(new Set([7]));

  const ownRetention = pipelineTemplate({
    applications: [shop],
    logRetention: logs.RetentionDays.ONE_WEEK,
    buildServer: { image: BuilderImage.fromCodeBuild({ logRetention: logs.RetentionDays.THREE_DAYS }) },
  }).template;
  expect(new Set(imageBuild(ownRetention))).toEqual(new Set([3]));
});
