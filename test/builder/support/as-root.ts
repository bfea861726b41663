/** Whether the tests run as root, as the builder must to run the app's commands under another uid. */
export const asRoot = process.getuid?.() === 0;

/**
 * `describe(name, tests)` when running as root; otherwise one skipped test that says why it needs
 * root, so a run without root shows what it left out.
 */
export function describeAsRoot(name: string, why: string, tests: () => void): void {
  if (asRoot) describe(name, tests);
  else describe(name, () => test.skip(`needs root (process.getuid() is not 0): ${why}`, () => undefined));
}
