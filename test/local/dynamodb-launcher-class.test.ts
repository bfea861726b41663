import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * The committed DynamoDB Local launcher class (what `bundle:local-cli` ships where there is no
 * JDK, as the quick start needs only a JRE) is the compiled source, for Java 17.
 */

const SOURCE_DIR = join(__dirname, '../../src/local/java');
const hasJdk = !spawnSync('javac', ['-version'], { stdio: 'ignore' }).error;

test('the committed class is for Java 17 (class file version 61)', () => {
  const bytes = readFileSync(join(SOURCE_DIR, 'TrellisDynamoDbLocal.class'));
  expect(bytes.readUInt32BE(0)).toBe(0xcafebabe);
  expect(bytes.readUInt16BE(6)).toBe(61);
});

(hasJdk ? test : test.skip)('the committed class disassembles exactly as the source compiles (javac and javap of a JDK)', () => {
  const out = mkdtempSync(join(tmpdir(), 'trellis-launcher-'));
  try {
    const compiled = spawnSync('javac', ['--release', '17', '-Xlint:all', '-Werror', '-d', out, join(SOURCE_DIR, 'TrellisDynamoDbLocal.java')], { encoding: 'utf8' });
    expect(compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
    const disassemble = (dir: string) => spawnSync('javap', ['-c', '-p', '-constants', '-cp', dir, 'TrellisDynamoDbLocal'], { encoding: 'utf8' }).stdout;
    const fresh = disassemble(out);
    expect(fresh).toContain('class TrellisDynamoDbLocal');
    // If this fails after a change to the .java file: javac --release 17 -d src/local/java src/local/java/TrellisDynamoDbLocal.java
    expect(disassemble(SOURCE_DIR)).toBe(fresh);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
