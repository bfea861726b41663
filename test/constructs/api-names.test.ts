import { readFileSync, readdirSync } from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';

/**
 * No public type of trellis-cdk has the name of a type of aws-cdk-lib: Python users import both
 * into one namespace (`from aws_cdk import Environment` and ours would shadow each other) and
 * Java users would need fully qualified names. The public types are what src/index.ts exports.
 */

function awsCdkLibTypeNames(): Set<string> {
  const dir = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  let assembly = JSON.parse(readFileSync(path.join(dir, '.jsii'), 'utf8'));
  if (assembly.schema === 'jsii/file-redirect') {
    const bytes = readFileSync(path.join(dir, assembly.filename));
    assembly = JSON.parse((assembly.compression === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8'));
  }
  return new Set(Object.values(assembly.types as Record<string, { name: string }>).map(type => type.name));
}

/** The names declared with `export` in the modules src/index.ts re-exports. */
function publicTypeNames(): string[] {
  const src = path.join(__dirname, '..', '..', 'src');
  const modules = [...readFileSync(path.join(src, 'index.ts'), 'utf8').matchAll(/export \* from '\.\/(.+)';/g)].map(match => match[1]);
  expect(modules.length).toBeGreaterThan(5);
  return modules.flatMap(module => [...readFileSync(path.join(src, `${module}.ts`), 'utf8')
    .matchAll(/^export (?:abstract )?(?:class|interface|enum) (\w+)/gm)].map(match => match[1]));
}

test('aws-cdk-lib\'s type names are read (the check below can find a clash)', () => {
  const names = awsCdkLibTypeNames();
  for (const known of ['Environment', 'LogStream', 'Dashboard', 'HealthCheck', 'Table']) expect(names.has(known)).toBe(true);
});

test('no public type of trellis-cdk has the name of an aws-cdk-lib type', () => {
  const names = awsCdkLibTypeNames();
  const ours = publicTypeNames();
  expect(ours).toEqual(expect.arrayContaining(['TrellisPipeline', 'DeploymentEnvironment', 'StateTable', 'BuildLogStream', 'TrellisDashboard', 'DeployHealthCheck']));
  expect(ours.filter(name => names.has(name))).toEqual([]);
});

test('every module of src/constructs with a public type is exported from src/index.ts', () => {
  const constructs = path.join(__dirname, '..', '..', 'src', 'constructs');
  const index = readFileSync(path.join(__dirname, '..', '..', 'src', 'index.ts'), 'utf8');
  const withPublicTypes = readdirSync(constructs)
    .filter(file => file.endsWith('.ts'))
    .filter(file => /^export (?:abstract )?(?:class|interface|enum) /m.test(readFileSync(path.join(constructs, file), 'utf8')))
    .map(file => file.replace(/\.ts$/, ''))
    // Wiring the pipeline uses, not part of the library's API.
    .filter(module => module !== 'configuration-writer');
  expect(withPublicTypes.filter(module => !index.includes(`'./constructs/${module}'`))).toEqual([]);
});
