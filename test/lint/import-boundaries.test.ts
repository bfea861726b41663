import * as path from 'path';
import { Linter, loadESLint } from 'eslint';

/**
 * The import boundaries (.projenrc.ts, `import/no-restricted-paths`) hold: a file placed in a
 * zone that imports across the zone's boundary is reported with the zone's message, and an import
 * the zone allows is not. The files exist only as text given to eslint with the path they would
 * have, so nothing is written to the tree.
 *
 * The project's own .eslintrc.json decides; only type information is left out (the boundary rule
 * needs none, and a file that does not exist is in no TypeScript program), and every rule but the
 * boundary rule and `import/no-unresolved` is off: an allowed import must resolve and pass, so an
 * allowed case cannot pass because its import pointed nowhere.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const CHECKED_RULES = ['import/no-restricted-paths', 'import/no-unresolved'];

type Boundary = 'core' | 'contract' | 'constructs' | 'dashboard' | 'builder' | 'builder entry' | 'runtime' | 'tests';

/** The start of each zone's message in .projenrc.ts. */
const ZONE_MESSAGE: Record<Boundary, string> = {
  'core': 'core imports only core',
  'contract': 'contract imports nothing from the project',
  'constructs': 'constructs import only constructs, contract, core and the generated *-function.ts wrappers',
  'dashboard': 'the dashboard runs in the browser',
  'builder': 'the builder imports only builder, contract and core',
  'builder entry': 'the builder\'s entry point wires in the runtime\'s AWS adapters',
  'runtime': 'the runtime never imports constructs, local mode, the dashboard or the builder',
  'tests': 'shipped code never imports test/ or bench/',
};

/** Problems of the checked rules in `file` (a path from the repository root) holding `source`. */
async function lintAt(file: string, source: string): Promise<Linter.LintMessage[]> {
  const filePath = path.join(ROOT, file);
  const LegacyESLint = await loadESLint({ useFlatConfig: false });
  const projectConfig = await new LegacyESLint({ cwd: ROOT }).calculateConfigForFile(filePath);
  const others = Object.keys(projectConfig.rules ?? {}).filter(rule => !CHECKED_RULES.includes(rule));
  const eslint = new LegacyESLint({
    cwd: ROOT,
    useEslintrc: true,
    overrideConfig: {
      parserOptions: { project: null },
      rules: Object.fromEntries(others.map(rule => [rule, 'off'])),
    },
  });
  const [result] = await eslint.lintText(source, { filePath });
  return result.messages;
}

describe('import boundaries', () => {
  beforeAll(() => {
    // The rule reads its zones from the working directory, as eslint does when projen runs it.
    expect(process.cwd()).toBe(ROOT);
  });

  it.each<[string, string, Boundary]>([
    ['src/runtime/core/x.ts', '../aws/ecs-task-runner', 'core'],
    ['src/runtime/core/x.ts', '../../contract/table-schema', 'core'],
    ['src/contract/x.ts', '../runtime/core/types', 'contract'],
    ['src/constructs/x.ts', '../runtime/store/dynamo-store', 'constructs'],
    ['src/constructs/private/x.ts', '../../runtime/handlers/webhook.lambda', 'constructs'],
    ['src/constructs/x.ts', '../local/local-mode', 'constructs'],
    ['src/dashboard/x.tsx', '../local/local-mode', 'dashboard'],
    ['src/dashboard/pages/x.tsx', '../../runtime/core/deployment-scheduler', 'dashboard'],
    ['src/builder/x.ts', '../runtime/store/dynamo-store', 'builder'],
    ['src/builder/main.ts', '../runtime/deployments/launch', 'builder entry'],
    ['src/runtime/aws/x.ts', '../../constructs/state-table', 'runtime'],
    ['src/runtime/handlers/x.ts', '../../local/local-mode', 'runtime'],
    ['src/runtime/store/x.ts', '../../builder/run-build', 'runtime'],
    ['src/local/x.ts', '../../test/support/dynamodb-global-setup', 'tests'],
  ])('%s importing %s crosses the %s boundary', async (file, imported, boundary) => {
    const messages = await lintAt(file, `import * as imported from '${imported}';\nexport const used = imported;\n`);
    expect(messages).toEqual([expect.objectContaining({
      ruleId: 'import/no-restricted-paths',
      severity: 2,
      message: expect.stringContaining(ZONE_MESSAGE[boundary]),
    })]);
  });

  it.each<[string, string]>([
    ['src/runtime/core/x.ts', './types'],
    ['src/contract/x.ts', './table-schema'],
    ['src/constructs/x.ts', '../contract/table-schema'],
    ['src/constructs/x.ts', '../runtime/core/errors'],
    ['src/constructs/private/x.ts', '../../runtime/handlers/webhook-function'],
    ['src/constructs/private/x.ts', '../../runtime/image-build/image-build-start-function'],
    ['src/dashboard/pages/x.tsx', '../../runtime/core/api-types'],
    ['src/dashboard/x.ts', '../runtime/core/state-machine'],
    ['src/dashboard/x.ts', '../runtime/core/durations'],
    ['src/dashboard/x.tsx', './format'],
    ['src/builder/x.ts', '../runtime/core/types'],
    ['src/builder/x.ts', '../contract/build-environment'],
    ['src/builder/main.ts', '../runtime/store/dynamo-store'],
    ['src/runtime/handlers/x.ts', '../store/dynamo-store'],
    ['src/runtime/aws/x.ts', '../../contract/runner-settings'],
    ['src/local/x.ts', '../constructs/state-table'],
    ['src/local/x.ts', '../builder/run-build'],
  ])('%s may import %s', async (file, imported) => {
    const messages = await lintAt(file, `import * as imported from '${imported}';\nexport const used = imported;\n`);
    expect(messages).toEqual([]);
  });
});
