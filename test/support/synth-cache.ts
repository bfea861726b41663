/**
 * Syntheses memoized within one test file: tests that read the same installation share one
 * synthesis of it instead of building and synthesizing the stack again (about a second each).
 * Jest gives every test file its own modules, so this cache never crosses files.
 *
 * `description` names the props the synthesis was made from; two different props must never share
 * a description. What is returned is shared: a test may read it (Template's assertions only
 * read), and takes its own copy of the JSON before changing anything in it.
 */
const syntheses = new Map<string, unknown>();

export function synthesizedOnce<T>(description: string, synthesize: () => T): T {
  if (!syntheses.has(description)) syntheses.set(description, synthesize());
  return syntheses.get(description) as T;
}
