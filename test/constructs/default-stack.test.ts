import { Template } from 'aws-cdk-lib/assertions';
import { newStack } from './stack-fixtures';
import { TrellisPipeline } from '../../src';

/**
 * The committed snapshot of a default installation. Asset hashes are replaced so the
 * snapshot changes when the infrastructure changes, not on every handler edit.
 * Update deliberately with `npx projen test:update`.
 */
test('default TrellisPipeline stack matches the committed snapshot', () => {
  const stack = newStack();
  new TrellisPipeline(stack, 'Trellis', { applications: [{ name: 'shop', repository: 'acme/shop' }] });
  expect(withoutAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
});

function withoutAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, 'ASSET_HASH'));
}
