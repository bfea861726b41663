import { execFileSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

/**
 * The bindings: the same app written in TypeScript, Python and Java synthesizes the
 * same stack, and the npm tarball, the wheel and the jar each carry the prebundled assets.
 * Runs from `npm run test:bindings`, which builds the packages and synthesizes
 * examples/{typescript,python,java} first; skipped otherwise (TRELLIS_BINDINGS unset).
 */
const ROOT = path.join(__dirname, '..', '..');
const LANGUAGES = ['typescript', 'python', 'java'] as const;
const VERSION: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const run = process.env.TRELLIS_BINDINGS === '1' ? describe : describe.skip;

interface Template { Resources: Record<string, { Type: string }>; Outputs?: Record<string, unknown> }

function template(language: string): Template {
  const file = path.join(ROOT, 'examples', language, 'cdk.out', 'Trellis.template.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run test:bindings\``);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Resource type → count, sorted by type. */
function typeCounts(t: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values(t.Resources)) counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** Logical id → type: the same constructs at the same paths give the same ids in every language. */
function logicalStructure(t: Template): Record<string, string> {
  return Object.fromEntries(Object.entries(t.Resources).map(([id, resource]) => [id, resource.Type]).sort(([a], [b]) => a.localeCompare(b)));
}

/** Files of a zip archive (wheel, jar), read with Python's zipfile: no unzip or JDK tool needed. */
function zipEntries(archive: string): string[] {
  return execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', archive], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** The npm tarball a jsii binding embeds (and loads into its node process at run time). */
function embeddedTarball(archive: string): string {
  const entry = zipEntries(archive).find(name => /trellis-cdk@[^/]+\.jsii\.tgz$/.test(name));
  if (!entry) throw new Error(`${archive} embeds no trellis-cdk jsii tarball`);
  const dir = mkdtempSync(path.join(tmpdir(), 'trellis-bindings-'));
  const out = path.join(dir, 'embedded.tgz');
  writeFileSync(out, execFileSync('python3', ['-c', 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))', archive, entry], { maxBuffer: 256 * 1024 * 1024 }));
  return out;
}

function tarballEntries(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n').filter(Boolean).map(name => name.replace(/^package\//, ''));
}

function onlyFile(dir: string, pattern: RegExp): string {
  const files = existsSync(dir) ? readdirSync(dir).filter(name => pattern.test(name)) : [];
  if (files.length !== 1) throw new Error(`expected one ${pattern} in ${dir}, found ${files.length}: run \`npm run test:bindings\``);
  return path.join(dir, files[0]);
}

/** Every prebundled asset a deployment needs: each handler's bundle, the dashboard, the builder image context. */
function expectedAssets(): string[] {
  const handlers = execFileSync('git', ['ls-files', 'src/**/*.lambda.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean)
    .map(handler => handler.replace(/^src\//, 'assets/').replace(/\.ts$/, '/index.js'));
  expect(handlers.length).toBeGreaterThan(0);
  return [
    ...handlers,
    'assets/dashboard/index.html', 'assets/dashboard/app.js', 'assets/dashboard/app.css',
    'assets/builder/Dockerfile', 'assets/builder/builder.js',
  ];
}

run('the three example apps', () => {
  let templates: Record<(typeof LANGUAGES)[number], Template>;
  beforeAll(() => {
    templates = Object.fromEntries(LANGUAGES.map(language => [language, template(language)])) as typeof templates;
  });

  test('synthesize the same resource types, in the same counts', () => {
    const expected = typeCounts(templates.typescript);
    expect(Object.keys(expected).length).toBeGreaterThan(10);
    expect(expected['AWS::DynamoDB::Table']).toBeGreaterThan(0);
    expect(typeCounts(templates.python)).toEqual(expected);
    expect(typeCounts(templates.java)).toEqual(expected);
  });

  test('synthesize the same logical ids and outputs', () => {
    for (const language of ['python', 'java'] as const) {
      expect(logicalStructure(templates[language])).toEqual(logicalStructure(templates.typescript));
      expect(Object.keys(templates[language].Outputs ?? {}).sort()).toEqual(Object.keys(templates.typescript.Outputs ?? {}).sort());
    }
  });

  test('synthesize the same resources, property for property, apart from the CDK metadata (it names the language)', () => {
    const withoutMetadata = (t: Template) => Object.fromEntries(Object.entries(t.Resources).filter(([, resource]) => resource.Type !== 'AWS::CDK::Metadata'));
    for (const language of ['python', 'java'] as const) {
      expect(withoutMetadata(templates[language])).toEqual(withoutMetadata(templates.typescript));
    }
  });

  test('synthesize under Node 22 or newer without a Node end-of-life or version banner (jsii, the CDK CLI, the AWS SDK)', () => {
    // Each line jsii's check-node can print (also inside Python's b'...' relay of the runtime's stderr), and the SDK's.
    const banner = /end-of-life|not supported anymore|has not been tested with node|known compatibility issues|NodeVersionSupportWarning|require node >=/i;
    for (const language of LANGUAGES) {
      const file = path.join(ROOT, 'examples', language, 'cdk.out', 'synth.stderr');
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run test:bindings\``);
      const [first, ...lines] = readFileSync(file, 'utf8').split('\n');
      const major = Number(/^# node v(\d+)\./.exec(first)?.[1]);
      expect({ language, major: major >= 22 ? '>= 22' : first }).toEqual({ language, major: '>= 22' });
      expect({ language, banner: lines.filter(line => banner.test(line)) }).toEqual({ language, banner: [] });
    }
  });

  test('carry both applications and their custom environments', () => {
    for (const language of LANGUAGES) {
      const text = JSON.stringify(templates[language]);
      for (const fragment of ['acme/shop', 'acme/billing', 'preview', 'qa', 'eu-west-1', '111122223333']) expect(text).toContain(fragment);
    }
  });
});

run('packages carry the prebundled assets', () => {
  const temps: string[] = [];
  afterAll(() => temps.forEach(file => rmSync(path.dirname(file), { recursive: true, force: true })));

  test('the npm tarball', () => {
    const files = tarballEntries(onlyFile(path.join(ROOT, 'dist/js'), /^trellis-cdk@.*\.jsii\.tgz$/));
    expect(files).toEqual(expect.arrayContaining(['.jsii', 'lib/index.js', ...expectedAssets()]));
  });

  test('the wheel', () => {
    const wheel = onlyFile(path.join(ROOT, 'dist/python'), /^trellis_cdk-.*\.whl$/);
    expect(zipEntries(wheel)).toEqual(expect.arrayContaining(['trellis_cdk/__init__.py', 'trellis_cdk/py.typed']));
    const embedded = embeddedTarball(wheel);
    temps.push(embedded);
    expect(tarballEntries(embedded)).toEqual(expect.arrayContaining(['.jsii', 'lib/index.js', ...expectedAssets()]));
  });

  test('the wheel\'s long description shows the README\'s samples in Python (rosetta ran before packaging)', () => {
    const wheel = onlyFile(path.join(ROOT, 'dist/python'), /^trellis_cdk-.*\.whl$/);
    const metadata = zipEntries(wheel).find(name => /^trellis_cdk-[^/]+\.dist-info\/METADATA$/.test(name));
    expect(metadata).toBeDefined();
    const text = execFileSync('python3', ['-c', 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())', wheel, metadata!], { encoding: 'utf8' });
    const blocks = [...text.matchAll(/^```python\n([\s\S]*?)^```/gm)].map(match => match[1]);
    // The README's own python sample plus its TypeScript ones, translated.
    expect(blocks.length).toBeGreaterThan(1);
    const typescript = /^\s*(const|let|import \{)|\bnew [A-Z]\w*\(|=> |;\s*$/m;
    expect(blocks.filter(block => typescript.test(block))).toEqual([]);
  });

  test('the jar', () => {
    const jar = onlyFile(path.join(ROOT, 'dist/java/dev/trellis/trellis-cdk', VERSION), new RegExp(`^trellis-cdk-${VERSION.replace(/\./g, '\\.')}\\.jar$`));
    expect(zipEntries(jar)).toEqual(expect.arrayContaining(['dev/trellis/cdk/TrellisPipeline.class']));
    const embedded = embeddedTarball(jar);
    temps.push(embedded);
    expect(tarballEntries(embedded)).toEqual(expect.arrayContaining(['.jsii', 'lib/index.js', ...expectedAssets()]));
  });
});
