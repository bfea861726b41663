import { commandHint } from '../../src/local/terminal-lines';

/**
 * The banner's "Push a commit:" line names the command the person can run next. Only this
 * repository's `npm run local` needs `npm run trellis --` (its bin is not linked); a project
 * that depends on trellis-cdk runs `npx trellis`, also from a `local` script of its own (before,
 * any `local` script printed `npm run trellis -- push ...`, and that project has no such script).
 */
test.each([
  ['`npm run local` in this repository', { npm_lifecycle_event: 'local', npm_package_name: 'trellis-cdk' }, 'npm run trellis --'],
  ['`npx trellis local` in a project', { npm_lifecycle_event: 'npx', npm_package_name: 'consumer' }, 'npx trellis'],
  ['a project\'s own `local` script', { npm_lifecycle_event: 'local', npm_package_name: 'consumer' }, 'npx trellis'],
  ['a project\'s `dev` script', { npm_lifecycle_event: 'dev', npm_package_name: 'my-cdk-app' }, 'npx trellis'],
  ['the bin run directly (no npm)', {}, 'npx trellis'],
  ['this repository\'s `trellis` script (`npm run trellis -- local`)', { npm_lifecycle_event: 'trellis', npm_package_name: 'trellis-cdk' }, 'npm run trellis --'],
  ['a project\'s `trellis` script', { npm_lifecycle_event: 'trellis', npm_package_name: 'consumer' }, 'npx trellis'],
])('%s', (_, env, expected) => {
  expect(commandHint(env)).toBe(expected);
});
