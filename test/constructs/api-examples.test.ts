import { readFileSync } from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/**
 * API.md and Construct Hub show an `@example` per language (jsii-rosetta translates it; the
 * rosetta task compiles each one strictly). Every public class and every public static factory
 * of the modules src/index.ts exports has one.
 */
const SRC = path.join(__dirname, '..', '..', 'src');

function publicModules(): string[] {
  const index = readFileSync(path.join(SRC, 'index.ts'), 'utf8');
  return [...index.matchAll(/^export \* from '\.\/(constructs\/[\w-]+)';$/gm)].map(match => path.join(SRC, `${match[1]}.ts`));
}

function hasExample(node: ts.Node): boolean {
  return ts.getJSDocTags(node).some(tag => tag.tagName.text === 'example');
}

function isExported(node: ts.ClassDeclaration): boolean {
  return ts.getModifiers(node)?.some(modifier => modifier.kind === ts.SyntaxKind.ExportKeyword) ?? false;
}

/** `Class` and `Class.factory` of each public class and public static method without an `@example`. */
function missingExamples(file: string): { found: string[]; missing: string[] } {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const missing: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isClassDeclaration(statement) || !statement.name || !isExported(statement)) continue;
    const name = statement.name.text;
    found.push(name);
    if (!hasExample(statement)) missing.push(name);
    for (const member of statement.members) {
      if (!ts.isMethodDeclaration(member) || !ts.isIdentifier(member.name) || member.name.text.startsWith('_')) continue;
      const modifiers = ts.getModifiers(member) ?? [];
      const isStatic = modifiers.some(modifier => modifier.kind === ts.SyntaxKind.StaticKeyword);
      const isHidden = modifiers.some(modifier => modifier.kind === ts.SyntaxKind.PrivateKeyword || modifier.kind === ts.SyntaxKind.ProtectedKeyword);
      if (!isStatic || isHidden) continue;
      found.push(`${name}.${member.name.text}`);
      if (!hasExample(member)) missing.push(`${name}.${member.name.text}`);
    }
  }
  return { found, missing };
}

test('every public class and static factory has an @example', () => {
  const results = publicModules().map(missingExamples);
  const found = results.flatMap(result => result.found);
  // The scan sees the API: the main construct, a factory class and its factories.
  expect(found).toEqual(expect.arrayContaining(['TrellisPipeline', 'DeploymentEnvironment', 'DeploymentEnvironment.production', 'BuilderImage.fromRegistry']));
  expect(results.flatMap(result => result.missing)).toEqual([]);
});
