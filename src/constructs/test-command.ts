/**
 * The command an environment runs as its tests, as an argument vector (never a shell string).
 *
 * @example
 * const dev = DeploymentEnvironment.development({ runTests: true, testCommand: TestCommand.npmScript('test:ci') });
 */
export class TestCommand {
  /**
   * Run a script from the app's package.json with the detected package manager,
   * e.g. `TestCommand.npmScript('test')` runs `npm run test`.
   *
   * @example
   * const tests = TestCommand.npmScript('test:ci');
   */
  public static npmScript(script: string): TestCommand {
    return new TestCommand(['npm', 'run', script]);
  }

  /**
   * The package's `test` script when its package.json has one (run with the detected package
   * manager); when it has none (or only npm init's placeholder), the test phase is skipped and
   * its log line says what to set.
   *
   * @example
   * const tests = TestCommand.auto();
   */
  public static auto(): TestCommand {
    return new TestCommand([]);
  }

  /**
   * Run any program with arguments, e.g. `TestCommand.command(['pytest', '-q'])`.
   * Each element is one argument; nothing is interpreted by a shell.
   *
   * @example
   * const tests = TestCommand.command(['npx', 'vitest', 'run']);
   */
  public static command(argv: string[]): TestCommand {
    if (argv.length === 0) {
      throw new Error('TestCommand.command(argv): argv must name the program to run (at least one element); TestCommand.auto() runs the package\'s test script');
    }
    return new TestCommand([...argv]);
  }

  /** The argument vector; the first element is the program (empty: `auto()`). */
  public readonly argv: string[];

  private constructor(argv: string[]) {
    this.argv = argv;
  }
}
